"""Edits of finished results: stitch, loop, soundtrack.  No provider is called, so they cost no quota;
they run as ``local:edit`` jobs (same queue, progress, restart safety, cache and delivery as /video),
limited to ``VIDEOBOT_EDITS_PER_HOUR`` per user and refused while the media disk is over its cap."""

from __future__ import annotations

import asyncio
import math
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import InvalidMedia, InvalidOption, InvalidRequest, MediaError
from bot.i18n import said
from bot.media import Media
from bot.media.edits import MAX_STITCH
from bot.media.sniff import sniff_container
from bot.prompt import PromptSpec
from bot.providers._local_render import EDIT_MODEL
from bot.providers.registry import ProviderRegistry
from bot.services.requests.intake import made_in_the_last_hour
from bot.settings import Settings
from storage import JobInputs, Storage

if TYPE_CHECKING:
    from bot.services.requests.generation import GenerationService
    from bot.services.requests.requester import Requester, Submitted
    from storage import Job


def parse_jobs(text: str) -> list[int]:
    """``"3 5, #7"`` → ``[3, 5, 7]``; refuses anything else."""
    parts = [p for p in re.split(r"[\s,]+", text.strip()) if p]
    if not all(re.fullmatch(r"#?\d{1,12}", p) for p in parts):
        raise said(InvalidOption, "edit.job_list")
    ids = [int(p.lstrip("#")) for p in parts]
    if not 2 <= len(ids) <= MAX_STITCH:
        raise said(InvalidOption, "edit.stitch_count", max=MAX_STITCH)
    return ids


def check_loop(times: int) -> None:
    """/loop's options, without I/O."""
    if not 2 <= times <= 10:
        raise said(InvalidOption, "edit.times")


def check_stitch(jobs: str, crossfade: float) -> list[int]:
    """/stitch's options, without I/O."""
    if not 0 <= crossfade <= 5:
        raise said(InvalidOption, "edit.crossfade")
    return parse_jobs(jobs)


def check_soundtrack(volume: float) -> None:
    """/soundtrack's options, without I/O."""
    if not 0 < volume <= 2:
        raise said(InvalidOption, "edit.volume")


class Edits:
    """Loop, stitch and soundtrack: ``local:edit`` jobs made of a member's finished results."""

    def __init__(
        self,
        storage: Storage,
        registry: ProviderRegistry,
        settings: Settings,
        media: Media,
        core: GenerationService,
        clock: Callable[[], float] = time.time,
    ):
        self.storage = storage
        self.registry = registry
        self.settings = settings
        self.media = media
        self.core = core  # the shared submit/queue core: whose results may be used, and queueing
        self.clock = clock

    async def loop(self, who: Requester, job: int, times: int) -> Submitted:
        """A result repeated ``times`` times."""
        check_loop(times)
        await self._allowed(who)
        parent, seconds = await self._source(who, job)
        inputs = JobInputs(video=parent.result_path, times=times, source_jobs=(parent.id,))
        return await self._queue("loop", who, parent, seconds * times, inputs)

    async def stitch(self, who: Requester, jobs: str, crossfade: float = 0.0) -> Submitted:
        """Up to 8 of ``who``'s results joined in order (``jobs``: "3 5, 8"), with ``crossfade`` seconds of
        dissolve between each two."""
        ids = check_stitch(jobs, crossfade)
        await self._allowed(who)
        sources = [await self._source(who, i) for i in ids]
        if crossfade and crossfade >= min(d for _, d in sources):
            raise said(InvalidOption, "edit.crossfade_too_long", seconds=f"{crossfade:g}")
        seconds = sum(d for _, d in sources) - crossfade * (len(sources) - 1)
        paths = [str(j.result_path) for j, _ in sources]
        inputs = JobInputs(sources=tuple(paths), crossfade=crossfade, source_jobs=tuple(ids))
        return await self._queue("stitch", who, sources[0][0], seconds, inputs)

    async def soundtrack(self, who: Requester, job: int, audio: bytes, volume: float = 1.0) -> Submitted:
        """An attached audio file laid under a result (cut with a fade-out, or padded, to its length)."""
        check_soundtrack(volume)
        s = self.settings
        if len(audio) > s.max_audio_bytes:
            size, cap = f"{len(audio) / 1_048_576:.1f}", f"{s.max_audio_bytes / 1_048_576:.0f}"
            raise said(InvalidMedia, "media.too_big.audio", size=size, cap=cap)
        await self._allowed(who)
        parent, seconds = await self._source(who, job)
        stored = s.inputs_dir / f"audio-{secrets.token_hex(8)}"
        stored.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(stored.write_bytes, audio)
        try:
            try:
                container = await asyncio.to_thread(sniff_container, stored, kinds=("audio", "video"))
                info = await self.media.probe(stored) if container.kind == "video" else None
            except MediaError:
                raise said(InvalidMedia, "media.not_audio") from None
            if info is not None and (not info.has_audio or info.width):  # M4A: an MP4 with sound only
                raise said(InvalidMedia, "media.not_audio")
            return await self._queue(
                "soundtrack",
                who,
                parent,
                seconds,
                JobInputs(video=parent.result_path, audio=str(stored), volume=volume, source_jobs=(parent.id,)),
            )
        except BaseException:
            stored.unlink(missing_ok=True)
            raise

    async def _allowed(self, who: Requester) -> None:
        """The per-user hourly limit and the disk cap (edits cost no quota, but they cost disk)."""
        s = self.settings
        if await made_in_the_last_hour(
            self.storage, who.user_id, s.edits_per_hour, self.clock(), lambda j: j.model == EDIT_MODEL
        ):
            raise said(InvalidRequest, "limit.edits_per_hour", limit=s.edits_per_hour)
        used = await asyncio.to_thread(_disk_usage, s.media_dir)
        if used > s.media_disk_cap_mb * 1024 * 1024:
            raise said(InvalidRequest, "limit.disk_full")

    async def _source(self, who: Requester, job_id: int) -> tuple[Job, float]:
        job = await self.core.extendable(who, job_id)  # own, finished, still stored
        info = await self.media.probe(Path(str(job.result_path)))
        return job, info.duration

    async def _queue(self, kind: str, who: Requester, parent: Job, seconds: float, inputs: JobInputs) -> Submitted:
        cap = self.settings.max_edit_seconds
        if seconds > cap + 0.05:
            raise said(InvalidOption, "edit.too_long", seconds=f"{seconds:.1f}", cap=cap)
        info = self.registry.model(EDIT_MODEL)
        return await self.core.queue(
            kind, who, _spec(parent, seconds), info, replace(inputs, op=kind), parent_job_id=parent.id
        )


def _disk_usage(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def _spec(parent: Job, seconds: float) -> PromptSpec:
    base = PromptSpec.from_dict(parent.spec)
    return replace(base, duration=max(1, math.ceil(seconds - 0.05)), model=EDIT_MODEL, audio=None)
