"""Test helpers: tiny real clips made with ffmpeg, decoded frames, and motion measured from them.

Motion is measured without numpy: a frame's column (or row) profile is the mean of each column,
and the shift between two profiles is the integer offset with the least squared difference,
refined to sub-pixel precision by a parabola through its neighbours.
"""

from __future__ import annotations

import array
import itertools
import math
import random
import subprocess
from pathlib import Path

import imageio_ffmpeg
from PIL import Image

from bot.media import find_ffmpeg

FFMPEG = find_ffmpeg()
BUNDLED_FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()  # imageio-ffmpeg's own build (make_mp4 and the hostile corpus)


def make_mp4(
    dest: Path, *, seconds: float = 1.0, size: str = "320x240", rate: int = 24, source: str = "testsrc2"
) -> Path:
    """A real H.264 yuv420p MP4 (no shell, bounded time)."""
    subprocess.run(
        [
            BUNDLED_FFMPEG,
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"{source}=size={size}:rate={rate}:duration={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            str(dest),
        ],
        check=True,
        timeout=60,
    )
    return dest


def ffmpeg(*args: str, timeout: float = 60) -> bytes:
    """Run ffmpeg (argument list, bounded) and return its stdout."""
    done = subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args],
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done.stdout


def make_clip(
    dest: Path,
    *,
    seconds: float = 1.0,
    size: str = "320x240",
    rate: int = 24,
    source: str = "testsrc2",
    audio: bool = False,
    codec: str = "libx264",
    extra: tuple[str, ...] = (),
) -> Path:
    """A real clip: ``source`` (a lavfi video source) for ``seconds``, optionally with a sine tone."""
    args = ["-f", "lavfi", "-i", f"{source}=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}", "-c:a", "aac", "-shortest"]
    args += ["-c:v", codec, "-pix_fmt", "yuv420p", *extra]
    if codec == "libx264":
        args += ["-preset", "ultrafast"]
    ffmpeg(*args, str(dest))
    return dest


def frames_gray(video: Path, width: int, height: int) -> list[bytes]:
    """Every frame of ``video`` as 8-bit grey bytes (width x height)."""
    data = ffmpeg("-i", str(video), "-f", "rawvideo", "-pix_fmt", "gray", "-s", f"{width}x{height}", "-")
    size = width * height
    assert len(data) % size == 0
    return [data[i : i + size] for i in range(0, len(data), size)]


def mean_abs_diff(a: bytes, b: bytes) -> float:
    """Mean absolute difference of two grey frames."""
    return sum(abs(x - y) for x, y in zip(a[::7], b[::7], strict=True)) / len(a[::7])


def profile(frame: bytes, width: int, height: int, *, axis: str, part: tuple[float, float] = (0, 1)) -> list[float]:
    """Column means (axis="x") or row means (axis="y") of a band of the frame (``part`` of the other axis)."""
    image = Image.frombytes("L", (width, height), frame).convert("F")
    if axis == "x":
        band = image.crop((0, int(height * part[0]), width, int(height * part[1])))
        return list(array.array("f", band.resize((width, 1), Image.Resampling.BOX).tobytes()))
    band = image.crop((int(width * part[0]), 0, int(width * part[1]), height))
    return list(array.array("f", band.resize((1, height), Image.Resampling.BOX).tobytes()))


def _sample(values: list[float], position: float) -> float:
    """Catmull-Rom interpolation (linear interpolation biases sub-pixel shifts by up to 0.2 px)."""
    index = min(max(math.floor(position), 1), len(values) - 3)
    t = position - index
    p0, p1, p2, p3 = values[index - 1 : index + 3]
    return p1 + 0.5 * t * (p2 - p0 + t * (2 * p0 - 5 * p1 + 4 * p2 - p3 + t * (3 * (p1 - p2) + p3 - p0)))


def shift(a: list[float], b: list[float], *, max_shift: int = 12, span: tuple[float, float] = (0, 1)) -> float:
    """How far the pattern moved from ``a`` to ``b`` (positive: towards higher indices), sub-pixel.

    The best whole-pixel offset is refined by Gauss-Newton steps; both profiles are interpolated
    by half the shift each way, so interpolation blurs them alike and does not bias the estimate."""
    lo, hi = int(len(a) * span[0]) + max_shift + 3, int(len(a) * span[1]) - max_shift - 4
    indices = range(lo, hi)

    def residuals(s: float) -> list[float]:
        return [_sample(a, i - s / 2) - _sample(b, i + s / 2) for i in indices]

    best = float(min(range(-max_shift, max_shift + 1), key=lambda s: sum(r * r for r in residuals(s))))
    for _ in range(6):
        base = residuals(best)
        ahead = residuals(best + 0.01)
        grads = [(y - x) / 0.01 for x, y in zip(base, ahead, strict=True)]
        den = sum(g * g for g in grads)
        if den <= 0:
            break
        step = max(-0.5, min(0.5, -sum(r * g for r, g in zip(base, grads, strict=True)) / den))
        best += step
        if abs(step) < 1e-4:
            break
    return best


