"""Joining clips: a stream copy when they were made alike, a re-encode when they were not."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ffmpeg as ffmpeg_lib

from bot.errors import MediaError
from bot.media.ffmpeg import ProgressCallback, atomic_output, compile_args, open_input, prepare_dest
from bot.media.ops import encode, require_video
from bot.media.probe import MediaInfo

if TYPE_CHECKING:
    from bot.media.media import Media

MAX_CLIPS = 100


def can_stream_copy(infos: Sequence[MediaInfo]) -> bool:
    """Whether the clips can be joined without re-encoding (same codec settings, size, rate, sound)."""
    first = infos[0]

    def same(info: MediaInfo) -> bool:
        return (
            info.is_h264_mp4
            and (info.width, info.height, info.profile, info.rotation)
            == (first.width, first.height, first.profile, first.rotation)
            and info.fps is not None
            and first.fps is not None
            and math.isclose(info.fps, first.fps, rel_tol=1e-3)
            and (info.audio_codec, info.sample_rate, info.channels)
            == (first.audio_codec, first.sample_rate, first.channels)
        )

    return first.is_h264_mp4 and all(same(info) for info in infos)


def _concat_script(paths: Sequence[Path]) -> str:
    lines = ["ffconcat version 1.0"]
    for path in paths:
        text = str(path.resolve())
        if "\n" in text or "\r" in text:
            raise ValueError("clip paths must not contain line breaks")
        lines.append("file '" + text.replace("'", "'\\''") + "'")
    return "\n".join(lines) + "\n"


async def _copy(
    media: Media, inputs: Sequence[Path], dest: Path, total: float, on_progress: ProgressCallback | None
) -> Path:
    # The concat demuxer reads a script we write ourselves, listing files that were each sniffed and
    # probed as MP4 first; the whitelists are copied to every file it opens, so none can be anything else.
    dest = prepare_dest(dest)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".concat-") as tmpdir:
        script = Path(tmpdir) / "list.ffconcat"
        script.write_text(_concat_script(inputs), encoding="utf-8")
        inp = ffmpeg_lib.input(
            str(script), f="concat", safe=0, protocol_whitelist="file", format_whitelist="concat,mov"
        )
        with atomic_output(dest) as tmp:
            out = inp.output(str(tmp), c="copy", movflags="+faststart", map_metadata=-1, f="mp4")
            await media.run(compile_args(out), on_progress=on_progress, expected_duration=total)
    return dest


async def _reencode(
    media: Media,
    inputs: Sequence[Path],
    infos: Sequence[MediaInfo],
    dest: Path,
    total: float,
    on_progress: ProgressCallback | None,
) -> Path:
    first = infos[0]
    width, height = first.width - first.width % 2, first.height - first.height % 2
    fps = f"{first.fps:.6g}" if first.fps else "24"
    with_audio = any(info.has_audio for info in infos)
    silent = [index for index, info in enumerate(infos) if with_audio and not info.has_audio]
    # one silence source, split: ffmpeg-python merges identical nodes, so copies must be distinct
    silence = ffmpeg_lib.input("anullsrc=r=48000:cl=stereo", f="lavfi").audio.asplit() if silent else None
    segments: list[Any] = []
    for index, (path, info) in enumerate(zip(inputs, infos, strict=True)):
        inp = open_input(path)
        video = (
            inp.video.filter("scale", width, height, force_original_aspect_ratio="decrease", flags="lanczos")
            .filter("pad", width, height, "(ow-iw)/2", "(oh-ih)/2", color="black")
            .filter("setsar", 1)
            .filter("fps", fps)
            .filter("format", "yuv420p")
            .filter("setpts", "PTS-STARTPTS")
        )
        segments.append(video)
        if with_audio:
            if info.has_audio:
                audio = inp.audio.filter("aformat", sample_rates=48000, channel_layouts="stereo")
            else:  # a silent stretch keeps picture and sound aligned across the join
                assert silence is not None
                audio = silence[silent.index(index)].filter("atrim", duration=f"{info.duration:.3f}")
            segments.append(audio.filter("asetpts", "PTS-STARTPTS"))
    joined = ffmpeg_lib.concat(*segments, v=1, a=1 if with_audio else 0).node
    streams = [joined[0], joined[1]] if with_audio else [joined[0]]
    return await encode(media, streams, dest, audio=with_audio, expected=total, on_progress=on_progress)


async def concat(
    media: Media,
    inputs: Sequence[Path],
    dest: Path,
    *,
    copy: bool | None = None,
    on_progress: ProgressCallback | None = None,
) -> Path:
    """Join ``inputs`` in order into ``dest``; ``copy`` forces (True) or forbids (False) a stream copy."""
    if not 1 <= len(inputs) <= MAX_CLIPS:
        raise ValueError(f"concat needs 1..{MAX_CLIPS} clips")
    infos = [await media.probe(path) for path in inputs]
    for info in infos:
        require_video(info, "One of the clips")
    total = sum(info.duration for info in infos)
    compatible = can_stream_copy(infos)
    if copy and not compatible:
        raise MediaError(detail="stream copy requested for clips with different codec settings")
    if compatible if copy is None else copy:
        return await _copy(media, inputs, dest, total, on_progress)
    return await _reencode(media, inputs, infos, dest, total, on_progress)
