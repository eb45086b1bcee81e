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

A /sequence film's shots (``kind == "shot"``) and its soundtrack (``kind == "filmsound"``) carry their film's
delivery record but are never shown on their own: :meth:`DeliveryRouter.target_for` hands them a quiet target
(no progress, no post, no failure notice); the film's one status message and its result speak for them.  A
target that can ask its member what to do about a shot that failed twice implements :class:`ShotQuestions` (the
Discord target's two buttons); one that cannot (a file) lets the question time out, which finishes the film
without the shot.

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
from typing import Any, Protocol, runtime_checkable

from bot.errors import DeliveryError
from bot.i18n import phrase
from storage import Job

log = logging.getLogger(__name__)

CANCELLED_NOTICE = phrase("notice.cancelled")  # "Cancelled; your quota was refunded."


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
    status: str | None = None  # a film's line for its status message ("Shot 3 of 6 rendering · 2 done · …")


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


@dataclass(frozen=True)
class ShotQuestion:
    """A /sequence shot failed after its fallback and its one retry: finish the film without it, or cancel
    the rest?  Unanswered by ``deadline`` (a clock value), the film is finished without it."""

    film: Job
    shot: int
    of: int
    reason: str
    deadline: float


@runtime_checkable
class ShotQuestions(Protocol):
    """A target that can put a :class:`ShotQuestion` to its member (privately, with two buttons)."""

    async def ask_shot(self, question: ShotQuestion) -> None:
        """Show the question; the answer comes back through ``Sequences.decide``.  Safe to repeat."""
        ...


SHOT_KIND = "shot"  # a /sequence film's shot: delivered through its film, never on its own
FILM_SOUND_KIND = "filmsound"  # a /sequence film's soundtrack (``sound:``): laid under the film by its join
FILM_PARTS = frozenset({SHOT_KIND, FILM_SOUND_KIND})  # made for a film, shown only in it


class _QuietShot:
    """The target of a film's shot: its result stays on its page and reaches the member in the film."""

    def __init__(self, kind: str):
        self.kind = kind

    async def progress(self, update: Progress) -> None:
        """The film's status message shows the shots' progress."""

    async def deliver(self, job: Job, video: Path) -> Receipt:
        """Nothing is posted: the film is."""
        return Receipt()

    async def failed(self, job: Job, message: str) -> None:
        """The film asks its member about a failed shot (:class:`ShotQuestion`)."""


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
            target = self._targets[kind]
            return _QuietShot(kind) if job.kind in FILM_PARTS else target
        except KeyError:
            raise DeliveryError(detail=f"no delivery target for kind {kind!r}") from None

    async def ask_shot(self, question: ShotQuestion) -> bool:
        """Put the question to the film's member where its target can; whether it was shown.  Never raises."""
        try:
            target = self.target_for(question.film)
            if not isinstance(target, ShotQuestions):
                return False
            await target.ask_shot(question)
            return True
        except Exception:
            log.warning("job %s: shot question not shown", question.film.id, exc_info=True)
            return False

    async def ended(self, job: Job, message: str) -> None:
        """Tell the job's target it failed or was cancelled (``message`` is safe to show, and may be a
        :class:`~bot.i18n.Phrase` a target says in its member's language).  Never raises: the job is final
        already, a notice that cannot be shown is only logged."""
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
