"""What the local provider renders, model by model: previews (storyboard, motion), the offline restyle and
interpolation, and the edits of finished results (stitch, loop, soundtrack)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from bot.errors import InvalidMedia, InvalidOption
from bot.media import Media
from bot.media.edits import lay, soundtrack, stitch, transition
from bot.media.finish import finish
from bot.media.render import SIZES, output_size, render_motion, render_storyboard
from bot.media.restyle import DEFAULT_STRENGTH, restyle
from bot.providers.base import Capability, GenerationRequest, ModelInfo
from bot.providers.references import ReferenceSpec, names, plain_prompt

EDIT_MODEL = "local:edit"
MAX_EDIT_SECONDS = 600
EDIT_OPS = ("stitch", "loop", "soundtrack", "sequence")
XFADES = {"crossfade": "fade", "fade": "fadeblack"}  # a /sequence transition → ffmpeg's xfade name (cut: none)
FINISH_MODEL = "local:finish"
# minterpolate's motion search is slow: 9-16 s of CPU per second of a 720p draft (BENCHMARKS.md, "Finishing"), so a
# finish is capped at 20 s of clip (a few minutes on an idle two-core machine)
MAX_FINISH_SECONDS = 20

_DURATIONS = tuple(range(1, 11))
_PREVIEW_CAST = ReferenceSpec("", 9, "")  # previews take a cast but send no photos anywhere: plain names
MODELS: tuple[ModelInfo, ...] = (
    ModelInfo(
        name="local:motion",
        capabilities=frozenset({Capability.IMAGE_TO_VIDEO, Capability.REFERENCES}),
        durations=_DURATIONS,
        aspects=tuple(SIZES),
        description="Offline: animates your image (or a cast's first photo) with a camera move (no AI).",
        deadline_seconds=900,
        references=_PREVIEW_CAST,  # it animates only the first member's first photo: an honest preview
    ),
    ModelInfo(
        name="local:storyboard",
        capabilities=frozenset({Capability.TEXT_TO_VIDEO, Capability.REFERENCES}),
        durations=_DURATIONS,
        aspects=tuple(SIZES),
        description="Offline preview: your prompt (and the cast's names) on an animated storyboard card (no AI).",
        deadline_seconds=900,
        references=_PREVIEW_CAST,  # the names on the card
    ),
    ModelInfo(
        name="local:restyle",
        capabilities=frozenset({Capability.VIDEO_TO_VIDEO}),
        durations=_DURATIONS,
        aspects=tuple(SIZES),
        description="Offline: restyles your clip with the chosen style's colour grade and look, keeping its motion.",
        deadline_seconds=900,
        takes_prompt=False,
        max_input_seconds=float(_DURATIONS[-1]),
    ),
    ModelInfo(
        name="local:interpolate",
        capabilities=frozenset({Capability.INTERPOLATE}),
        durations=_DURATIONS,
        aspects=tuple(SIZES),
        description="Offline: a motion-interpolated transition from your first image to your last.",
        deadline_seconds=900,
        takes_prompt=False,
    ),
    ModelInfo(
        name=EDIT_MODEL,
        capabilities=frozenset({Capability.EDIT}),
        durations=tuple(range(1, MAX_EDIT_SECONDS + 1)),
        aspects=tuple(SIZES),
        description="Stitch, loop and soundtrack your results on the bot's machine (free of quota).",
        deadline_seconds=900,
        takes_prompt=False,
    ),
    ModelInfo(
        name=FINISH_MODEL,
        capabilities=frozenset({Capability.FINISH}),
        durations=tuple(range(1, MAX_FINISH_SECONDS + 1)),
        aspects=tuple(SIZES),
        description="Offline finish: lanczos upscaling and motion-interpolated frames (free of quota).",
        deadline_seconds=3600,
        takes_prompt=False,
        max_input_seconds=float(MAX_FINISH_SECONDS),
    ),
)


def check_files(model: ModelInfo, request: GenerationRequest) -> None:
    """Raise unless the request carries the inputs its model renders from, still on disk."""
    if model.can(Capability.IMAGE_TO_VIDEO) and request.image is None and not request.references:
        raise InvalidOption("local:motion animates an image: attach one.")
    if model.can(Capability.VIDEO_TO_VIDEO) and request.video is None:
        raise InvalidOption("local:restyle restyles a video: attach one.")
    if model.name == EDIT_MODEL:
        if request.extra.get("op") not in EDIT_OPS:
            raise InvalidOption("local:edit needs an edit (stitch, loop, soundtrack or a sequence's join).")
    elif model.name == FINISH_MODEL:
        if request.video is None or not {"width", "height", "fps"} <= set(request.extra):
            raise InvalidOption("local:finish finishes a result: it needs the clip, a size and a frame rate.")
    else:
        model.validate(request)
    cast = [p for r in request.references for p in (*r.photos, *([r.voice] if r.voice else []))]
    paths = [request.image, request.end_image, request.video, *map(Path, edit_paths(request)), *cast]
    for path in paths:
        if path is not None and not path.is_file():
            raise InvalidMedia("The file for this job is no longer available; please attach it again.")


def edit_paths(request: GenerationRequest) -> list[str]:
    """The files an edit reads besides ``request.video``."""
    out = list(json.loads(request.extra.get("sources", "[]")))
    return out + ([request.extra["audio"]] if request.extra.get("audio") else [])


async def _join(media: Media, request: GenerationRequest, dest: Path, on_progress: Callable[[float], None]) -> None:
    """A /sequence film: its made shots in order with its transition, then its soundtrack (``audio``) laid under
    the whole film: as its only sound, or (``mix`` ``under``) over the shots' own sound, which stays ducked."""
    extra = request.extra
    sources = [Path(p) for p in json.loads(extra["sources"])]
    xfade = XFADES.get(extra.get("transition", "cut"))
    overlap = float(extra.get("crossfade", 0)) if xfade else 0.0
    joined = dest.with_name(f"{dest.stem}.shots.mp4") if extra.get("audio") else dest
    if len(sources) == 1:
        await media.concat(sources, joined, on_progress=on_progress)
    else:
        await stitch(media, sources, joined, crossfade=overlap, xfade=xfade or "fade", on_progress=on_progress)
    if joined == dest:
        return
    try:
        await lay(media, joined, Path(extra["audio"]), dest, mix=extra.get("mix"))
    finally:
        joined.unlink(missing_ok=True)


