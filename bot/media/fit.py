"""Fitting a video under a byte limit (Discord's upload cap) in one encode for typical clips.

The bitrate comes from the duration: the whole byte budget, less the MP4's index (which grows with the
number of frames and audio packets), is shared between AAC audio (a fixed rate chosen by how generous the
budget is, counted 5 % over its nominal rate) and H.264 video.  No safety margin is kept: one-pass x264
delivers a little under its target on every clip measured, and that undershoot is the margin.  x264 runs in
single-pass average-bitrate mode held close to that rate (``ratetol`` 0.05: one-pass ABR otherwise
undershoots a short clip by 10-15 %), with a VBV cap at 1.1 × the rate and a two-second buffer: the cap
stops late, harder scenes from overspending (unconstrained ABR overshot by up to 18 % on a zooming
fractal), while the buffer lets a hard scene borrow what an easy one left.  (A looser cap, 1.5 × with a
one-second buffer, starved an easy clip more and caught the fractal less.)

Measured 2026-12-06 on ``bench/bench_issue18.py``'s footage (Big Buck Bunny 5.3 s and bikes 10 s at
1080p into 10 MiB) and ``bench/bench_media.py``'s 20 synthetic fits:

* ``ratetol`` 0.1 → 0.05 and the 1 % margin → none took Big Buck Bunny from 0.93-0.94 of the budget to
  0.96 and bikes from 0.969 to 0.991, at no CPU cost; the synthetic fits stayed 20 of 20 in one encode,
  none over (0.948-0.994 of their targets).  Tighter (0.02-0.03) used no more; looser (0.3, 1.0) undershot
  Big Buck Bunny by 10-16 %: its easy end cannot absorb the bits its hard middle was denied.
* A hard guarantee from the VBV (maxrate and buffer with ``maxrate × duration + initial fill`` ≤ the
  budget) puts x264 in CBR mode, which keeps its buffer full and used only 0.52-0.82 of the budget.
* SSIM stays 0.0003 (Big Buck Bunny) and 0.00005 (bikes) below a two-pass veryfast encode of the same
  budget.  It comes from the start: one-pass ABR raises the quantiser after the first I-frame and starves
  the next second (per-frame SSIM 0.003-0.004 below two-pass there).  ``trellis=1:me=dia`` closes most
  of it (the bench: Big Buck Bunny 0.9948 against two-pass's 0.9949, bikes equal) but costs about 12 %
  more encoder CPU: 0.71 × the two-pass time, over issue 18's 0.7 ×.  ``subme`` 3-4 closes it fully at
  20-25 % more.  ``qpstep`` 2 (the quantiser rising slower after the I-frame) halved the gap on Big Buck
  Bunny but left a 2 s synthetic clip at 0.86-0.94 of its budget.  ``aq-mode`` 2 or 3, ``psy=0``,
  ``qcomp`` 0.5/0.7, ``qpstep`` 8, ``ipratio`` 1.2/1.8, ``vbv-init`` 1 and a longer ``rc-lookahead`` did
  not help; ``mbtree=0`` was 0.001 worse.  So the encoder settings stay x264 veryfast's.

Measured again 2026-12-06 (16:10-16:55 UTC, load average 2-14: the CPU time of the ffmpeg processes, not wall
time; SSIM is the difference from two-pass's 0.99493 for Big Buck Bunny and 0.99601 for bikes):

* x264 ``zones`` lift the starved start at no CPU cost.  Best: frames 1 to 0.8 s (the I-frame left out) at
  ``b=3``, -0.00003 / -0.00004 (unchanged: -0.00037 / -0.00006); ten other zones (0.5-2 s, ``b=1.2``-``3``,
  with or without the I-frame) -0.00008 to -0.00031 on Big Buck Bunny, bikes -0.00003 to -0.00005 whatever
  the zone.  But the 2 s synthetic clip then needs a second encode at 2 of its 4 targets (twice out of two runs).
* With that zone: ``trellis=1:me=dia`` +0.00019 / +0.00004, CPU 0.70 / 0.65 × two-pass's (unchanged 0.65 / 0.66;
  medians of three interleaved rounds), Big Buck Bunny using 0.943-0.957 of its budget between identical runs;
  adding ``threads=2`` +0.00015 / +0.00003 at 0.68 / 0.67 ×, adding decoder ``threads`` 1 as well 0.67 / 0.67 ×
  (decoding the source alone is 2.5 s / 3.4 s of the fit's 9 / 13.5 CPU seconds); ``rc-lookahead=5`` instead
  +0.00005 / -0.00001; ``subme=3:me=dia`` +0.00012 / +0.00004 at 0.64 / 0.71 ×, Big Buck Bunny at 0.951;
  ``trellis=1`` with ``me`` hex +0.00017 / +0.00007 at 0.74 ×; ``me=dia`` alone -0.00005 / -0.00007.
* All of these put the 2 s synthetic clip (4 targets) into a second encode more often than the unchanged fit
  (3, 4 and 4 of 4 in one encode in three runs): ``trellis=1:me=dia`` 2-3 of 4 with or without the zone,
  ``threads=2`` 2 of 4 (x264 lets a frame's rows overspend more with fewer threads), ``subme=3:me=dia`` with the
  zone 3 and 4; none went over a target.  Under load even the unchanged fit needed a second encode there once:
  frame-threaded x264 under a VBV is not deterministic (Big Buck Bunny used 0.954-0.961 across identical runs).
  So nothing met SSIM ≥ two-pass on both clips at ≤ 0.70 × its CPU with every synthetic fit in one encode.

When the bits per pixel would be too few for a clean picture the resolution is lowered first.  Only if
the first encode still overshoots is a second one made, its rate corrected by the measured overshoot
(``retry_rate``).  ``bench/bench_issue18.py --only fit`` compares it with a two-pass encode on real footage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import OutputTooLarge
from bot.media.ffmpeg import ProgressCallback, atomic_output, compile_args, open_input, prepare_dest, size_of
from bot.media.ops import encode, require_video
from bot.media.probe import MediaInfo

if TYPE_CHECKING:
    from bot.media.media import Media

SAFETY = 1.0  # of the byte budget given to the encoder (its undershoot is the margin; see above)
VBV_SECONDS = 2.0  # the rate-control buffer, in seconds of the target rate
MAXRATE = 1.1  # the VBV cap, as a multiple of the target rate
RATE_TOLERANCE = 0.05  # x264's ratetol: how far the average may stray from the target (default 1.0)
RETRY_MARGIN = 0.95  # the second encode aims this much below the rate the first one's overshoot implies
MIN_VIDEO_BPS = 48_000  # below this nothing recognisable is left, whatever the resolution
DOWNSCALE_BPP = 0.06  # bits per pixel per frame below which we trade resolution for clarity
TARGET_BPP = 0.09
MIN_SHORT_SIDE = 144
MAX_ATTEMPTS = 2


@dataclass(frozen=True)
class FitResult:
    """How a fit went."""

    path: Path
    size_bytes: int
    attempts: int  # encodes made (0: the input already fitted and was only remuxed)
    video_bps: int
    audio_bps: int
    width: int
    height: int


@dataclass(frozen=True)
class Plan:
    """One encode's settings."""

    video_bps: int
    audio_bps: int
    width: int
    height: int


