"""Video to video (/remix, and ✏️ Refine on a result): the source clip (an upload or one of the user's results)
is checked and probed before anything is charged, trimmed to what the model takes (the user is told), and queued
like any other job: the charge is the output's seconds, one for one.

A refine is a remix of the member's own result by words ("make it night"), through the server's video-to-video
model (Runway aleph2 and the like take the words; offline, ``local:restyle`` takes a style named in them, else
its default grade), recorded as a ``refine`` job: "refined from #12".

Length policy: a clip longer than the model's longest output is **trimmed** to it (its first N
seconds, said in a note); a clip shorter than the model's shortest output is refused.
"""

from __future__ import annotations

import asyncio
import math
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import InvalidMedia, InvalidOption, JobStateError, MediaError
from bot.i18n import phrase, said
from bot.media import Media
from bot.media.edits import sound_of
from bot.media.restyle import DEFAULT_STYLE, prepare_clip
from bot.media.sniff import sniff_container
from bot.prompt import STYLES, PromptSpec
from bot.providers.base import Capability, ModelInfo
from bot.providers.registry import ProviderRegistry
from bot.settings import Settings
from storage import JobInputs

if TYPE_CHECKING:
    from bot.services.requests.generation import GenerationService
    from bot.services.requests.requester import Requester, Submitted


@dataclass(frozen=True)
class RemixRequest:
    """A /remix whose options passed :meth:`Remixer.check`: the spec (model chosen), the model, the source job
    (None: an attached clip) and the strength."""

    spec: PromptSpec
    info: ModelInfo
    job: int | None
    strength: float | None


