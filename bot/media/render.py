"""The offline renderer behind the ``local`` provider: stills animated by a camera move.

Both kinds start from one picture held by Pillow at 1.5x the output size: the user's image (cropped to
the aspect) or a storyboard background.  It is converted once to BT.709 Y, Cb and Cr planes; then,
frame by frame, Pillow's C resampler cuts the camera's viewing window (see :mod:`bot.media.camera`)
out of each plane with sub-pixel precision and scales it to the output size: ``resize`` with the
window as its box (a separable, antialiased Hamming filter) when the window is upright, an affine
``transform`` when it is turned (orbit, handheld).  So slow moves glide instead of stepping a whole
pixel at a time, and zooming in stays sharp.  The frames go to one ffmpeg process as raw yuv420p on
its standard input, written from a worker thread while ffmpeg encodes (Pillow releases the GIL).  A
storyboard then drifts its hue and lays the text card on top, still.  Frames are numbered, not timed,
so a clip has exactly ``duration * 24`` frames.

(Until issue 18 the window was cut by ffmpeg's ``perspective`` filter, evaluated every frame over the
1.5x picture and area-scaled down: the same picture, closer to a 16-sample reference on every measured
move, at about a third of the CPU; BENCHMARKS.md, "Offline renders".)
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ffmpeg as ffmpeg_lib
from PIL import Image, ImageOps

from bot.media import card as _card
from bot.media.camera import Move, corners, make_move
from bot.media.ffmpeg import ProgressCallback, atomic_output, compile_args, open_input, prepare_dest
from bot.media.images import load_rgb, recall_clean, save_png
from bot.media.ops import H264
from bot.media.probe import MediaInfo
from bot.media.sniff import Container

if TYPE_CHECKING:
    from bot.media.media import Media

FPS = 24
SUPERSAMPLE = 1.5
_FRAME_THREADS = 2  # frames cut at once (the machines this runs on have 2 cores or more)
_LOOKAHEAD = 4  # frames cut ahead of the encoder at most
# x264's default (the plain zoompan command's), about a seventh less encoding CPU than CRF 20: on that command's own
# move the picture stays above its, against the 16-sample reference (BENCHMARKS.md, "Offline renders")
CRF = 23
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
# RGB -> BT.709 limited-range Y'CbCr (8 bit): Y' in 16..235, Cb and Cr in 16..240 (ITU-R BT.709-6, table 3).
_KR, _KB = 0.2126, 0.0722
_KG = 1 - _KR - _KB
_YCBCR_709 = (
    *(219 / 255 * k for k in (_KR, _KG, _KB)),
    16.0,
    *(224 / 255 * k for k in (-_KR / (2 - 2 * _KB), -_KG / (2 - 2 * _KB), 0.5)),
    128.0,
    *(224 / 255 * k for k in (0.5, -_KG / (2 - 2 * _KR), -_KB / (2 - 2 * _KR))),
    128.0,
)


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


def prepare_still(image: Path, size: tuple[int, int]) -> Image.Image:
    """The image cropped to the output's aspect and scaled to the render size."""
    picture = recall_clean(image)  # an upload this process just accepted: its pixels, not a second decode
    if picture is None:
        picture, _ = load_rgb(image, max_bytes=_MAX_SOURCE_BYTES, max_pixels=_MAX_SOURCE_PIXELS)
    return ImageOps.fit(picture, _source_size(size), Image.Resampling.LANCZOS)


def prepare_storyboard(
    size: tuple[int, int], title: str, caption: str, seed: int, folder: Path
) -> tuple[Image.Image, Path]:
    """The storyboard's background (render size) and its text card (output size, as a PNG for ffmpeg)."""
    background = _card.background(_source_size(size), title, seed)
    layer = _card.card(size, title, caption)
    return background, save_png(layer, folder / "card.png", compress_level=1)


def yuv_planes(still: Image.Image) -> tuple[Image.Image, Image.Image, Image.Image]:
    """``still`` (RGB, even sides) as BT.709 limited-range Y, Cb and Cr planes, the chroma at half size (4:2:0)."""
    luma, cb, cr = still.convert("RGB", _YCBCR_709).split()
    return luma, cb.reduce(2), cr.reduce(2)