def container_overhead(info: MediaInfo) -> int:
    """Bytes the MP4 index and headers take (per-frame and per-packet tables plus boxes)."""
    frames = info.duration * (info.fps or 30)
    audio_packets = info.duration * 48 if info.has_audio else 0  # AAC: 1024 samples a packet
    return int(4096 + 20 * frames + 12 * audio_packets)


def _audio_rate(total_bps: float, has_audio: bool) -> int:
    if not has_audio:
        return 0
    for floor, rate in ((2_000_000, 128_000), (800_000, 96_000), (300_000, 64_000)):
        if total_bps >= floor:
            return rate
    return 32_000


def _even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def scaled_size(info: MediaInfo, video_bps: float) -> tuple[int, int]:
    """The largest size (never larger than the source) at which ``video_bps`` gives a clean picture."""
    fps = info.fps or 30
    width, height = _even(info.width), _even(info.height)
    if video_bps / (width * height * fps) >= DOWNSCALE_BPP:
        return width, height
    factor = math.sqrt(video_bps / (fps * TARGET_BPP) / (width * height))
    short = min(width, height)
    factor = max(factor, min(1.0, MIN_SHORT_SIDE / short))
    return _even(width * factor), _even(height * factor)


def plan_encode(info: MediaInfo, max_bytes: int, *, video_cap: float | None = None) -> Plan:
    """The bitrates and size for fitting ``info`` into ``max_bytes``; raise OutputTooLarge if hopeless."""
    require_video(info)
    budget_bits = (max_bytes - container_overhead(info)) * 8 * SAFETY
    audio_bps = _audio_rate(budget_bits / info.duration, info.has_audio)
    # AAC runs a little over its nominal rate; count 5 % extra for it
    video_bits = budget_bits - audio_bps * 1.05 * info.duration
    video_bps = video_bits / info.duration
    if video_cap is not None:
        video_bps = min(video_bps, video_cap)
    if video_bps < MIN_VIDEO_BPS:
        megabytes = max_bytes / (1024 * 1024)
        raise OutputTooLarge(
            f"This {info.duration:.0f}-second video cannot be made smaller than {megabytes:.1f} MB "
            "and still be watchable.",
            detail=f"video budget {video_bps:.0f} b/s < {MIN_VIDEO_BPS}",
        )
    width, height = scaled_size(info, video_bps)
    return Plan(int(video_bps), audio_bps, width, height)