def _caption(request: GenerationRequest) -> str:
    camera = (request.camera or "dolly_in").replace("_", " ")
    parts = [request.style, camera, f"{request.duration} s"]
    return " · ".join(p for p in parts if p)


async def render(
    media: Media,
    request: GenerationRequest,
    dest: Path,
    *,
    seed: int,
    on_progress: Callable[[float], None],
    scale: float = 1.0,
) -> None:
    """Render ``request`` to ``dest``; ``scale`` shrinks the frame of what is made from scratch (previews,
    restyles, interpolations), never a finish's asked-for size nor an edit of existing clips."""
    extra = request.extra
    if request.model == EDIT_MODEL:
        op = extra["op"]
        if op == "stitch":
            sources = [Path(p) for p in json.loads(extra["sources"])]
            await stitch(media, sources, dest, crossfade=float(extra.get("crossfade", 0)), on_progress=on_progress)
        elif op == "sequence":  # a /sequence film's join: the shots made, in order, with its transition
            await _join(media, request, dest, on_progress)
        elif op == "loop":
            assert request.video is not None
            await media.loop(request.video, dest, int(extra["times"]), on_progress=on_progress)
        else:
            assert request.video is not None
            await soundtrack(media, request.video, Path(extra["audio"]), dest, volume=float(extra.get("volume", 1)))
    elif request.model == FINISH_MODEL:
        assert request.video is not None
        size = (int(extra["width"]), int(extra["height"]))
        await finish(media, request.video, dest, size=size, fps=float(extra["fps"]), on_progress=on_progress)
    elif request.model == "local:restyle":
        assert request.video is not None
        await restyle(
            media,
            request.video,
            dest,
            style=request.style,
            seconds=request.duration,
            size=output_size(request.aspect, scale),
            strength=float(extra.get("strength", DEFAULT_STRENGTH)),
            on_progress=on_progress,
        )
    elif request.model == "local:interpolate":
        assert request.image is not None and request.end_image is not None
        await transition(
            media,
            request.image,
            request.end_image,
            dest,
            seconds=request.duration,
            size=output_size(request.aspect, scale),
            on_progress=on_progress,
        )
    elif request.model == "local:motion":
        start = request.image or request.references[0].photos[0]  # a cast alone: its first member's first photo
        await render_motion(
            media,
            start,
            dest,
            aspect=request.aspect,
            duration=request.duration,
            camera=request.camera,
            seed=seed,
            on_progress=on_progress,
            size=output_size(request.aspect, scale),
        )
    else:
        title = plain_prompt(request.title or request.prompt, request.references)
        if request.references:
            title = f"{title} — with {names(request.references)}"
        await render_storyboard(
            media,
            dest,
            title=title,
            caption=_caption(request),
            aspect=request.aspect,
            duration=request.duration,
            camera=request.camera,
            seed=seed,
            on_progress=on_progress,
            size=output_size(request.aspect, scale),
        )
