"""local:finish benchmark: seconds of wall time per second of video, through the bot (``bot.media.finish.finish``,
which probes the clip, then runs one ffmpeg command) against that same ffmpeg command run by hand.

Run: ``python bench/bench_finish.py`` (``--repeat N``; ``--seconds S``).  The sources are 720p drafts made with
ffmpeg's lavfi (testsrc2 with grain, so the motion search and the encoder have real work), 24 fps like the
offline renderer's drafts.  Each target is timed ``--repeat`` times both ways, interleaved, and the median is
reported with the 1-minute load average while measuring: the machine is shared, so the numbers move with it.
Prints a Markdown section for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.media import Media  # noqa: E402
from bot.media.finish import finish, finish_args, target_size  # noqa: E402

TARGETS = (("1080p", 30), ("1080p", 60), ("4k", 30))  # (resolution, fps) from a 1280x720, 24 fps draft


def make_draft(media: Media, dest: Path, seconds: int) -> Path:
    """A 1280x720 24 fps H.264 draft with moving parts and grain."""
    args = [media.ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"]
    args += ["-i", f"testsrc2=size=1280x720:rate=24:duration={seconds}", "-vf", "noise=alls=12:allf=t"]
    args += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", str(dest)]
    subprocess.run(args, check=True, timeout=600)
    return dest


def children_cpu() -> float:
    """CPU seconds (user + system) of every child process reaped so far: far less sensitive than wall time to
    the other work on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def plain(media: Media, src: Path, dest: Path, size: tuple[int, int], fps: int) -> tuple[float, float]:
    """The same command as the bot's, run directly (no probe, no progress reading, no atomic rename):
    (wall seconds, CPU seconds)."""
    args = [media.ffmpeg, "-hide_banner", "-loglevel", "error", "-y"]
    args += finish_args(src, dest, size, fps, 24.0, audio=False)
    start, cpu = time.perf_counter(), children_cpu()
    subprocess.run(args, check=True, timeout=3600)
    return time.perf_counter() - start, children_cpu() - cpu


def ffmpeg_version(media: Media) -> str:
    """ffmpeg's version line."""
    return subprocess.run([media.ffmpeg, "-version"], capture_output=True, text=True, check=True).stdout


async def through_bot(media: Media, src: Path, dest: Path, size: tuple[int, int], fps: int) -> tuple[float, float]:
    """``bot.media.finish.finish`` (its probe included): (wall seconds, CPU seconds)."""
    start, cpu = time.perf_counter(), children_cpu()
    await finish(media, src, dest, size=size, fps=fps)
    return time.perf_counter() - start, children_cpu() - cpu


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
    media = Media(timeout=3600)
    loads = [os.getloadavg()[0]]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        draft = make_draft(media, Path(tmp) / "draft.mp4", args.seconds)
        for resolution, fps in TARGETS:
            size = target_size(1280, 720, resolution)
            bot_runs, plain_runs = [], []
            for _ in range(args.repeat):
                bot_runs.append(await through_bot(media, draft, Path(tmp) / "bot.mp4", size, fps))
                plain_runs.append(plain(media, draft, Path(tmp) / "plain.mp4", size, fps))
                loads.append(os.getloadavg()[0])
            medians = [statistics.median(r[i] for r in runs) for runs in (bot_runs, plain_runs) for i in (0, 1)]
            rows.append((resolution, fps, size, *medians))
    version = ffmpeg_version(media)
    print(f"## Finishing (local:finish)\n\nMeasured on {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores")
    print(f"({platform.processor() or platform.machine()}), 1-minute load average {min(loads):.1f} to {max(loads):.1f}")
    print(f"while measuring (the machine was shared), {version.splitlines()[0]}.  `python bench/bench_finish.py`.\n")
    print(f"A {args.seconds} s 1280x720 24 fps draft, median of {args.repeat} runs each way, interleaved.\n")
    print("| target | size | wall: bot | wall: plain | CPU: bot | CPU: plain | CPU per second of video (bot) |")
    print("|---|---|---|---|---|---|---|")
    for resolution, fps, size, bot_wall, bot_cpu, plain_wall, plain_cpu in rows:
        print(
            f"| {resolution} {fps} fps | {size[0]}x{size[1]} | {bot_wall:.1f} s | {plain_wall:.1f} s | "
            f"{bot_cpu:.1f} s | {plain_cpu:.1f} s | {bot_cpu / args.seconds:.1f} s |"
        )


if __name__ == "__main__":
    asyncio.run(main())