class Remixer:
    """Video to video: checks a /remix's options, then probes, trims and queues its source clip."""

    def __init__(self, registry: ProviderRegistry, settings: Settings, media: Media, core: GenerationService):
        self.registry = registry
        self.settings = settings
        self.media = media
        self.core = core  # the shared submit/queue core: whose results may be used, and queueing

    def check(
        self,
        *,
        video_bytes: int | None,
        job: int | None = None,
        prompt: str | None = None,
        style: str | None = None,
        model: str | None = None,
        strength: float | None = None,
    ) -> RemixRequest:
        """Everything that can be refused without looking at the clip (the Discord edge calls it before
        acknowledging): one source, the strength, the model, the prompt, and the clip's size (``video_bytes``:
        the attached clip's declared size; None: no clip)."""
        if (video_bytes is not None) == (job is not None):
            raise said(InvalidOption, "remix.one_source")
        if strength is not None and not 0.0 <= strength <= 1.0:
            raise said(InvalidOption, "remix.strength")
        if not prompt and not style:
            style = DEFAULT_STYLE  # a remix with nothing asked is a cinematic grade
        spec = PromptSpec.create(prompt, style=style, model=model, allow_empty_subject=True)
        info = self.registry.choose(spec.model, Capability.VIDEO_TO_VIDEO)
        if info.takes_prompt and not spec.text().strip():
            raise said(InvalidOption, "remix.needs_prompt", model=info.name)
        if video_bytes is not None:
            self._check_size(video_bytes)
        return RemixRequest(replace(spec, model=info.name), info, job, strength)

    def check_refine(self, job: int, change: str | None) -> RemixRequest:
        """✏️ Refine ``job`` by the words ``change``: what can be refused before its form is answered or the
        clip is read (no words, no video-to-video model)."""
        change = " ".join((change or "").split())
        if not change:
            raise said(InvalidOption, "refine.say_what")
        named = next((style for style in STYLES if style in change.lower()), None)
        request = self.check(video_bytes=None, job=job, prompt=change, style=named)
        if not request.info.takes_prompt and request.spec.style is None:  # a model without words: its default look
            request = replace(request, spec=replace(request.spec, style=DEFAULT_STYLE))
        return request

    def _check_size(self, size: int) -> None:
        cap = self.settings.max_video_bytes
        if size > cap:
            raise said(InvalidMedia, "remix.too_big", size=f"{size / 1_048_576:.1f}", cap=f"{cap / 1_048_576:.0f}")

    async def remix(
        self, who: Requester, request: RemixRequest, video: bytes | Path | None = None, *, kind: str = "remix"
    ) -> Submitted:
        """Probe the source (``video``, or the request's job), trim it to the model's limit, then queue the remix
        (``kind="refine"`` for a ✏️ Refine of a result)."""
        if (video is None) == (request.job is None):
            raise said(InvalidOption, "remix.one_source")
        spec, info, s = request.spec, request.info, self.settings
        parent_id: int | None = None
        raw: Path | None = None
        if request.job is not None:
            parent = await self.core.extendable(who, request.job)  # own, finished, still stored
            if parent.removed_at is not None:
                raise said(JobStateError, "remix.deleted", id=parent.id)
            source, parent_id = Path(str(parent.result_path)), parent.id
        else:
            assert video is not None
            data = video if isinstance(video, bytes) else await asyncio.to_thread(Path(video).read_bytes)
            self._check_size(len(data))  # the bytes themselves (the declared size may lie)
            raw = s.inputs_dir / f"upload-{secrets.token_hex(8)}.bin"
            raw.parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(raw.write_bytes, data)
            source = raw
        clip = s.inputs_dir / f"clip-{secrets.token_hex(8)}.mp4"
        sound = clip.with_name(f"{clip.stem}.sound.m4a")
        try:
            probed = await self._probe(source)
            longest = min(max(info.durations), info.max_input_seconds or math.inf)
            fitting = [d for d in info.durations if d <= min(probed.duration, longest) + 0.05]
            if not fitting:
                shortest = min(info.durations)
                raise said(
                    InvalidMedia, "remix.too_short", length=f"{probed.duration:.1f}", model=info.name, min=shortest
                )
            seconds = max(fitting)
            notes = []
            if probed.duration > seconds + 0.5:
                notes.append(
                    phrase(
                        "note.clip_cut",
                        length=f"{probed.duration:.1f}",
                        model=info.name,
                        limit=f"{longest:g}",
                        seconds=seconds,
                    )
                )
            await prepare_clip(self.media, source, clip, seconds=seconds)
            if probed.has_audio:  # the model gets the picture alone; the sound is laid under its result
                await sound_of(self.media, source, sound, seconds=seconds)
            spec = replace(spec, duration=seconds, aspect=_nearest_aspect(info, probed.width, probed.height))
            strength = request.strength if request.strength is not None else 0.8
            inputs = JobInputs(video=str(clip), strength=strength, audio=str(sound) if probed.has_audio else None)
            submitted = await self.core.queue(kind, who, spec, info, inputs, parent_job_id=parent_id)
            return replace(submitted, notes=tuple(notes))
        except BaseException:
            clip.unlink(missing_ok=True)  # a refused remix (probe, quota, queue) leaves nothing behind
            sound.unlink(missing_ok=True)
            raise
        finally:
            if raw is not None:
                raw.unlink(missing_ok=True)

    async def _probe(self, path: Path) -> Any:
        try:
            await asyncio.to_thread(sniff_container, path, kinds=("video",))
            info = await self.media.probe(path)
        except MediaError as exc:
            if "no video stream" in (exc.detail or ""):
                raise said(InvalidMedia, "remix.no_picture") from None
            raise said(InvalidMedia, "remix.not_a_video") from None
        if not info.width or not info.height:
            raise said(InvalidMedia, "remix.no_picture")
        if info.duration <= 0:
            raise said(InvalidMedia, "remix.not_a_video")
        return info


def _nearest_aspect(info: ModelInfo, width: int, height: int) -> str:
    def distance(aspect: str) -> float:
        w, h = (int(x) for x in aspect.split(":"))
        return abs(math.log((w / h) / (width / height)))

    return min(info.aspects, key=distance)
