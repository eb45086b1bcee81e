"""The :class:`Media` facade: every video operation the bot performs, each one ffmpeg run (or two).

All outputs are H.264 (yuv420p) MP4 with ``+faststart`` so Discord and browsers can play them
while they download, and every output is written to a temporary file next to its destination and
renamed into place only when ffmpeg succeeded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import os
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

from bot.errors import MediaError
from bot.media import concat as _concat
from bot.media import fit as _fit
from bot.media import ops as _ops
from bot.media.ffmpeg import ProgressCallback, RunResult, file_identity, find_ffmpeg, input_args, run_ffmpeg, size_of
from bot.media.ops import Frame
from bot.media.probe import MediaInfo, parse_info
from bot.media.sniff import sniff_container

QUICK_RUNS_PER_CORE = 2  # short runs (probes, stills) at once per core; a burst's 400 queue instead of thrashing


KNOWN_FILES = 64  # facts of files written here, kept so that a probe of one needs no ffmpeg run


class Media:
    """ffmpeg operations on local files; safe to share between tasks (it holds no state per run, only the facts of
    the last files it was told it wrote: :meth:`note`)."""

    def __init__(self, ffmpeg: str | None = None, timeout: float = 600.0, quick_runs: int | None = None):
        self.ffmpeg = find_ffmpeg(ffmpeg)
        self.timeout = timeout
        self.quick_runs = quick_runs or QUICK_RUNS_PER_CORE * (os.cpu_count() or 1)
        self._quick: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
        self._known: OrderedDict[tuple[int, int, int, int], MediaInfo] = OrderedDict()

    def note(self, path: Path, info: MediaInfo) -> None:
        """``path`` was just written and is ``info``: a probe of it (or of it renamed) is answered from here while
        the file is unchanged (same device, inode, size and modification time)."""
        key = file_identity(path)
        self._known[key] = dataclasses.replace(info, size_bytes=key[2])
        while len(self._known) > KNOWN_FILES:
            self._known.popitem(last=False)

    def known(self, path: Path) -> MediaInfo | None:
        """What :meth:`note` said of ``path``, if the file is still the one it described."""
        if not self._known:
            return None
        try:
            return self._known.get(file_identity(path))
        except OSError:
            return None

    def _quick_slots(self) -> asyncio.Semaphore:
        """The bound on short runs, one per event loop (a Media may outlive a loop, e.g. in tests)."""
        loop = asyncio.get_running_loop()
        slots = self._quick.get(loop)
        if slots is None:
            slots = self._quick[loop] = asyncio.Semaphore(self.quick_runs)
        return slots

    async def run(
        self,
        args: Sequence[str],
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        expected_duration: float | None = None,
        loglevel: str = "error",
        check: bool = True,
        feed: Iterable[bytes] | None = None,
        quick: bool = False,
    ) -> RunResult:
        """Run ffmpeg with ``args`` (no binary), reporting 0..1 progress against ``expected_duration``.

        ``feed``: what ffmpeg reads from ``pipe:0``, written from a worker thread as ffmpeg reads it.  ``quick``:
        a short run (a probe, a still) that waits for one of ``quick_runs`` slots: 200 deliveries at once then
        take turns on the cores instead of starting 400 processes that share them with the event loop.
        """
        run = functools.partial(
            run_ffmpeg,
            self.ffmpeg,
            args,
            timeout=timeout or self.timeout,
            on_progress=on_progress,
            expected_duration=expected_duration,
            loglevel=loglevel,
            check=check,
            feed=feed,
        )
        if not quick:
            return await run()
        async with self._quick_slots():
            return await run()

    async def probe(self, path: Path, *, exact: bool = False) -> MediaInfo:
        """Describe a video or image; ``exact`` also counts frames (a cheap stream-copy pass).  A file this
        process wrote and described (:meth:`note`) is not read again."""
        path = Path(path)
        if (known := self.known(path)) is not None and (not exact or known.frame_count is not None):
            return known
        container = sniff_container(path)
        result = await self.run(input_args(path, container), loglevel="info", check=False, timeout=60, quick=True)
        info = parse_info(result.stderr, size_of(path))
        if info.format_name.split(",")[0] != container.demuxer:  # the forced demuxer must be the one used
            raise MediaError(detail=f"{path.name}: expected {container.demuxer}, ffmpeg used {info.format_name}")
        if exact and container.kind == "video":
            args = [*input_args(path, container), "-map", "0:v:0", "-c", "copy", "-f", "null", "-"]
            counted = await self.run(args, quick=True)
            frames = counted.progress.get("frame", "")
            if frames.isdigit():
                count = int(frames)
                duration = count / info.fps if info.fps else info.duration
                info = dataclasses.replace(info, frame_count=count, duration=round(duration, 6))
        return info

    async def last_frame(self, video: Path, dest_png: Path) -> Path:
        """Write the video's last frame as an RGB PNG."""
        return await _ops.last_frame(self, Path(video), Path(dest_png))

    async def still(self, video: Path, dest: Path, width: int = 480, *, last: bool = False) -> Path:
        """A small JPEG of the video's first frame (or, with ``last``, its last frame)."""
        return await _ops.still(self, Path(video), Path(dest), width, last=last)

    async def stills(self, video: Path, frames: Sequence[Frame], info: MediaInfo | None = None) -> None:
        """Several small JPEGs of one video (first, at a time, last) in one ffmpeg run, with no probe."""
        await _ops.stills(self, Path(video), frames, info)

    async def poster(self, video: Path, dest: Path, width: int = 480, info: MediaInfo | None = None) -> MediaInfo:
        """A small JPEG poster frame of the video (at most ``width`` wide); returns the video's info (``info``:
        already known, then no probe)."""
        return await _ops.poster(self, Path(video), Path(dest), width, info)

    async def concat(
        self,
        inputs: Sequence[Path],
        dest: Path,
        *,
        copy: bool | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Path:
        """Join clips in order: stream copy when they match (``copy=None``: decide), else re-encode to
        the first clip's size and frame rate (others are scaled and padded)."""
        return await _concat.concat(self, [Path(p) for p in inputs], Path(dest), copy=copy, on_progress=on_progress)

    async def resize(
        self,
        src: Path,
        dest: Path,
        width: int,
        height: int,
        *,
        mode: Literal["fit", "fill", "stretch"] = "fit",
        on_progress: ProgressCallback | None = None,
    ) -> Path:
        """Re-encode to exactly width x height: ``fit`` pads (letterbox), ``fill`` crops, ``stretch`` distorts."""
        return await _ops.resize(self, Path(src), Path(dest), width, height, mode=mode, on_progress=on_progress)

    async def loop(self, src: Path, dest: Path, times: int, *, on_progress: ProgressCallback | None = None) -> Path:
        """Play the clip ``times`` times in a row (re-encoded, audio included)."""
        return await _ops.loop(self, Path(src), Path(dest), times, on_progress=on_progress)

    async def add_audio(self, video: Path, audio: Path, dest: Path) -> Path:
        """Replace the video's sound with ``audio`` (AAC), ending with the shorter of the two."""
        return await _ops.add_audio(self, Path(video), Path(audio), Path(dest))

    async def frames_to_video(
        self, frames: Sequence[Path], dest: Path, fps: float, *, on_progress: ProgressCallback | None = None
    ) -> Path:
        """Turn images into a clip at ``fps`` (all scaled to the first image's size)."""
        return await _ops.frames_to_video(self, [Path(f) for f in frames], Path(dest), fps, on_progress=on_progress)

    async def interpolate(
        self, src: Path, dest: Path, fps: float, *, on_progress: ProgressCallback | None = None
    ) -> Path:
        """Raise the frame rate with motion-compensated interpolation (smooth motion, not blending)."""
        return await _ops.interpolate(self, Path(src), Path(dest), fps, on_progress=on_progress)

    async def fit_to_size(
        self, src: Path, dest: Path, max_bytes: int, *, on_progress: ProgressCallback | None = None
    ) -> Path:
        """Re-encode so the file is at most ``max_bytes`` (one encode for typical clips); raise
        OutputTooLarge when it cannot fit at an acceptable quality."""
        result = await _fit.fit_to_size(self, Path(src), Path(dest), max_bytes, on_progress=on_progress)
        return result.path

    async def fit_to_size_detailed(
        self, src: Path, dest: Path, max_bytes: int, *, on_progress: ProgressCallback | None = None
    ) -> _fit.FitResult:
        """:meth:`fit_to_size`, also reporting attempts, bitrates and the output size (for benchmarks/logs)."""
        return await _fit.fit_to_size(self, Path(src), Path(dest), max_bytes, on_progress=on_progress)
