"""Sound for a finished clip: 🔊 Add sound and ``/sound`` (the clip's own picture heard by a video-to-audio model,
Runway's ``video_to_audio``), and ``/soundtrack prompt:`` (a sound made from a description, Runway's
``sound_effect``).  Either comes back as the sound alone and is laid under the clip by the worker
(:mod:`bot.services.jobs.sound`): the result is a new job in the clip's lineage whose picture is the clip's own,
copied, with a track of the clip's exact length.

Sound jobs are priced and recorded in the cost ledger like any other provider job, but make no new seconds of
video, so they are free of the seconds quota; like the edits they are limited to ``VIDEOBOT_EDITS_PER_HOUR`` per
member.  There is no honest offline sound generator: with no sound model enabled they are refused, saying so.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import InvalidOption, InvalidRequest, JobStateError
from bot.i18n import said
from bot.media import Media
from bot.prompt import PromptSpec, clean_text
from bot.providers.base import SOUND_OP, TEXT_SOUND_OP, Capability, ModelInfo
from bot.providers.registry import ProviderRegistry
from bot.services.delivery.port import FILM_SOUND_KIND
from bot.services.jobs.sound import MIXES
from bot.services.requests.intake import made_in_the_last_hour
from bot.settings import Settings
from storage import JobInputs, Storage

if TYPE_CHECKING:
    from bot.services.requests.generation import GenerationService
    from bot.services.requests.requester import Requester, Submitted
    from storage import Job

# the kinds of sound job (the hourly limit counts them with the edits): a /sequence film's soundtrack is one
SOUND_KINDS = ("sound", "soundtrack", FILM_SOUND_KIND)


def sound_model(registry: ProviderRegistry, capability: Capability, prompt: str | None) -> ModelInfo:
    """Everything refusable without I/O about a sound to make: a sound model is enabled (none offline), and the
    description fits it (its length limit, in its own units; required where the model needs one)."""
    info = registry.default_for(frozenset({capability}))
    if info is None:
        raise said(InvalidRequest, "sound.offline")
    text = clean_text(prompt)
    if text:
        info.check_prompt(text)
    elif info.needs_prompt(frozenset({capability})):
        raise said(InvalidOption, "sound.describe")
    return info


async def sound_allowed(storage: Storage, settings: Settings, who: Requester, now: float) -> None:
    """The per-member hourly limit on sound, shared with the edits (``VIDEOBOT_EDITS_PER_HOUR``)."""
    limit = settings.edits_per_hour
    if await made_in_the_last_hour(storage, who.user_id, limit, now, lambda j: j.kind in SOUND_KINDS):
        raise said(InvalidRequest, "limit.sound_per_hour", limit=limit)


def check_mix(mix: str | None) -> str | None:
    """The ``mix`` option (replace | under), without I/O."""
    if mix is not None and mix not in MIXES:
        raise said(InvalidOption, "sound.mix")
    return mix


class Sounds:
    """Sound made for a member's finished clip: from its picture (``add``) or from a description (``describe``)."""

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
        self.core = core  # whose results may be used, and queueing
        self.clock = clock

    def model_for(self, capability: Capability) -> ModelInfo | None:
        """The enabled model that makes this kind of sound (None: none is, e.g. offline)."""
        return self.registry.default_for(frozenset({capability}))

    @property
    def available(self) -> bool:
        """Whether any sound model is enabled (the 🔊 button is offered only then)."""
        return self.model_for(Capability.VIDEO_TO_AUDIO) is not None

    def check(self, capability: Capability, prompt: str | None) -> ModelInfo:
        """Everything refusable without I/O (the edge calls it before acknowledging): a sound model is enabled,
        and the description fits it."""
        return sound_model(self.registry, capability, prompt)

    async def add(self, who: Requester, job_id: int, prompt: str | None = None) -> Submitted:
        """Sound for a silent clip, heard from its picture (with an optional description of what to hear)."""
        info = self.check(Capability.VIDEO_TO_AUDIO, prompt)
        await self._allowed(who)
        parent, seconds = await self._clip(who, job_id, info)
        if (await self.media.probe(Path(str(parent.result_path)))).has_audio:
            raise said(JobStateError, "sound.already", id=parent.id)
        inputs = JobInputs(video=parent.result_path, op=SOUND_OP, seconds=round(seconds, 3), source_jobs=(parent.id,))
        return await self._queue("sound", who, parent, info, prompt, seconds, inputs)

    async def describe(
        self, who: Requester, job_id: int, prompt: str, *, mix: str | None = None, loop: bool = False
    ) -> Submitted:
        """A sound made from ``prompt``, as long as the clip, laid under it: replacing its sound (the default on a
        silent clip) or ``under`` it, ducked; ``loop`` asks for a sound that loops seamlessly."""
        check_mix(mix)
        info = self.check(Capability.TEXT_TO_AUDIO, prompt)
        await self._allowed(who)
        parent, seconds = await self._clip(who, job_id, info)
        inputs = JobInputs(
            video=parent.result_path,
            op=TEXT_SOUND_OP,
            seconds=round(seconds, 3),
            mix=mix or "replace",
            loop=loop,
            source_jobs=(parent.id,),
        )
        return await self._queue("soundtrack", who, parent, info, prompt, seconds, inputs)

    async def _clip(self, who: Requester, job_id: int, info: ModelInfo) -> tuple[Job, float]:
        """The member's own finished clip, and its length, which the model must take."""
        parent = await self.core.extendable(who, job_id)  # own, finished, still stored
        clip = await self.media.probe(Path(str(parent.result_path)))
        if not clip.width:
            raise said(JobStateError, "sound.no_video", id=parent.id)
        longest = info.max_input_seconds
        if longest is not None and clip.duration > longest + 0.05:
            length, limit = f"{clip.duration:.1f}", f"{longest:g}"
            raise said(InvalidOption, "sound.too_long", id=parent.id, length=length, model=info.name, limit=limit)
        return parent, clip.duration

    async def _allowed(self, who: Requester) -> None:
        """The per-member hourly limit, shared with the edits (``VIDEOBOT_EDITS_PER_HOUR``)."""
        await sound_allowed(self.storage, self.settings, who, self.clock())

    async def _queue(
        self,
        kind: str,
        who: Requester,
        parent: Job,
        info: ModelInfo,
        prompt: str | None,
        seconds: float,
        inputs: JobInputs,
    ) -> Submitted:
        spec = PromptSpec(
            subject=clean_text(prompt),
            duration=max(1, math.ceil(seconds - 0.05)),
            aspect=info.aspects[0],
            model=info.name,
        )
        return await self.core.queue(kind, who, spec, info, inputs, parent_job_id=parent.id)