def motion_signals(frames: list[bytes], width: int, height: int) -> dict[str, list[float]]:
    """Per frame pair, in pixels: horizontal shifts of the left and right parts ("left", "right"),
    vertical shifts of the top and bottom parts ("top", "bottom") and vertical shifts of the left
    and right bands ("rows_left", "rows_right"; opposite signs mean a rotation)."""
    names = ("left", "right", "top", "bottom", "rows_left", "rows_right")
    signals: dict[str, list[float]] = {name: [] for name in names}
    profiles = []
    for frame in frames:
        profiles.append(
            {
                "x": profile(frame, width, height, axis="x", part=(0.2, 0.8)),
                "y": profile(frame, width, height, axis="y", part=(0.2, 0.8)),
                "yl": profile(frame, width, height, axis="y", part=(0.0, 0.3)),
                "yr": profile(frame, width, height, axis="y", part=(0.7, 1.0)),
            }
        )
    for before, after in itertools.pairwise(profiles):
        signals["left"].append(shift(before["x"], after["x"], span=(0.0, 0.4)))
        signals["right"].append(shift(before["x"], after["x"], span=(0.6, 1.0)))
        signals["top"].append(shift(before["y"], after["y"], span=(0.0, 0.4)))
        signals["bottom"].append(shift(before["y"], after["y"], span=(0.6, 1.0)))
        signals["rows_left"].append(shift(before["yl"], after["yl"], span=(0.2, 0.8)))
        signals["rows_right"].append(shift(before["yr"], after["yr"], span=(0.2, 0.8)))
    return signals


def roughness(values: list[float]) -> float:
    """The largest change between consecutive per-frame shifts (a smooth move changes gently)."""
    return max((abs(b - a) for a, b in itertools.pairwise(values)), default=0.0)


def plaid(path: Path, size: tuple[int, int], seed: int = 3) -> Path:
    """A picture that is a sum of smooth random stripes across and down: every shift is measurable."""
    rng = random.Random(seed)
    width, height = size

    def stripes(length: int) -> list[float]:
        waves = [(rng.uniform(3, 40), rng.uniform(0, 6.3), rng.uniform(0.4, 1.0)) for _ in range(8)]
        return [sum(a * math.sin(2 * math.pi * f * i / length + ph) for f, ph, a in waves) for i in range(length)]

    across, down = stripes(width), stripes(height)
    scale = 120 / (max(map(abs, across)) + max(map(abs, down)))
    pixels = []
    for y in range(height):
        row = down[y]
        for x in range(width):
            v = int(128 + scale * (across[x] + row))
            pixels.append((v, 255 - v, v // 2 + 60))
    image = Image.new("RGB", size)
    image.putdata(pixels)
    image.save(path)
    return path


def make_voice(dest: Path, *, seconds: float = 3.0, frequency: int = 220) -> Path:
    """A real audio file (a sine tone; the format follows ``dest``'s suffix: .wav, .mp3, .ogg …)."""
    ffmpeg("-f", "lavfi", "-i", f"sine=frequency={frequency}:duration={seconds}", str(dest))
    return dest


def stream_seconds(path: Path, kind: str) -> float:
    """How long one stream of a file lasts (``kind``: "v" for the first video stream, "a" for the first audio
    stream): the end of its last packet (pts + duration, in the stream's time base, packets copied, not decoded);
    0.0 when the file has no such stream."""
    done = subprocess.run(
        [
            FFMPEG,
            "-hide_banner",
            "-nostdin",
            "-i",
            str(path),
            "-map",
            f"0:{kind}:0?",
            "-c",
            "copy",
            "-f",
            "framemd5",
            "-",
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    header = done.stderr.decode(errors="replace").split("Stream mapping:")[0]
    wanted = {"v": "Video:", "a": "Audio:"}[kind]
    if not any(line.lstrip().startswith("Stream #0:") and wanted in line for line in header.splitlines()):
        return 0.0
    text = done.stdout.decode(errors="replace")
    base = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("#tb 0:")), None)
    if done.returncode != 0 or base is None:
        return 0.0
    num, den = (int(x) for x in base.split("/"))
    ends = [int(f[2]) + int(f[3]) for f in (line.split(",") for line in text.splitlines() if line[:1].isdigit())]
    return max(ends, default=0) * num / den


def video_stream_md5(path: Path) -> str:
    """The MD5 of a file's video packets as stored (stream-copied, never decoded): equal for two files only when
    the picture was copied bit for bit."""
    out = ffmpeg("-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "md5", "-")
    return out.decode().strip()


def audio_codec(path: Path) -> str | None:
    """The codec of a file's first audio stream as ffmpeg names it ("aac"), None when it has none."""
    done = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, timeout=30, check=False)
    for line in done.stderr.decode(errors="replace").splitlines():
        if line.lstrip().startswith("Stream #0:") and "Audio:" in line:
            return line.split("Audio:", 1)[1].split()[0].strip(",")
    return None


def ffmpeg_streams(path: Path) -> list[str]:
    """The kinds of a file's streams in order, as ffmpeg reads them ("video", "audio", …)."""
    done = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, timeout=30, check=False)
    kinds = []
    for line in done.stderr.decode(errors="replace").splitlines():
        if line.lstrip().startswith("Stream #0:"):
            kinds.append(line.split(": ", 2)[1].split(":")[0].strip().lower())
    return kinds


def band_level(path: Path, hz: int) -> float:
    """The mean level (dB) of a file's sound in a narrow band around ``hz``: how loud a tone of that pitch is."""
    done = subprocess.run(
        [
            FFMPEG,
            "-hide_banner",
            "-nostdin",
            "-i",
            str(path),
            "-map",
            "0:a:0",
            "-af",
            f"bandpass=f={hz}:width_type=h:w=40,volumedetect",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    text = done.stderr.decode(errors="replace")
    assert done.returncode == 0, text[-2000:]
    return float(text.split("mean_volume:")[1].split("dB")[0])
