"""The delivery ladder: attach the result → re-encode it to fit → post a link → say it is too large.

Decisions only; no Discord.  A chat target asks a :class:`DeliveryPlan` for its first offer, tries
it, and on a size refusal (HTTP 413) asks for the offer *after* the refused one.  A refusal always
drops one rung and lowers the size ceiling below what was refused, so the same size is never sent
twice and there is no 413 loop.

    ATTACH    the file fits the upload limit as it is
    REENCODE  Media.fit_to_size below the limit (kept per job and limit, so a retry reuses it)
    LINK      the built-in file server (unguessable per-job URL), else the provider's own URL
              with its expiry stated
    NONE      nothing works: the message says the video is too large and how to get it

Below the ladder, :meth:`DeliveryPlan.kept`: where a target has no way left to post at all (a chat target whose
only route is spent, e.g. the answer window of an app used outside the places it is a member of), the result is
KEPT: it stays on its page (the link, when there is one) and in the requester's history.  A target says which
routes exist where a job goes; the ladder only says what each offer is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import IntEnum
from pathlib import Path
from typing import Protocol

from bot.errors import MediaError
from bot.media import Media
from bot.settings import Settings
from storage import Job, JobState

log = logging.getLogger(__name__)

MIB = 1024 * 1024
# Re-encode to a little under the limit: container overhead varies and the limit is inclusive.
FIT_MARGIN = 0.97
MIN_FIT_BYTES = 8 * 1024  # below this no clip is worth an encode (fit_to_size also refuses poor quality)
# How long providers keep their output URLs (hours), from their documentation; used to state expiry.
PROVIDER_LINK_HOURS = {"runway": 24.0, "replicate": 1.0, "luma": 24.0}
DEFAULT_LINK_HOURS = 24.0


class Rung(IntEnum):
    """The ladder's rungs, in the order they are tried."""

    ATTACH = 0
    REENCODE = 1
    LINK = 2
    NONE = 3
    KEPT = 4  # no route to the requester is left: kept on its page and in the history (never reached by a refusal)


@dataclass(frozen=True)
class Offer:
    """One way of handing the video over."""

    rung: Rung
    path: Path | None = None  # the file to attach (ATTACH/REENCODE)
    size_bytes: int = 0  # of ``path``, or of the original for LINK/NONE
    url: str | None = None  # LINK
    expires_at: float | None = None  # LINK: when the URL stops working (None: as long as we keep the file)
    original_bytes: int = 0  # the untouched result's size
    limit_bytes: int = 0  # the upload limit this offer was made for
    cannot_attach: bool = False  # LINK/NONE because the channel refused files (permission), not for size

    @property
    def attaches(self) -> bool:
        """Whether this offer uploads a file."""
        return self.rung in (Rung.ATTACH, Rung.REENCODE)


class LinkMaker(Protocol):
    """Something that can give a public URL for a job's result (the built-in file server)."""

    def link_for(self, job_id: int) -> str | None:
        """The URL, or None when links are not available."""
        ...


