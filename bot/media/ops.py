"""Single-input operations behind :class:`~bot.media.media.Media` (last frame, resize, loop, sound…)."""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import ffmpeg as ffmpeg_lib
from PIL import Image, ImageOps

from bot.errors import MediaError
from bot.media.ffmpeg import (
    ProgressCallback,
    atomic_output,
    compile_args,
    input_args,
    open_input,
    option_args,
    prepare_dest,
)
from bot.media.probe import MediaInfo
from bot.media.sniff import Container, sniff_container

if TYPE_CHECKING:
    from bot.media.media import Media

# The encoder settings of every video we write.  veryfast keeps a 5 s 720p render well under real
# time on two cores; CRF 20 is visually clean for previews and small enough for Discord.
H264: dict[str, Any] = {
    "c:v": "libx264",
    "preset": "veryfast",
    "crf": 20,
    "pix_fmt": "yuv420p",
    "movflags": "+faststart",
    "map_metadata": -1,
    "f": "mp4",
}
AAC: dict[str, Any] = {"c:a": "aac", "b:a": "128k", "ac": 2}
MAX_FRAMES = 10_000


def require_video(info: MediaInfo, what: str = "The file") -> None:
    """Raise MediaError unless ``info`` describes a moving picture with a duration."""
    if info.duration <= 0:
        raise MediaError(f"{what} is not a video.", detail=f"duration {info.duration} in {info.format_name}")


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def check_size(width: int, height: int) -> None:
    """Raise ValueError unless width x height is an even size H.264 can encode."""
    if not (2 <= width <= 8192 and 2 <= height <= 8192) or width % 2 or height % 2:
        raise ValueError(f"output size must be even and within 2..8192, got {width}x{height}")


async def encode(
    media: Media,
    streams: Sequence[Any],
    dest: Path,
    *,
    audio: bool,
    expected: float | None,
    on_progress: ProgressCallback | None = None,
    without: Sequence[str] = (),
    **options: Any,
) -> Path:
    """Encode ``streams`` to an H.264/AAC MP4 at ``dest`` (atomically); ``without`` drops default options."""
    with atomic_output(dest) as tmp:
        settings = {**H264, **(AAC if audio else {}), **options}
        for key in without:
            settings.pop(key, None)
        out = ffmpeg_lib.output(*streams, str(tmp), **settings)
        await media.run(compile_args(out), on_progress=on_progress, expected_duration=expected)
    return prepare_dest(dest)


async def last_frame(media: Media, video: Path, dest: Path) -> Path:
    """The last decodable frame as an RGB PNG (seeks near the end; falls back to a full decode)."""
    require_video(await media.probe(video), "The clip")
    last_error: MediaError | None = None
    for seek in (-1.5, None):
        options: dict[str, Any] = {"sseof": seek} if seek is not None else {}
        try:
            with atomic_output(dest) as tmp:
                out = open_input(video, **options).video.output(
                    str(tmp), f="image2", update=1, vcodec="png", pix_fmt="rgb24", map_metadata=-1
                )
                await media.run(compile_args(out), quick=True)
            return prepare_dest(dest)
        except MediaError as exc:  # a seek past a very short clip's start can yield nothing
            last_error = exc
    assert last_error is not None
    raise last_error


async def still(media: Media, video: Path, dest: Path, width: int, *, last: bool = False) -> Path:
    """A small JPEG (at most ``width`` wide) of the first frame, or with ``last`` the last decodable one."""
    require_video(await media.probe(video), "The clip")
    frame = Frame(dest, width, last=last)
    last_error: MediaError | None = None
    for seek in (-1.0, None) if last else (None,):
        options: dict[str, Any] = {"sseof": seek} if seek is not None else {}
        try:
            with atomic_output(dest) as tmp:
                out = open_input(video, **options).video.filter("scale", f"min({width},iw)", -2)
                await media.run(compile_args(out.output(str(tmp), **frame.output())), quick=True)
            return prepare_dest(dest)
        except MediaError as exc:  # a seek past a very short clip's start can yield nothing
            last_error = exc
    assert last_error is not None
    raise last_error


