"""Result pages and server galleries: what the web server shows, and the signed links the bot hands out.

A result is *showable* once it is final (delivering or done), not removed with ❌ and its file still
stored; a removed or expired one is *gone* (its URLs answer 410), and anything else is unknown (404,
saying nothing about whether it exists).  Gallery pages are keyset-paginated on (created_at, id),
newest first, so results arriving meanwhile never shift or repeat a page.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.errors import InvalidRequest
from bot.i18n import said
from bot.services.web.links import Links
from bot.services.web.posters import poster_of
from bot.settings import Settings
from storage import GalleryQuery, Job, JobState, Storage

_CURSOR = re.compile(r"^(\d{1,12}(?:\.\d{1,20})?)~(\d{1,18})$")
# How each kind of job relates to its parent: (label on the child's page, label in the parent's list).
# Kinds added later (remix, stitch, loop…) fall back to their own name.
RELATIONS = {"extend": ("Extended from", "Extension"), "reroll": ("Re-roll of", "Re-roll")}
RELATIONS["sound"] = ("Sound for", "With sound")  # 🔊 / /sound: the clip with sound made for it


class NotShown(Exception):
    """No such result (404)."""


class Gone(Exception):
    """The result was deleted or is past retention (410)."""


@dataclass(frozen=True)
class Relative:
    """A job related to the shown one: its label and, while it can be shown, its page."""

    job_id: int
    label: str
    page_url: str | None


@dataclass(frozen=True)
class ResultView:
    """Everything a result page shows."""

    job: Job
    video: Path
    size_bytes: int
    has_poster: bool
    parent: Relative | None
    children: tuple[Relative, ...]


@dataclass(frozen=True)
class GalleryPage:
    """One page of a gallery."""

    cards: tuple[Job, ...]
    next_cursor: str | None  # for the "older" link
    members: tuple[tuple[int, str], ...]  # (id, display name) for the admin's member filter
    models: tuple[str, ...]


def relation(kind: str) -> tuple[str, str]:
    """(label on the child's page, label in the parent's list) for a job kind."""
    return RELATIONS.get(kind, (f"{kind.replace('_', ' ').capitalize()} of", kind.replace("_", " ").capitalize()))


def encode_cursor(job: Job) -> str:
    """The keyset cursor after ``job`` (repr keeps the float exact)."""
    return f"{job.created_at!r}~{job.id}"


def decode_cursor(text: str) -> tuple[float, int]:
    """The (created_at, id) of a cursor; ValueError when it is not one."""
    match = _CURSOR.match(text)
    if match is None:
        raise ValueError("not a gallery cursor")
    return float(match.group(1)), int(match.group(2))


class GalleryService:
    """Reads results for the web server; makes gallery links for the bot."""

    def __init__(self, storage: Storage, settings: Settings, links: Links, clock: Callable[[], float] = time.time):
        self.storage = storage
        self.settings = settings
        self.links = links
        self.clock = clock

    # --- for the bot -----------------------------------------------------------------------------------
    def gallery_link(self, guild_id: int | None, member_id: int | None) -> str:
        """A signed, expiring gallery link: one member's results, or (``member_id`` None) the server's."""
        if guild_id is None:
            raise said(InvalidRequest, "gallery.server_only")
        if not self.settings.file_server_port:
            raise said(InvalidRequest, "gallery.no_web_server")
        return self.links.gallery_url(guild_id, member_id, self.clock())

    async def remove(self, job_id: int) -> None:
        """A result deleted with ❌: its pages answer 410 and galleries no longer list it."""
        job = await self.storage.jobs.get(job_id)
        if job is not None and job.removed_at is None:
            await self.storage.jobs.update(job_id, removed_at=self.clock())

    # --- for the web server ------------------------------------------------------------------------------
    async def showable(self, job_id: int) -> Job:
        """The job if its result can be shown; NotShown or Gone otherwise."""
        job = await self.storage.jobs.get(job_id)
        if job is None or job.state not in (JobState.DELIVERING, JobState.DONE) or not job.result_path:
            raise NotShown()
        if job.removed_at is not None or not os.path.isfile(job.result_path):
            raise Gone()
        return job

    async def video(self, job_id: int) -> Path:
        """The result file to serve."""
        return Path(str((await self.showable(job_id)).result_path))

    async def poster(self, job_id: int) -> Path:
        """The poster file to serve."""
        poster = poster_of(str((await self.showable(job_id)).result_path))
        if not poster.is_file():
            raise NotShown()
        return poster

    async def result(self, job_id: int) -> ResultView:
        """The result page's content, lineage included."""
        job = await self.showable(job_id)
        video = Path(str(job.result_path))
        parent = None
        if job.parent_job_id is not None:
            parent = await self._relative(job.parent_job_id, relation(job.kind)[0])
        children = [await self._relative(c.id, relation(c.kind)[1]) for c in await self.storage.jobs.children(job.id)]
        try:
            size = video.stat().st_size
        except FileNotFoundError:  # the janitor took it just now
            raise Gone() from None
        return ResultView(job, video, size, poster_of(video).is_file(), parent, tuple(c for c in children if c))

    async def _relative(self, job_id: int, label: str) -> Relative | None:
        try:
            await self.showable(job_id)
        except Gone:
            return Relative(job_id, label, None)
        except NotShown:  # unfinished or failed: not part of the lineage (yet)
            return None
        return Relative(job_id, label, self.links.page_url(job_id))

    def expired(self, expires: int) -> bool:
        """Whether a gallery link's time is up."""
        return self.clock() >= expires

    async def page(
        self,
        guild_id: int,
        member_id: int | None,
        *,
        model: str | None = None,
        cursor: str | None = None,
        sound: bool | None = None,
    ) -> GalleryPage:
        """One gallery page (``member_id``: only that member's results; ``sound``: only results with sound, or
        only silent ones).  ValueError for a bad cursor."""
        before = decode_cursor(cursor) if cursor else None
        size = self.settings.gallery_page_size
        query = GalleryQuery(
            guild_id, owner_id=member_id, model=model or None, before=before, limit=size + 1, sound=sound
        )
        rows = await self.storage.jobs.gallery(query)
        more = len(rows) > size
        rows = rows[:size]
        cards = [job for job in rows if job.result_path and os.path.isfile(job.result_path)]  # past retention
        owners, models = await self.storage.jobs.gallery_facets(guild_id, member_id)
        members = tuple((uid, name or f"member {uid}") for uid, name in owners)
        return GalleryPage(tuple(cards), encode_cursor(rows[-1]) if more else None, members, tuple(models))
