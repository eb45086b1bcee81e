"""Delivery: how a finished (or failed) job reaches its requester.

Each job records a delivery target (``job.delivery``, a small JSON dict whose ``kind`` picks the
implementation; each target reads and writes its own typed record in it).  The CLI registers
:class:`FileDelivery` (``{"kind": "file", "path": …}``); the Discord bot registers its own
(:class:`bot.edge.record.DiscordRecord`).  A worker only runs jobs whose kind it can deliver, so a CLI
run never steals a Discord job.  Every ending that is not a result (a failure, a cancel, in the queue or
while running) reaches the target through :meth:`DeliveryRouter.ended`, with the same words.

Exactly once: the worker calls ``deliver`` only in the DELIVERING state and marks the job DONE
right after.  A target must make a repeated ``deliver`` of the same job harmless (the file target
rewrites the same file atomically; the Discord target uses a per-job nonce and the stored
message id).  A target may answer :class:`NotYet` (the takes of one /variations request are shown together,
so one that is made waits for its siblings): the worker parks the job and asks again later.

Upload limits: a target that uploads the file knows the limit of the place it goes and hands it to the
ladder (:meth:`bot.services.delivery.ladder.Publisher.plan`); services hold no platform's limits.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bot.errors import DeliveryError
from storage import Job

log = logging.getLogger(__name__)

CANCELLED_NOTICE = "Cancelled; your quota was refunded."


class NotYet(Exception):
    """The target cannot deliver this job yet (a /variations take waits for its siblings): the job stays
    DELIVERING and is tried again after ``defer`` seconds.  Not a failed attempt; the target bounds the wait."""

    def __init__(self, defer: float, reason: str):
        super().__init__(reason)
        self.defer = defer


@dataclass(frozen=True)
class Receipt:
    """What delivery produced: a message id and/or a URL."""

    message_id: int | None = None
    url: str | None = None


@dataclass(frozen=True)
class Progress:
    """A progress notice for a running job."""

    job: Job
    queue_position: int = 0  # place in our own queue (QUEUED jobs)
    provider_queue: int = 0  # place in the provider's queue (a RUNNING job the provider has not started)
    seconds_left: float | None = None  # a RUNNING job: expected seconds to the provider's finish (learned per model)
    stage: str = ""  # a RUNNING job: the provider's own words for what it does now ("sampling 12/30")


class DeliveryTarget(Protocol):
    """Where jobs of one ``kind`` go."""

    kind: str

    async def progress(self, update: Progress) -> None:
        """The job moved or made progress (targets throttle as they like)."""
        ...

    async def deliver(self, job: Job, video: Path) -> Receipt:
        """Hand over the finished video.  Must be safe to repeat for the same job."""
        ...

    async def failed(self, job: Job, message: str) -> None:
        """Tell the requester the job failed (``message`` is safe to show)."""
        ...


class DeliveryRouter:
    """Maps a job's delivery kind to its target."""

    def __init__(self, targets: Iterable[DeliveryTarget] = ()):
        self._targets: dict[str, DeliveryTarget] = {}
        for target in targets:
            self.register(target)

    def register(self, target: DeliveryTarget) -> None:
        """Add (or replace) the target for its kind."""
        self._targets[target.kind] = target

    def kinds(self) -> frozenset[str]:
        """The kinds this process can deliver."""
        return frozenset(self._targets)

    def target_for(self, job: Job) -> DeliveryTarget:
        """The target for this job, or DeliveryError."""
        kind = job.delivery_kind
        try:
            return self._targets[kind]
        except KeyError:
            raise DeliveryError(detail=f"no delivery target for kind {kind!r}") from None

    async def ended(self, job: Job, message: str) -> None:
        """Tell the job's target it failed or was cancelled (``message`` is safe to show).  Never raises:
        the job is final already, a notice that cannot be shown is only logged."""
        try:
            await self.target_for(job).failed(job, message)
        except Exception:
            log.warning("job %s: failure notice not delivered", job.id, exc_info=True)


@dataclass(frozen=True)
class FileRecord:
    """What a file-delivered job carries in its delivery record: where the result goes."""

    path: Path | None

    @classmethod
    def of(cls, job: Job) -> FileRecord:
        """The record of ``job`` (tolerant: a missing or empty path reads as None)."""
        path = job.delivery.get("path")
        return cls(Path(str(path)) if path else None)

    def to_json(self) -> dict[str, Any]:
        """The JSON the job stores (``kind`` included)."""
        return {"kind": FileDelivery.kind, "path": str(self.path) if self.path else None}


class FileDelivery:
    """Copy the result to the path the job names (the CLI's target)."""

    kind = "file"

    async def progress(self, update: Progress) -> None:
        """Files have no progress to show (the CLI watches the job itself)."""

    async def deliver(self, job: Job, video: Path) -> Receipt:
        """Atomic copy to the record's path; repeating it rewrites the same file."""
        dest = FileRecord.of(job).path
        if dest is None or not dest.name:
            raise DeliveryError(detail="file delivery without a path")
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{job.id}.part")
        shutil.copyfile(video, tmp)
        os.replace(tmp, dest)
        return Receipt(url=dest.resolve().as_uri())

    async def failed(self, job: Job, message: str) -> None:
        """Nothing to do: the CLI reads the job's error."""