@dataclass(frozen=True)
class Frame:
    """One still to take from a video: a JPEG at ``dest`` at most ``width`` wide, of the first frame, of the frame
    at ``at`` seconds, or with ``last`` of the last decodable one."""

    dest: Path
    width: int
    at: float | None = None
    last: bool = False

    def seek(self) -> dict[str, Any]:
        """The input options that reach this frame (``-sseof -1``: near the end, the last frame written wins)."""
        if self.last:
            return {"sseof": -1.0}
        return {"ss": self.at} if self.at else {}

    def output(self) -> dict[str, Any]:
        """The output options: one frame, or with ``last`` every frame overwriting the file (the last wins)."""
        frames: dict[str, Any] = {"update": 1} if self.last else {"vframes": 1}
        return {"f": "image2", "vcodec": "mjpeg", "pix_fmt": "yuvj420p", "q": 4, "map_metadata": -1, **frames}

    def seeked(self, video: Path, container: Container, index: int) -> tuple[list[str], str, list[str]]:
        """This still from a run of its own seek, single-threaded, as plain arguments: (the input's arguments,
        the chain from input ``index`` to the label ``[s<index>]``, the output's options before its file).

        The decoder, filters and encoder take one thread each (``threads`` 1): a still is a short run and up to
        two share each core (``QUICK_RUNS_PER_CORE``), so a pool of threads per run only adds their start-up and
        hand-offs (a 5 s 720p clip's first and last frame: 415 -> 246 ms CPU with the change below, 2026-12-06).
        The last frame: the second or so that ``-sseof -1`` leaves is reversed, so the last frame comes out
        first and is the one frame encoded, instead of every frame encoded and written over the one before
        (the same JPEG, byte for byte).  ``reverse`` holds those frames, scaled, until the input ends: a
        second's worth after the seek (the fallback without a seek, :func:`still`, keeps overwriting)."""
        chain = f"[{index}:v]scale=min({self.width}\\,iw):-2{',reverse' if self.last else ''}[s{index}]"
        options = {**self.output(), "threads": 1}
        if self.last:
            options["vframes"] = 1  # (``update`` stays: one file, not a numbered sequence)
        return input_args(video, container, **self.seek(), threads=1), chain, option_args(options)


async def stills(media: Media, video: Path, frames: Sequence[Frame], info: MediaInfo | None = None) -> None:
    """Several stills of one video in ONE ffmpeg run (one input per seek, one output each), with no probe: the
    caller knows ``video`` is a video (``info``, when given, is checked).  A run that fails (a seek past a very
    short clip's start, a file with no picture) falls back to one run per still, which probes and explains."""
    if info is not None:
        require_video(info, "The clip")
    if not frames:
        return
    dests = [prepare_dest(frame.dest) for frame in frames]
    tmps = [dest.with_name(f".{dest.stem}.{secrets.token_hex(4)}.tmp{dest.suffix}") for dest in dests]
    try:
        inputs: list[str] = []
        chains: list[str] = []
        outputs: list[str] = []
        source, container = Path(video).resolve(), sniff_container(video)
        for index, (frame, tmp) in enumerate(zip(frames, tmps, strict=True)):
            args, chain, options = frame.seeked(source, container, index)
            inputs += args
            chains.append(chain)
            outputs += ["-map", f"[s{index}]", *options, str(tmp)]
        graph = ["-filter_complex", ";".join(chains), "-filter_complex_threads", "1"]
        try:
            await media.run([*inputs, *graph, *outputs], quick=True)
            whole = all(tmp.exists() and tmp.stat().st_size > 0 for tmp in tmps)
        except MediaError:
            whole = False
        if whole:
            for tmp, dest in zip(tmps, dests, strict=True):
                os.replace(tmp, dest)
            return
    finally:
        for tmp in tmps:
            tmp.unlink(missing_ok=True)
    for frame in frames:  # one run each: the first frame, a frame at a time, the last frame with its fallback
        if frame.at and not frame.last:
            await _still_at(media, video, frame)
        else:
            await still(media, video, frame.dest, frame.width, last=frame.last)


async def _still_at(media: Media, video: Path, frame: Frame) -> None:
    with atomic_output(frame.dest) as tmp:
        out = open_input(video, ss=frame.at).video.filter("scale", f"min({frame.width},iw)", -2)
        await media.run(compile_args(out.output(str(tmp), **frame.output())), quick=True)


async def resize(
    media: Media,
    src: Path,
    dest: Path,
    width: int,
    height: int,
    *,
    mode: Literal["fit", "fill", "stretch"] = "fit",
    on_progress: ProgressCallback | None = None,
) -> Path:
    """Scale to exactly width x height (fit pads, fill crops, stretch distorts)."""
    check_size(width, height)
    info = await media.probe(src)
    inp = open_input(src)
    video = inp.video
    if mode == "fit":
        video = video.filter("scale", width, height, force_original_aspect_ratio="decrease", flags="lanczos")
        video = video.filter("pad", width, height, "(ow-iw)/2", "(oh-ih)/2", color="black")
    elif mode == "fill":
        video = video.filter("scale", width, height, force_original_aspect_ratio="increase", flags="lanczos")
        video = video.filter("crop", width, height)
    else:
        video = video.filter("scale", width, height, flags="lanczos")
    video = video.filter("setsar", 1)
    streams = [video, inp.audio] if info.has_audio else [video]
    return await encode(media, streams, dest, audio=info.has_audio, expected=info.duration, on_progress=on_progress)


