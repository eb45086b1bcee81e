"""Real output files for the emulated ComfyUI: an H.264 MP4 (``SaveVideo``) or an animated WEBP
(``SaveAnimatedWEBP``), made with the ffmpeg of imageio-ffmpeg from what the workflow asked for: its size, frame
count and rate, and the uploaded start image when a ``LoadImage`` node feeds it (else ``testsrc2``).  An animated
WEBP gets light per-frame noise so that no two frames are the same (libwebp merges identical frames)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg


@dataclass(frozen=True)
class Clip:
    """What to render."""

    width: int
    height: int
    frames: int
    fps: float
    image: Path | None = None  # the start frame, if the workflow loads one


async def render(clip: Clip, dest: Path, *, webp: bool) -> None:
    """Write ``clip`` to ``dest`` (MP4 or animated WEBP); raise RuntimeError if ffmpeg fails."""
    size = f"{clip.width}x{clip.height}"
    if clip.image is not None:
        source = ["-loop", "1", "-framerate", f"{clip.fps:g}", "-i", str(clip.image)]
        scale = f"scale={clip.width}:{clip.height},"
    else:
        source = ["-f", "lavfi", "-i", f"testsrc2=s={size}:r={clip.fps:g}"]
        scale = ""
    vf = f"{scale}noise=alls=12:allf=t+u,format=yuva420p" if webp else f"{scale}format=yuv420p"
    codec = (
        ["-c:v", "libwebp_anim", "-loop", "0", "-quality", "30", "-compression_level", "0", "-f", "webp"]
        if webp
        else ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "mp4"]
    )
    tmp = dest.with_name(f".{dest.name}.part")
    args = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *source, "-frames:v", str(clip.frames)]
    args += ["-vf", vf, "-r", f"{clip.fps:g}", *codec, str(tmp)]
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        _, err = await proc.communicate()
    except asyncio.CancelledError:  # the emulator stopped or died mid-render: leave no ffmpeg behind
        proc.kill()
        await proc.wait()
        tmp.unlink(missing_ok=True)
        raise
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg failed: {err.decode(errors='replace')[-400:]}")
    tmp.replace(dest)