class Publisher:
    """Builds delivery plans for finished jobs."""

    def __init__(
        self,
        media: Media,
        settings: Settings,
        links: LinkMaker | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.media = media
        self.settings = settings
        self.links = links
        self.clock = clock

    def plan(self, job: Job, video: Path, limit_bytes: int) -> DeliveryPlan:
        """A plan for ``video`` under ``limit_bytes``: the upload limit of the place it goes, which only the
        delivery target knows (the Discord target: the interaction's or the server's)."""
        if limit_bytes <= 0:
            raise ValueError(f"an upload limit must be positive, not {limit_bytes}")
        return DeliveryPlan(self, job, Path(video), limit_bytes)

    def link(self, job: Job) -> tuple[str, float | None] | None:
        """(URL, expiry) for the job's result: our file server first, else the provider's URL."""
        if self.links is not None:
            url = self.links.link_for(job.id)
            if url:
                return url, None
        provider_url = job.result_url or ""
        if provider_url.startswith(("https://", "http://")) and job.provider != "local":
            hours = PROVIDER_LINK_HOURS.get(job.provider, DEFAULT_LINK_HOURS)
            made = job.finished_at or job.updated_at or self.clock()
            return provider_url, made + hours * 3600
        return None

    def fitted_path(self, job: Job, ceiling: int) -> Path:
        """Where the re-encoded copy for this job and ceiling lives."""
        return self.settings.media_dir / "fitted" / f"{job.id}-{ceiling}.mp4"


class DeliveryPlan:
    """The offers for one delivery, in ladder order; see the module docstring."""

    def __init__(self, publisher: Publisher, job: Job, video: Path, limit_bytes: int):
        self.publisher = publisher
        self.job = job
        self.video = video
        self.limit = limit_bytes
        self.original = video.stat().st_size
        self.tried: list[Offer] = []

    async def first(self) -> Offer:
        """The best offer."""
        return await self._from(Rung.ATTACH, self.limit)

    async def after_refusal(self, refused: Offer) -> Offer:
        """The next offer after ``refused`` was turned down for its size (one rung down, smaller)."""
        ceiling = min(self.limit, max(0, refused.size_bytes - 1)) if refused.attaches else self.limit
        return await self._from(Rung(min(refused.rung + 1, Rung.NONE)), ceiling)

    async def after_failure(self, failed: Offer) -> Offer:
        """The next offer after ``failed`` could not be used at all (e.g. no permission to attach files)."""
        start = Rung.LINK if failed.attaches else Rung(min(failed.rung + 1, Rung.NONE))
        offer = await self._from(start, self.limit)
        return replace(offer, cannot_attach=True) if failed.attaches or failed.cannot_attach else offer

    def kept(self) -> Offer:
        """No way to post is left: the result stays on its page (``url``, when the file server runs)."""
        link = self.publisher.link(self.job)
        url, expires = link if link is not None else (None, None)
        offer = Offer(Rung.KEPT, size_bytes=self.original, url=url, expires_at=expires, original_bytes=self.original)
        return self._note(replace(offer, limit_bytes=self.limit))

    async def _from(self, rung: Rung, ceiling: int) -> Offer:
        base = Offer(Rung.NONE, size_bytes=self.original, original_bytes=self.original, limit_bytes=self.limit)
        if rung <= Rung.ATTACH and self.original <= ceiling:
            return self._note(replace(base, rung=Rung.ATTACH, path=self.video))
        if rung <= Rung.REENCODE:
            fitted = await self._reencode(ceiling)
            if fitted is not None:
                return self._note(fitted)
        if rung <= Rung.LINK:
            link = self.publisher.link(self.job)
            if link is not None:
                return self._note(replace(base, rung=Rung.LINK, url=link[0], expires_at=link[1]))
        return self._note(base)

    async def _reencode(self, ceiling: int) -> Offer | None:
        target = int(ceiling * FIT_MARGIN)
        if target < MIN_FIT_BYTES:  # nothing watchable fits; don't spend an encode on it
            return None
        dest = self.publisher.fitted_path(self.job, target)
        try:
            if not dest.exists() or dest.stat().st_size > target:
                dest.parent.mkdir(parents=True, exist_ok=True)
                await self.publisher.media.fit_to_size(self.video, dest, target)
            size = dest.stat().st_size
        except (MediaError, OSError) as exc:
            log.info("job %s: re-encode to %d bytes failed: %s", self.job.id, target, exc)
            return None
        if size > ceiling:
            return None
        return Offer(Rung.REENCODE, path=dest, size_bytes=size, original_bytes=self.original, limit_bytes=self.limit)

    def _note(self, offer: Offer) -> Offer:
        self.tried.append(offer)
        return offer


def describe_size(size_bytes: int) -> str:
    """'12.3 MiB' / '850 KiB'."""
    if size_bytes >= MIB:
        return f"{size_bytes / MIB:.1f} MiB"
    return f"{max(1, round(size_bytes / 1024))} KiB"


def describe_left(seconds: float) -> str:
    """The expected time to the finish, roughly: 'about 40 s left', 'about 3 min left', 'any moment now'."""
    if seconds < 1.5:
        return "any moment now"
    if seconds < 90:
        step = 1 if seconds < 10 else 5
        return f"about {max(step, round(seconds / step) * step)} s left"
    return f"about {round(seconds / 60)} min left"


def state_label(
    job: Job, queue_position: int = 0, provider_queue: int = 0, seconds_left: float | None = None, stage: str = ""
) -> str:
    """A short, human label for a job's state (``seconds_left``: the model's learned run time still to go;
    ``stage``: the provider's own words, "sampling 12/30")."""
    if job.state is JobState.QUEUED:
        return f"queued (#{queue_position} in line)" if queue_position else "queued"
    if job.state is JobState.RUNNING and provider_queue:
        return f"waiting (#{provider_queue} in {job.provider}'s queue)"
    if job.state is JobState.RUNNING and stage:
        return f"rendering: {stage}"
    if job.state is JobState.RUNNING and seconds_left is not None:
        return f"rendering, {describe_left(seconds_left)}"
    return {
        JobState.SUBMITTING: "starting",
        JobState.RUNNING: "rendering",
        JobState.DOWNLOADING: "downloading",
        JobState.POSTPROCESSING: "finishing",
        JobState.DELIVERING: "uploading",
        JobState.DONE: "done",
        JobState.FAILED: "failed",
        JobState.CANCELLED: "cancelled",
    }[job.state]


__all__ = [
    "DeliveryPlan",
    "LinkMaker",
    "Offer",
    "Publisher",
    "Rung",
    "describe_left",
    "describe_size",
    "state_label",
]
