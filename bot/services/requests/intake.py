"""What a request is made of, before it becomes a job: the stored upload and the cache fingerprint."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.errors import InvalidPrompt
from bot.i18n import phrase, said
from bot.media import ImageInfo, accept_image
from bot.prompt import PromptSpec
from bot.providers.base import Capability, ModelInfo
from bot.settings import Settings
from storage import Job, JobInputs, Storage

log = logging.getLogger(__name__)


async def store_upload(settings: Settings, image: bytes | Path) -> tuple[Path, bool]:
    """Check an uploaded image from its bytes and store a clean PNG of it (the only copy we use);
    return it and whether the upload was an animation (of which the first frame is used).

    Decoding runs in a thread: a 40-megapixel image takes seconds, and the event loop must keep
    acknowledging other users meanwhile.  Each submit gets its own file, so deleting it when the
    submit is refused can never take the file of another job made from the same bytes."""
    dest, info = await asyncio.to_thread(_store, settings, image)
    log.debug("image accepted: %s", info)
    return dest, info.animated


def _store(settings: Settings, image: bytes | Path) -> tuple[Path, ImageInfo]:
    """The upload checked and decoded once (:func:`~bot.media.images.accept_image`), its clean PNG named by the
    upload's hash and a token; a refused upload leaves nothing behind."""
    s = settings
    s.inputs_dir.mkdir(parents=True, exist_ok=True)
    tmp = s.inputs_dir / f".upload-{secrets.token_hex(8)}.png"
    try:
        info = accept_image(image, tmp, max_bytes=s.max_image_bytes, max_pixels=s.max_image_pixels)
        data = image if isinstance(image, bytes) else image.read_bytes()  # (accepted: at most max_image_bytes)
        dest = s.inputs_dir / f"{hashlib.sha256(data).hexdigest()[:32]}-{secrets.token_hex(4)}.png"
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest, info


def parts_without_subject(spec: PromptSpec) -> dict[str, Any]:
    return {
        "setting": spec.setting,
        "camera": spec.camera,
        "style": spec.style,
        "lighting": spec.lighting,
        "details": spec.details,
        "negative": spec.negative,
        "duration": spec.duration,
        "aspect": spec.aspect,
        "seed": spec.seed,
        "model": spec.model,
        "audio": spec.audio,
    }


def request_fingerprint(kind: str, spec: PromptSpec, inputs: JobInputs) -> str:
    """A hash of the normalised request (image by content), for the result cache.  The payload is the one
    earlier versions hashed from the inputs dict, key for key, so stored fingerprints still match."""

    def content(path: str | None) -> str | None:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None

    payload: dict[str, Any] = {
        "kind": "extend" if kind == "extend" else "generate",
        "spec": {k: v for k, v in spec.to_dict().items()},
        "image": content(inputs.image),
        "end_image": content(inputs.end_image),
        "loop": inputs.loop,
        "extend": inputs.extend_task_id or inputs.concat_with,
    }
    if inputs.video:  # only present for remixes and edits, so other kinds keep their fingerprints
        payload.update(kind=kind, video=content(inputs.video), strength=inputs.strength)
    if inputs.op:  # edits: the same sources and options make the same result
        payload.update(
            kind=kind,
            audio=content(inputs.audio),
            sources=inputs.sources,
            times=inputs.times,
            crossfade=inputs.crossfade,
            volume=inputs.volume,
        )
    if inputs.cast:  # the same words with other photos are another request (files are named by content hash)
        payload["cast"] = [
            [c.name, [Path(p).name for p in c.photos], c.voice and Path(c.voice).name, c.description]
            for c in inputs.cast
        ]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def fit_spec(spec: PromptSpec, info: ModelInfo, needs: frozenset[Capability]) -> PromptSpec:
    """The spec as ``info`` makes it for a request with these ``needs``: defaults filled in, the neutral motion
    prompt where the model needs a prompt for media it animates or continues and has none, a seed the bot chose
    (a parent's, say) folded into the model's range.  (Text and video to video keep their own prompt: the
    member's words are the whole request there, so an empty one is refused, never made up.)"""
    has_media = Capability.TEXT_TO_VIDEO not in needs
    duration, aspect = info.defaults(spec.duration, spec.aspect, has_media=has_media)
    info.check_duration(duration)
    info.check_aspect(aspect, has_media=has_media)
    animated = bool(needs & {Capability.IMAGE_TO_VIDEO, Capability.INTERPOLATE, Capability.EXTEND})
    spec = spec.with_motion_prompt(animated and info.needs_prompt(needs))
    if info.needs_prompt(needs) and not spec.text().strip():
        raise said(InvalidPrompt, "prompt.needed", model=info.name)
    info.check_prompt(spec.text())
    if spec.seed is not None and info.seed_max is not None and spec.seed > info.seed_max:
        spec = replace(spec, seed=info.fit_seed(spec.seed))  # a member's own seed was refused up front
    return replace(spec, duration=duration, aspect=aspect, model=info.name)


def motion_note(spec: PromptSpec, info: ModelInfo) -> str:
    """What a member is told when the neutral motion prompt stood in for theirs."""
    return phrase("note.motion_prompt", model=info.name, prompt=spec.text())


HOUR = 3600.0


async def made_in_the_last_hour(
    storage: Storage, user_id: int, limit: int, now: float, counts: Callable[[Job], bool]
) -> bool:
    """Whether ``user_id`` already made ``limit`` jobs that ``counts`` in the hour before ``now`` (the hourly limits
    of the edits and of sound, ``VIDEOBOT_EDITS_PER_HOUR``); only the newest ``limit + 1`` jobs are read."""
    recent = await storage.jobs.search(owner_id=user_id, limit=limit + 1)
    return sum(1 for j in recent if counts(j) and j.created_at > now - HOUR) >= limit