async def loop(media: Media, src: Path, dest: Path, times: int, *, on_progress: ProgressCallback | None = None) -> Path:
    """The clip played ``times`` times (1..100)."""
    if not 1 <= times <= 100:
        raise ValueError("times must be within 1..100")
    info = await media.probe(src)
    inp = open_input(src, stream_loop=times - 1)
    streams = [inp.video, inp.audio] if info.has_audio else [inp.video]
    return await encode(
        media, streams, dest, audio=info.has_audio, expected=info.duration * times, on_progress=on_progress
    )


async def add_audio(media: Media, video: Path, audio: Path, dest: Path) -> Path:
    """The video with ``audio`` as its only sound, cut to the shorter of the two."""
    info = await media.probe(video)
    sound = open_input(audio, kind=sniff_container(audio, kinds=("audio", "video"))).audio
    picture = open_input(video).video
    if info.is_h264_mp4:  # the picture is already what we deliver: do not re-encode it
        settings: dict[str, Any] = {"c:v": "copy", "movflags": "+faststart", "f": "mp4", "map_metadata": -1}
        with atomic_output(dest) as tmp:
            out = ffmpeg_lib.output(picture, sound, str(tmp), shortest=None, **settings, **AAC)
            await media.run(compile_args(out))
        return prepare_dest(dest)
    return await encode(media, [picture, sound], dest, audio=True, expected=info.duration, shortest=None)


def _write_png_stream(frames: Sequence[Path], target: Path) -> tuple[int, int]:
    """Decode each image with Pillow and append it, re-encoded, to one PNG stream file."""
    size: tuple[int, int] | None = None
    with open(target, "wb") as out:
        for frame in frames:
            try:
                with Image.open(frame, formats=["PNG", "JPEG", "WEBP", "GIF"]) as opened:
                    image = ImageOps.exif_transpose(opened).convert("RGB")
            except (OSError, ValueError, Image.DecompressionBombError) as exc:
                raise MediaError("One of the frames is not a readable image.", detail=f"{frame}: {exc}") from None
            if size is None:
                size = (_even(image.width), _even(image.height))
            if image.size != size:
                image = image.resize(size, Image.Resampling.LANCZOS)
            image.save(out, format="PNG", compress_level=1)
    assert size is not None
    return size


async def frames_to_video(
    media: Media, frames: Sequence[Path], dest: Path, fps: float, *, on_progress: ProgressCallback | None = None
) -> Path:
    """A clip of the images at ``fps``; the images are re-encoded by Pillow first, so ffmpeg reads one
    PNG stream the bot wrote itself (no image2 file patterns, no foreign image parsers)."""
    if not frames or len(frames) > MAX_FRAMES:
        raise ValueError(f"need 1..{MAX_FRAMES} frames")
    if not 0.1 <= fps <= 240:
        raise ValueError("fps must be within 0.1..240")
    dest = prepare_dest(dest)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".frames-") as tmpdir:
        stream_file = Path(tmpdir) / "frames.png"
        await asyncio.to_thread(_write_png_stream, list(frames), stream_file)
        video = open_input(stream_file, kind=Container.PNG, framerate=f"{fps:g}").video.filter("setsar", 1)
        return await encode(
            media, [video], dest, audio=False, expected=len(frames) / fps, on_progress=on_progress, r=f"{fps:g}"
        )


async def interpolate(
    media: Media, src: Path, dest: Path, fps: float, *, on_progress: ProgressCallback | None = None
) -> Path:
    """Motion-compensated frame-rate conversion (minterpolate, bidirectional overlapped blocks)."""
    if not 1 <= fps <= 120:
        raise ValueError("fps must be within 1..120")
    info = await media.probe(src)
    inp = open_input(src)
    video = inp.video.filter("minterpolate", fps=f"{fps:g}", mi_mode="mci", mc_mode="aobmc", me_mode="bidir", vsbmc=1)
    streams = [video, inp.audio] if info.has_audio else [video]
    return await encode(media, streams, dest, audio=info.has_audio, expected=info.duration, on_progress=on_progress)


def poster_time(duration: float) -> float:
    """Where the poster frame is taken: a third of the way in (past fade-ins), at most 2 s."""
    return round(min(duration / 3, 2.0), 3)


async def poster(media: Media, video: Path, dest: Path, width: int, info: MediaInfo | None = None) -> MediaInfo:
    """A JPEG of a frame a third of the way in (past fade-ins), at most ``width`` wide; returns the video's info
    (``info``: already known, no probe)."""
    info = info or await media.probe(video)
    require_video(info, "The clip")
    await _still_at(media, video, Frame(dest, width, at=poster_time(info.duration)))
    return info