def retry_rate(info: MediaInfo, plan: Plan, size: int, max_bytes: int) -> float:
    """The video rate for a second encode after one of ``size`` bytes overshot ``max_bytes``.

    The rate asked for, or the rate the encoder delivered if that was less (asked far too much, x264 may
    deliver less; at a lower rate it comes closer to the request), scaled down by the overshoot.
    """
    overhead = container_overhead(info)
    ratio = (max_bytes - overhead) / max(1, size - overhead)
    delivered = (size - overhead) * 8 / info.duration - plan.audio_bps * 1.05
    return min(plan.video_bps, delivered) * ratio * RETRY_MARGIN


async def _encode(
    media: Media, src: Path, dest: Path, info: MediaInfo, plan: Plan, on_progress: ProgressCallback | None
) -> int:
    inp = open_input(src)
    video = inp.video
    if (plan.width, plan.height) != (info.width, info.height):
        video = video.filter("scale", plan.width, plan.height, flags="lanczos")
    video = video.filter("setsar", 1)
    rate = plan.video_bps
    options: dict[str, Any] = {"b:v": rate, "maxrate": int(rate * MAXRATE), "bufsize": int(rate * VBV_SECONDS)}
    options["x264-params"] = f"ratetol={RATE_TOLERANCE}"
    if info.has_audio:
        options.update({"c:a": "aac", "b:a": plan.audio_bps, "ac": 2})
    streams = [video, inp.audio] if info.has_audio else [video]
    await encode(
        media, streams, dest, audio=False, expected=info.duration, on_progress=on_progress, without=("crf",), **options
    )
    return size_of(dest)


async def _remux(media: Media, src: Path, dest: Path) -> int:
    with atomic_output(dest) as tmp:
        out = open_input(src).output(str(tmp), c="copy", movflags="+faststart", map_metadata=-1, f="mp4")
        await media.run(compile_args(out))
    return size_of(dest)


async def fit_to_size(
    media: Media, src: Path, dest: Path, max_bytes: int, *, on_progress: ProgressCallback | None = None
) -> FitResult:
    """Write ``src`` to ``dest`` at most ``max_bytes`` long (see the module docstring)."""
    info = await media.probe(src)
    require_video(info, "The clip")
    dest = prepare_dest(dest)
    if info.size_bytes <= max_bytes and info.is_h264_mp4:
        size = await _remux(media, src, dest)
        if size <= max_bytes:
            return FitResult(dest, size, 0, 0, 0, info.width, info.height)
    plan = plan_encode(info, max_bytes)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        size = await _encode(media, src, dest, info, plan, on_progress)
        if size <= max_bytes:
            return FitResult(dest, size, attempt, plan.video_bps, plan.audio_bps, plan.width, plan.height)
        plan = plan_encode(info, max_bytes, video_cap=retry_rate(info, plan, size, max_bytes))
    dest.unlink(missing_ok=True)
    raise OutputTooLarge(
        "The video could not be made small enough to upload here.",
        detail=f"still {size} bytes after {MAX_ATTEMPTS} encodes (limit {max_bytes})",
    )
