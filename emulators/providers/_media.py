"""Real small MP4 clips (silent, or with an AAC sound track as long as the picture) and real sound files
(MP3, WAV, FLAC: what the sound endpoints return) for the emulators, made once per length with the ffmpeg of
imageio-ffmpeg."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import secrets
import weakref
from collections.abc import Awaitable, Callable
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
        self._files: dict[str, bytes] = {}  # clips with sound and sound files, by cache file name
        # files being made, per event loop (a factory may serve several loops, e.g. tests'): one make each
        self._making: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Path, asyncio.Future[None]]] = (
            weakref.WeakKeyDictionary()
        )

    async def _once(self, target: Path, make: Callable[[], Awaitable[None]]) -> None:
        """Make ``target`` unless it exists; the first uses that arrive together wait for one make.  (A burst's
        200 downloads of a cold cache started 200 ffmpeg encodes of the same clip, on the cores the bot and its
        ffmpeg runs share.)  A failed make fails its waiters, and the next use tries again."""
        if target.exists():
            return
        making = self._making.setdefault(asyncio.get_running_loop(), {})
        future = making.get(target)
        if future is None:
            future = making[target] = asyncio.ensure_future(make())
            future.add_done_callback(lambda _: making.pop(target, None))
        await asyncio.shield(future)  # a waiter cancelled does not cancel the others' make

    def path(self, seconds: float) -> Path:
        """Where the clip of that length is cached."""
        return self.cache_dir / f"clip-{self._whole(seconds)}s.mp4"

    async def sound_clip(self, seconds: float) -> bytes:
        """A clip about ``seconds`` long with an AAC track (a 440 Hz tone) exactly as long as the picture, as a
        native-audio model returns it."""
        key = self._whole(seconds)
        tone = ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={key}"]
        picture = ["-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=8:duration={key}"]
        return await self._cached(
            f"clip-{key}s-sound.mp4", key, [*picture, *tone], ["-c:a", "aac", "-b:a", "64k", "-shortest"]
        )

    async def sound(self, seconds: float, fmt: str = "mp3") -> bytes:
        """A sound file alone (no picture) of about ``seconds`` (tenths kept): what Runway's video_to_audio and
        sound_effect tasks return.  ``fmt``: mp3, wav or flac."""
        length = max(0.5, min(30.0, round(seconds, 1)))
        codec = {"mp3": ["-c:a", "libmp3lame", "-b:a", "64k"], "wav": ["-c:a", "pcm_s16le"], "flac": ["-c:a", "flac"]}
        source = ["-f", "lavfi", "-i", f"sine=frequency=220:sample_rate=44100:duration={length}"]
        return await self._cached(f"sound-{length}s.{fmt}", None, source, [*codec[fmt], "-vn"], container=fmt)

    async def _cached(
        self, name: str, seconds: int | None, source: list[str], rate: list[str], *, container: str | None = None
    ) -> bytes:
        if name not in self._files:
            target = self.cache_dir / name
            make = functools.partial(
                self._make, target, seconds or 1, source=source, rate=rate, video=container is None
            )
            await self._once(target, make)
            self._files[name] = await asyncio.to_thread(target.read_bytes)
        return self._files[name]

    @staticmethod
    def _whole(seconds: float) -> int:
        return max(1, min(MAX_SECONDS, round(seconds)))

    async def clip(self, seconds: float) -> bytes:
        """The bytes of a clip about ``seconds`` long (made on first use; safe to race)."""
        key = self._whole(seconds)
        if key not in self._bytes:
            target = self.path(key)
            await self._once(target, functools.partial(self._make, target, key))
            self._bytes[key] = await asyncio.to_thread(target.read_bytes)
        return self._bytes[key]

    async def big_clip(self) -> bytes:
        """A real 4 s 1280x720 clip of noise at a high bitrate: about 12 MiB, over Discord's 10 MiB limit."""
        target = self.cache_dir / "big-clip.mp4"
        source = ["-f", "lavfi", "-i", "nullsrc=size=1280x720:rate=24:duration=4,geq=lum='random(1)*255':cb=128:cr=128"]
        rate = ["-b:v", "24M", "-maxrate", "24M", "-bufsize", "8M"]
        await self._once(target, functools.partial(self._make, target, 4, source=source, rate=rate))
        return await asyncio.to_thread(target.read_bytes)

    async def _make(
        self,
        target: Path,
        seconds: int,
        *,
        source: list[str] | None = None,
        rate: list[str] | None = None,
        video: bool = True,
    ) -> None:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}{target.suffix}")
        source = source or ["-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=8:duration={seconds}"]
        picture = ["-c:v", "libx264", "-preset", "ultrafast"] if video else []
        tail = ["-pix_fmt", "yuv420p", "-movflags", "+faststart"] if video else []
        args = [
            self.ffmpeg,
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-y",
            *source,
            *picture,
            *(rate or []),
            *tail,
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
