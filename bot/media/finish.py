"""The offline finish of a draft: a larger picture (lanczos scaling) and a higher frame rate made of new,
motion-interpolated frames (minterpolate), in one ffmpeg pass.

The resolutions are named by their short side, as video people say them (``1080p`` is 1920x1080 for a 16:9
clip, 1080x1920 for 9:16); the long side follows the source's own aspect.  Frames are interpolated at the
source's size and scaled afterwards: the motion search costs the same whatever the output size, so a 4K finish
is not four times slower than a 1080p one.  :func:`finish_args` is the whole command, so the benchmark
(bench/finish_bench.py) can time the plain ffmpeg command against :func:`finish`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ffmpeg as ffmpeg_lib

from bot.media.ffmpeg import ProgressCallback, atomic_output, compile_args, open_input, prepare_dest
from bot.media.ops import AAC, H264, check_size, require_video

# short side in pixels of each resolution a member may ask for (the source's own is "720p" for most drafts)
RESOLUTIONS: dict[str, int] = {"720p": 720, "1080p": 1080, "2k": 1440, "4k": 2160}
FRAME_RATES = (24, 30, 60)
FINISH_CRF = 18  # a finished version is the one members keep: cleaner than the previews' CRF 20
SECONDS_PER_SECOND = 180.0  # the longest a finish may run per second of clip (a busy machine; BENCHMARKS.md)


def target_size(width: int, height: int, resolution: str) -> tuple[int, int]:
    """The even output size of a ``width`` x ``height`` source finished at ``resolution`` (its short side)."""
    short = RESOLUTIONS[resolution]
    if width >= height:
        return max(2, round(width * short / height / 2) * 2), short
    return short, max(2, round(height * short / width / 2) * 2)


def finish_stream(src: Path, size: tuple[int, int], fps: float, source_fps: float | None) -> Any:
    """The picture of ``src`` at ``fps`` (new frames interpolated by motion, when that is more than the source
    has) and scaled to ``size`` with lanczos."""
    check_size(*size)
    if not 1 <= fps <= 120:
        raise ValueError("fps must be within 1..120")
    video = open_input(src).video
    if source_fps is None or fps > source_fps + 0.01:
        video = video.filter("minterpolate", fps=f"{fps:g}", mi_mode="mci", mc_mode="aobmc", me_mode="bidir", vsbmc=1)
    elif abs(fps - source_fps) > 0.01:
        video = video.filter("fps", f"{fps:g}")
    return video.filter("scale", size[0], size[1], flags="lanczos").filter("setsar", 1)


def finish_args(
    src: Path, dest: Path, size: tuple[int, int], fps: float, source_fps: float | None, *, audio: bool
) -> list[str]:
    """The ffmpeg arguments (without the binary) that finish ``src`` into ``dest``."""
    inp = open_input(src)
    streams = [finish_stream(src, size, fps, source_fps)] + ([inp.audio] if audio else [])
    settings = {**H264, "crf": FINISH_CRF, **(AAC if audio else {}), "r": f"{fps:g}"}
    return compile_args(ffmpeg_lib.output(*streams, str(dest), **settings))


async def finish(
    media: Any,
    src: Path,
    dest: Path,
    *,
    size: tuple[int, int],
    fps: float,
    on_progress: ProgressCallback | None = None,
) -> Path:
    """``src`` finished at ``size`` and ``fps`` (its sound kept), written atomically to ``dest``."""
    info = await media.probe(src)
    require_video(info, "The clip")
    with atomic_output(dest) as tmp:
        args = finish_args(src, tmp, size, fps, info.fps, audio=info.has_audio)
        # the motion search takes many times the clip's length: the usual ffmpeg timeout is stretched to match
        timeout = max(float(getattr(media, "timeout", 600.0)), SECONDS_PER_SECOND * info.duration)
        await media.run(args, on_progress=on_progress, expected_duration=info.duration, timeout=timeout)
    return prepare_dest(dest)
