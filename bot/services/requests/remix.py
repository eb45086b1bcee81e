"""Video to video (/remix): the source clip (an upload or one of the user's results) is checked and
probed before anything is charged, trimmed to what the model takes (the user is told), and queued
like any other job: the charge is the output's seconds, one for one.

Length policy: a clip longer than the model's longest output is **trimmed** to it (its first N
seconds, said in a note); a clip shorter than the model's shortest output is refused.
"""

from __future__ import annotations

import asyncio
import math
import secrets
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import InvalidMedia, InvalidOption, MediaError
from bot.media.restyle import DEFAULT_STYLE, prepare_clip
from bot.media.sniff import sniff_container
from bot.prompt import PromptSpec
from bot.providers.base import Capability, ModelInfo
from storage import JobInputs

if TYPE_CHECKING:
    from bot.services.requests.generation import GenerationService, Requester, Submitted

NOT_A_VIDEO = "That file is not a video I can read: attach an MP4, MOV or WebM clip."
NO_PICTURE = "That file has no picture (no video stream), only sound: attach a video clip (MP4, MOV or WebM)."


def check_remix(
    service: GenerationService,
    *,
    has_video: bool,
    job: int | None,
    prompt: str | None,
    style: str | None,
    model: str | None,
    strength: float | None,
) -> tuple[PromptSpec, ModelInfo]:
    """Everything that can be refused without looking at the clip (called before acknowledging)."""
    if has_video == (job is not None):
        raise InvalidOption("Give exactly one source: attach a `video`, or pick one of your results as `job`.")
    if strength is not None and not 0.0 <= strength <= 1.0:
        raise InvalidOption("`strength` goes from 0 (keep the original) to 1 (fully restyled).")
    if not prompt and not style:
        style = DEFAULT_STYLE  # a remix with nothing asked is a cinematic grade
    spec = PromptSpec.create(prompt, style=style, model=model, allow_empty_subject=True)
    info = service.registry.choose(spec.model, Capability.VIDEO_TO_VIDEO)
    if info.takes_prompt and not spec.text().strip():
        raise InvalidOption(f"{info.name} needs a prompt describing the new look.")
    return replace(spec, model=info.name), info


def _nearest_aspect(info: ModelInfo, width: int, height: int) -> str:
    def distance(aspect: str) -> float:
        w, h = (int(x) for x in aspect.split(":"))
        return abs(math.log((w / h) / (width / height)))

    return min(info.aspects, key=distance)


async def remix(
    service: GenerationService,
    who: Requester,
    *,
    video: bytes | Path | None = None,
    job: int | None = None,
    prompt: str | None = None,
    style: str | None = None,
    model: str | None = None,
    strength: float | None = None,
) -> Submitted:
    """Check and probe the source, trim it to the model's limit, then queue the remix."""
    spec, info = check_remix(service, has_video=video is not None, job=job, prompt=prompt, style=style,
                             model=model, strength=strength)  # fmt: skip
    s = service.settings
    parent_id: int | None = None
    raw: Path | None = None
    if job is not None:
        parent = await service.extendable(who, job)  # own, finished, still stored
        source, parent_id = Path(str(parent.result_path)), parent.id
    else:
        assert video is not None
        data = video if isinstance(video, bytes) else await asyncio.to_thread(Path(video).read_bytes)
        if len(data) > s.max_video_bytes:
            raise InvalidMedia(f"That clip is {len(data) / 1_048_576:.1f} MiB; clips up to "
                               f"{s.max_video_bytes / 1_048_576:.0f} MiB are accepted.")  # fmt: skip
        raw = s.inputs_dir / f"upload-{secrets.token_hex(8)}.bin"
        raw.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(raw.write_bytes, data)
        source = raw
    clip = s.inputs_dir / f"clip-{secrets.token_hex(8)}.mp4"
    try:
        probed = await _probe_video(service, source)
        longest = min(max(info.durations), info.max_input_seconds or math.inf)
        fitting = [d for d in info.durations if d <= min(probed.duration, longest) + 0.05]
        if not fitting:
            raise InvalidMedia(f"That clip is {probed.duration:.1f} s; {info.name} needs at least "
                               f"{min(info.durations)} s.")  # fmt: skip
        seconds = max(fitting)
        notes = []
        if probed.duration > seconds + 0.5:
            notes.append(f"Your clip is {probed.duration:.1f} s; {info.name} makes remixes of up to {longest:g} s, "
                         f"so its first {seconds} s are used.")  # fmt: skip
        await prepare_clip(service.media, source, clip, seconds=seconds)
        spec = replace(spec, duration=seconds, aspect=_nearest_aspect(info, probed.width, probed.height))
        inputs = JobInputs(video=str(clip), strength=strength if strength is not None else 0.8)
        submitted = await service.queue("remix", who, spec, info, inputs, parent_job_id=parent_id)
        return replace(submitted, notes=tuple(notes))
    except BaseException:
        clip.unlink(missing_ok=True)  # a refused remix (probe, quota, queue) leaves nothing behind
        raise
    finally:
        if raw is not None:
            raw.unlink(missing_ok=True)


async def _probe_video(service: GenerationService, path: Path) -> Any:
    try:
        await asyncio.to_thread(sniff_container, path, kinds=("video",))
        info = await service.media.probe(path)
    except MediaError as exc:
        if "no video stream" in (exc.detail or ""):
            raise InvalidMedia(NO_PICTURE) from None
        raise InvalidMedia(NOT_A_VIDEO) from None
    if not info.width or not info.height:
        raise InvalidMedia(NO_PICTURE)
    if info.duration <= 0:
        raise InvalidMedia(NOT_A_VIDEO)
    return info
