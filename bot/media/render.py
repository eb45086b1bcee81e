"""The offline renderer behind the ``local`` provider: stills animated by a camera move.

Both kinds start from one picture written by Pillow at 1.5x the output size: the user's image
(cropped to the aspect) or a storyboard background.  ffmpeg converts it to YUV once, repeats it for
every frame (``loop``), moves a sub-pixel viewing window over it (``perspective``, see
:mod:`bot.media.camera`) and scales the window down to the output size with area averaging (so
zooming in stays sharp).  A storyboard then drifts its hue and lays the text card on top, still.
Frames are numbered, not timed, so a clip has exactly ``duration * 24`` frames.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ffmpeg as ffmpeg_lib
from PIL import Image, ImageOps

from bot.media import card as _card
from bot.media.camera import make_move, perspective_args
from bot.media.ffmpeg import ProgressCallback, atomic_output, compile_args, open_input, prepare_dest
from bot.media.images import load_rgb, save_png
from bot.media.ops import H264
from bot.media.sniff import Container

if TYPE_CHECKING:
    from bot.media.media import Media

FPS = 24
SUPERSAMPLE = 1.5
# Output sizes: long side at most 1280 and at most 1280x720's pixel count, exact ratio, even sides.
SIZES: dict[str, tuple[int, int]] = {
    "16:9": (1280, 720),
    "9:16": (720, 1280),
    "1:1": (960, 960),
    "4:3": (1104, 828),
    "3:4": (828, 1104),
    "21:9": (1280, 548),
}
_BT709 = {"colorspace": "bt709", "color_primaries": "bt709", "color_trc": "bt709"}
_MAX_SOURCE_BYTES = 200 * 1024 * 1024
_MAX_SOURCE_PIXELS = 100_000_000


def output_size(aspect: str, scale: float = 1.0) -> tuple[int, int]:
    """The frame size for an aspect ratio, each side times ``scale`` (``VIDEOBOT_LOCAL_SCALE``), kept even."""
    if aspect not in SIZES:
        raise ValueError(f"unsupported aspect {aspect!r}")
    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1], got {scale!r}")
    if scale == 1:
        return SIZES[aspect]
    width, height = SIZES[aspect]
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _source_size(size: tuple[int, int]) -> tuple[int, int]:
    return (round(size[0] * SUPERSAMPLE / 2) * 2, round(size[1] * SUPERSAMPLE / 2) * 2)


def prepare_still(image: Path, size: tuple[int, int], dest: Path) -> Path:
    """The image cropped to the output's aspect and scaled to the render size, as a fresh PNG."""
    picture, _ = load_rgb(image, max_bytes=_MAX_SOURCE_BYTES, max_pixels=_MAX_SOURCE_PIXELS)
    fitted = ImageOps.fit(picture, _source_size(size), Image.Resampling.LANCZOS)
    return save_png(fitted, dest, compress_level=1)


def prepare_storyboard(size: tuple[int, int], title: str, caption: str, seed: int, folder: Path) -> tuple[Path, Path]:
    """The storyboard's background (render size) and text card (output size) as PNGs."""
    background = _card.background(_source_size(size), title, seed)
    layer = _card.card(size, title, caption)
    return (
        save_png(background, folder / "background.png", compress_level=1),
        save_png(layer, folder / "card.png", compress_level=1),
    )


async def _animate(
    media: Media,
    still: Path,
    dest: Path,
    *,
    size: tuple[int, int],
    duration: int,
    camera: str | None,
    seed: int,
    overlay: Path | None = None,
    on_progress: ProgressCallback | None = None,
) -> Path:
    frames = duration * FPS
    video = (
        open_input(still, kind=Container.PNG)
        .video.filter("scale", out_color_matrix="bt709", out_range="tv")
        .filter("format", "yuv420p")
        .filter("loop", loop=frames - 1, size=1, start=0)
        .filter("setpts", f"N/({FPS}*TB)")
        .filter("perspective", **perspective_args(make_move(camera, seed), frames, FPS))
        .filter("scale", size[0], size[1], flags="area")
        .filter("setsar", 1)
    )
    if overlay is not None:
        # the colours drift slowly around the palette; the text card stays still and sharp on top
        video = video.filter("hue", h=f"24*sin(2*PI*t/{duration * 2})")
        layer = (
            open_input(overlay, kind=Container.PNG)
            .video.filter("scale", out_color_matrix="bt709", out_range="tv")
            .filter("format", "yuva420p")
        )
        video = ffmpeg_lib.filter([video, layer], "overlay", x=0, y=0, eof_action="repeat")
        video = video.filter("format", "yuv420p")
    options: dict[str, Any] = {**H264, **_BT709, "r": FPS, "frames:v": frames}
    with atomic_output(dest) as tmp:
        out = video.output(str(tmp), **options)
        await media.run(compile_args(out), on_progress=on_progress, expected_duration=float(duration))
    return prepare_dest(dest)


async def render_motion(
    media: Media,
    image: Path,
    dest: Path,
    *,
    aspect: str,
    duration: int,
    camera: str | None,
    seed: int,
    on_progress: ProgressCallback | None = None,
    size: tuple[int, int] | None = None,
) -> Path:
    """Animate ``image`` with the camera move; ``size`` overrides the aspect's size (tests)."""
    size = size or output_size(aspect)
    dest = prepare_dest(dest)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".render-") as folder:
        still = await asyncio.to_thread(prepare_still, image, size, Path(folder) / "still.png")
        return await _animate(
            media, still, dest, size=size, duration=duration, camera=camera, seed=seed, on_progress=on_progress
        )


async def render_storyboard(
    media: Media,
    dest: Path,
    *,
    title: str,
    caption: str,
    aspect: str,
    duration: int,
    camera: str | None,
    seed: int,
    on_progress: ProgressCallback | None = None,
    size: tuple[int, int] | None = None,
) -> Path:
    """A text card over a drifting, camera-moved background."""
    size = size or output_size(aspect)
    dest = prepare_dest(dest)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".render-") as folder:
        background, layer = await asyncio.to_thread(prepare_storyboard, size, title, caption, seed, Path(folder))
        return await _animate(
            media,
            background,
            dest,
            size=size,
            duration=duration,
            camera=camera,
            seed=seed,
            overlay=layer,
            on_progress=on_progress,
        )
