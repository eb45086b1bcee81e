"""Edits of finished results: stitching with crossfades, a soundtrack laid under a clip (replacing its sound, or
``under`` it, ducked), and the offline
interpolation between two stills (a motion-compensated transition with a slow camera move)."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ffmpeg as ffmpeg_lib

from bot.errors import MediaError
from bot.media.ffmpeg import ProgressCallback, atomic_output, compile_args, open_input, prepare_dest
from bot.media.images import load_rgb, save_png
from bot.media.ops import AAC, check_size, encode, frames_to_video, require_video
from bot.media.sniff import sniff_container

MAX_STITCH = 8
FADE_OUT = 1.5  # seconds of fade at the end of a soundtrack that had to be cut


async def stitch(
    media: Any,
    sources: Sequence[Path],
    dest: Path,
    *,
    crossfade: float = 0.0,
    on_progress: ProgressCallback | None = None,
    xfade: str = "fade",
) -> Path:
    """The clips in order; ``crossfade`` seconds of dissolve between each two (0: hard cuts, stream-copied
    when the clips match, else re-encoded to the first one's size and rate).  ``xfade`` names ffmpeg's
    transition over those seconds: ``fade`` (a dissolve) or ``fadeblack`` (out to black and back in).  When any
    clip has sound, the result has a track: each clip's own sound, silence for a silent one, crossfaded with the
    picture."""
    if not 2 <= len(sources) <= MAX_STITCH:
        raise ValueError(f"stitch needs 2..{MAX_STITCH} clips")
    if crossfade <= 0:
        return Path(await media.concat(list(sources), dest, on_progress=on_progress))
    infos = [await media.probe(p) for p in sources]
    for info in infos:
        require_video(info, "One of the clips")
    if crossfade >= min(i.duration for i in infos):
        raise MediaError(f"A crossfade of {crossfade:g} s is longer than the shortest clip.")
    width, height = infos[0].width // 2 * 2, infos[0].height // 2 * 2
    fps = round(infos[0].fps or 24)
    with_audio = any(info.has_audio for info in infos)
    joined = None
    sound = None
    offset = 0.0
    for path, info in zip(sources, infos, strict=True):
        if with_audio:
            track = _track(path, info)
            sound = track if sound is None else ffmpeg_lib.filter([sound, track], "acrossfade", d=crossfade)
        clip = open_input(path).video.filter("scale", width, height, force_original_aspect_ratio="decrease")
        clip = clip.filter("pad", width, height, "(ow-iw)/2", "(oh-ih)/2").filter("setsar", 1)
        clip = clip.filter("fps", fps).filter("format", "yuv420p").filter("settb", "AVTB")
        if joined is None:
            joined, offset = clip, info.duration - crossfade
            continue
        joined = ffmpeg_lib.filter(
            [joined, clip], "xfade", transition=xfade, duration=crossfade, offset=round(offset, 3)
        )
        offset += info.duration - crossfade
    total = sum(i.duration for i in infos) - crossfade * (len(infos) - 1)
    streams = [joined, sound] if sound is not None else [joined]
    return await encode(media, streams, dest, audio=with_audio, expected=total, on_progress=on_progress)


def _track(path: Path, info: Any) -> Any:
    """A clip's sound as long as its picture (48 kHz stereo): its own, padded or cut, or silence."""
    length = round(info.duration, 3)
    if info.has_audio:
        own = open_input(path).audio.filter("aformat", sample_rates=48000, channel_layouts="stereo")
        return own.filter("apad").filter("atrim", duration=length).filter("asetpts", "PTS-STARTPTS")
    silence = ffmpeg_lib.input(f"anullsrc=r=48000:cl=stereo:d={length}", f="lavfi").audio
    return silence.filter("asetpts", "PTS-STARTPTS")


async def soundtrack(media: Any, video: Path, audio: Path, dest: Path, *, volume: float = 1.0) -> Path:
    """``video`` with ``audio`` as its only sound: cut (with a fade-out) or padded with silence to the
    video's length; the picture is stream-copied, never re-encoded."""
    info = await media.probe(video)
    require_video(info, "The video")
    length = info.duration
    fade = min(FADE_OUT, length / 3)
    container = sniff_container(audio, kinds=("audio", "video"))
    sound = open_input(audio, kind=container).audio.filter("volume", round(volume, 3)).filter("apad")
    sound = sound.filter("atrim", duration=round(length, 3)).filter(
        "afade", t="out", st=round(max(0.0, length - fade), 3), d=round(fade, 3)
    )
    picture = open_input(video).video
    with atomic_output(dest) as tmp:
        out = ffmpeg_lib.output(
            picture,
            sound,
            str(tmp),
            t=round(length, 3),
            **{"c:v": "copy"},
            **AAC,
            movflags="+faststart",
            f="mp4",
            map_metadata=-1,
        )
        await media.run(compile_args(out), expected_duration=length)
    return prepare_dest(dest)


async def sound_of(media: Any, video: Path, dest: Path, *, seconds: float) -> Path:
    """The first ``seconds`` of ``video``'s sound alone (AAC in an M4A), kept while the picture goes to a model
    that makes a silent clip from it (/remix), to be laid under the result."""
    sound = open_input(video).audio.filter("atrim", duration=round(seconds, 3)).filter("asetpts", "PTS-STARTPTS")
    with atomic_output(dest) as tmp:
        out = ffmpeg_lib.output(sound, str(tmp), **AAC, vn=None, f="mp4", map_metadata=-1)
        await media.run(compile_args(out), expected_duration=seconds)
    return prepare_dest(dest)


DUCK = 0.35  # how loud a clip's own sound stays under a new one (``under``)


async def under(media: Any, video: Path, audio: Path, dest: Path, *, duck: float = DUCK) -> Path:
    """``video`` with ``audio`` mixed over its own sound, which stays audible at ``duck`` of its level; the new
    sound is cut (with a fade-out) or padded to the video's length; the picture is stream-copied."""
    info = await media.probe(video)
    require_video(info, "The video")
    if not info.has_audio:
        return await soundtrack(media, video, audio, dest)
    length = info.duration
    fade = min(FADE_OUT, length / 3)
    new = open_input(audio, kind=sniff_container(audio, kinds=("audio", "video"))).audio.filter("apad")
    new = new.filter("atrim", duration=round(length, 3)).filter(
        "afade", t="out", st=round(max(0.0, length - fade), 3), d=round(fade, 3)
    )
    source = open_input(video)
    own = source.audio.filter("volume", round(duck, 3)).filter("apad").filter("atrim", duration=round(length, 3))
    mixed = ffmpeg_lib.filter([own, new], "amix", inputs=2, duration="first", normalize=0)
    with atomic_output(dest) as tmp:
        out = ffmpeg_lib.output(
            source.video,
            mixed,
            str(tmp),
            t=round(length, 3),
            **{"c:v": "copy"},
            **AAC,
            movflags="+faststart",
            f="mp4",
            map_metadata=-1,
        )
        await media.run(compile_args(out), expected_duration=length)
    return prepare_dest(dest)


async def lay(media: Any, video: Path, audio: Path, dest: Path, *, mix: str | None) -> Path:
    """``audio`` laid under ``video`` as ``mix`` says: ``under`` its own sound (:func:`under`, which replaces where
    the video is silent), else replacing it (:func:`soundtrack`)."""
    if mix == "under":
        return await under(media, video, audio, dest)
    return await soundtrack(media, video, audio, dest)


async def transition(
    media: Any,
    first: Path,
    last: Path,
    dest: Path,
    *,
    seconds: int,
    size: tuple[int, int],
    on_progress: ProgressCallback | None = None,
) -> Path:
    """A clip that starts on ``first`` and ends on ``last``: the in-between frames are made by
    motion-compensated interpolation (minterpolate), under a slow push-in of the camera."""
    check_size(*size)
    width, height = size
    dest = prepare_dest(dest)
    # Motion is estimated at half size (minterpolate's mci mode is costly: a quarter of the pixels makes it
    # about four times faster); zoompan below scales the frames back up to the output size.
    half = (width // 4 * 2, height // 4 * 2)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".interp-") as tmpdir:
        stills = [  # decoding and resizing the stills stays off the event loop
            await asyncio.to_thread(_still, image, half, Path(tmpdir) / f"{n}.png")
            for n, image in enumerate((first, last))
        ]
        # the stills one per ``seconds``; minterpolate needs frames after the one it moves towards
        keys = Path(tmpdir) / "keys.mp4"
        await frames_to_video(media, [stills[0], stills[1], stills[1], stills[1]], keys, 1 / seconds)
        moving = open_input(keys).video.filter(
            "minterpolate", fps=24, mi_mode="mci", mc_mode="aobmc", scd="none", me_mode="bidir", vsbmc=1
        )
        moving = moving.trim(end_frame=seconds * 24 + 1).setpts("PTS-STARTPTS")
        frames = seconds * 24
        push = f"1+0.06*on/{frames}"  # the camera moves in by 6 % over the clip
        moving = moving.filter(
            "zoompan", z=push, x="iw/2-(iw/zoom/2)", y="ih/2-(ih/zoom/2)", d=1, s=f"{width}x{height}", fps=24
        )
        return await encode(
            media, [moving.filter("setsar", 1)], dest, audio=False, expected=seconds, on_progress=on_progress
        )


def _still(image: Path, size: tuple[int, int], dest: Path) -> Path:
    """``image`` decoded (within the usual caps), cropped to fill ``size`` and saved as PNG."""
    from PIL import ImageOps

    picture, _ = load_rgb(image, max_bytes=200 * 1024 * 1024, max_pixels=100_000_000)
    return save_png(ImageOps.fit(picture, size), dest)
