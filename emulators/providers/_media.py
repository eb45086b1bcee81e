"""Real small MP4 clips for the emulators, made once per length with the ffmpeg of imageio-ffmpeg."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from pathlib import Path

import imageio_ffmpeg

MAX_SECONDS = 10  # longer requests get a 10 s clip: cheap enough, and nothing needs more


class VideoFactory:
    """Makes and caches ``testsrc2`` clips (320x240, 8 fps, H.264) keyed by whole seconds."""

    def __init__(self, cache_dir: Path, ffmpeg: str | None = None):
        self.cache_dir = cache_dir
        self.ffmpeg = ffmpeg or imageio_ffmpeg.get_ffmpeg_exe()
        cache_dir.mkdir(parents=True, exist_ok=True)
        self._bytes: dict[int, bytes] = {}

    def path(self, seconds: float) -> Path:
        """Where the clip of that length is cached."""
        return self.cache_dir / f"clip-{self._whole(seconds)}s.mp4"

    @staticmethod
    def _whole(seconds: float) -> int:
        return max(1, min(MAX_SECONDS, round(seconds)))

    async def clip(self, seconds: float) -> bytes:
        """The bytes of a clip about ``seconds`` long (made on first use; safe to race)."""
        key = self._whole(seconds)
        if key not in self._bytes:
            target = self.path(key)
            if not target.exists():
                await self._make(target, key)
            self._bytes[key] = await asyncio.to_thread(target.read_bytes)
        return self._bytes[key]

    async def big_clip(self) -> bytes:
        """A real 4 s 1280x720 clip of noise at a high bitrate: about 12 MiB, over Discord's 10 MiB limit."""
        target = self.cache_dir / "big-clip.mp4"
        if not target.exists():
            source = [
                "-f",
                "lavfi",
                "-i",
                "nullsrc=size=1280x720:rate=24:duration=4,geq=lum='random(1)*255':cb=128:cr=128",
            ]
            await self._make(target, 4, source=source, rate=["-b:v", "24M", "-maxrate", "24M", "-bufsize", "8M"])
        return await asyncio.to_thread(target.read_bytes)

    async def _make(
        self, target: Path, seconds: int, *, source: list[str] | None = None, rate: list[str] | None = None
    ) -> None:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.mp4")
        source = source or ["-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=8:duration={seconds}"]
        args = [
            self.ffmpeg,
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-y",
            *source,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            *(rate or []),
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            str(tmp),
        ]
        proc = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        try:
            _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise
        if proc.returncode != 0:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise RuntimeError(f"ffmpeg failed: {err.decode(errors='replace')[-500:]}")
        os.replace(tmp, target)  # atomic: a concurrent maker just overwrites with an equal file