def _cut(plane: Image.Image, window: list[tuple[float, float]], size: tuple[int, int]) -> bytes:
    """The window (corners in ``plane`` pixels: top-left, top-right, bottom-left) scaled to ``size``."""
    (x0, y0), (x1, y1), (x2, y2) = window
    if y1 == y0 and x2 == x0:  # upright: a separable, antialiased resize of the window's box
        box = (max(0.0, x0), max(0.0, y0), min(float(plane.width), x1), min(float(plane.height), y2))
        # Hamming: bilinear's support and CPU, closer to the 16-sample reference (bench/bench_render_quality.py)
        return plane.resize(size, Image.Resampling.HAMMING, box=box).tobytes()
    affine = ((x1 - x0) / size[0], (x2 - x0) / size[1], x0, (y1 - y0) / size[0], (y2 - y0) / size[1], y0)
    return plane.transform(size, Image.Transform.AFFINE, affine, Image.Resampling.BILINEAR).tobytes()


def camera_frames(still: Image.Image, move: Move, size: tuple[int, int], frames: int) -> Iterator[bytes]:
    """``frames`` raw yuv420p frames of ``size``: the move's window over ``still``, cut with sub-pixel precision.

    Two frames are cut at a time on a small pool (Pillow's resampler releases the GIL), a few frames ahead of
    the reader at most, so a lone render uses both cores beside the encoder without holding many frames."""
    planes = yuv_planes(still)
    width, height = float(still.width), float(still.height)

    def frame(n: int) -> bytes:
        points = corners(move(n / max(1, frames - 1), n / FPS), width, height)[:3]
        return b"".join(
            _cut(plane, [(x / scale, y / scale) for x, y in points], (size[0] // scale, size[1] // scale))
            for plane, scale in zip(planes, (1, 2, 2), strict=True)
        )

    with ThreadPoolExecutor(max_workers=_FRAME_THREADS, thread_name_prefix="frames") as pool:
        ahead: deque[Future[bytes]] = deque()
        for n in range(frames):
            ahead.append(pool.submit(frame, n))
            if len(ahead) > _LOOKAHEAD:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()


async def _animate(
    media: Media,
    still: Image.Image,
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
    raw = {"f": "rawvideo", "pix_fmt": "yuv420p", "s": f"{size[0]}x{size[1]}", "r": FPS}
    video = (
        ffmpeg_lib.input("pipe:0", protocol_whitelist="pipe", **raw)
        .video.filter("setsar", 1)
        # the frames are BT.709 limited range already: said so, ffmpeg converts nothing (untagged, it would take
        # them for BT.601 and convert them to the BT.709 the output is tagged with, shifting every colour)
        .filter("setparams", range="tv", colorspace="bt709", color_primaries="bt709", color_trc="bt709")
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
    options: dict[str, Any] = {**H264, **_BT709, "crf": CRF, "r": FPS, "frames:v": frames}
    pictures = camera_frames(still, make_move(camera, seed), size, frames)
    with atomic_output(dest) as tmp:
        out = video.output(str(tmp), **options)
        await media.run(compile_args(out), on_progress=on_progress, expected_duration=float(duration), feed=pictures)
    dest = prepare_dest(dest)
    media.note(dest, made(size, frames))  # what a probe would read: the job's checks need not run ffmpeg again
    return dest


def made(size: tuple[int, int], frames: int) -> MediaInfo:
    """What a render of ``frames`` frames of ``size`` is (tests/media/test_render.py holds it to a probe's
    reading): H.264 High (x264 veryfast makes 8x8 transforms), yuv420p, 24 fps, no sound, MP4."""
    return MediaInfo(
        duration=frames / FPS,
        width=size[0],
        height=size[1],
        codec="h264",
        pix_fmt=H264["pix_fmt"],
        fps=float(FPS),
        has_audio=False,
        size_bytes=0,  # (noted with the file's)
        format_name="mov,mp4,m4a,3gp,3g2,mj2",
        frame_count=frames,
        profile="High",
    )


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
    still = await asyncio.to_thread(prepare_still, image, size)
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
