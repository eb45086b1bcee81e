"""Picture quality of the offline renders against a 16-sample reference, and against the plain zoompan command.

Run: ``python bench/bench_render_quality.py [--still PNG ...] [--moves dolly_in,pan_left,...]`` (about a minute
per still on 2 cores).  For each still and camera move, ``render_motion`` makes a 5 s 1280x720 clip (encoded, as
delivered); 15 of its frames (every 8th) are compared, as BT.709 Y, with a reference made from the still itself
by 16-sample supersampling (the window cut with a bicubic affine transform at 4x the output size, then
box-reduced 4x): SSIM (Y) and PSNR (Y), from ffmpeg's ``ssim`` and ``psnr`` filters.  The row ``zoompan`` is
issue 18's plain command (``zoompan=z='min(zoom+0.0015,1.5)':d=120:s=1280x720:fps=24`` then x264 veryfast,
CRF 23 by default) against its own move's reference (``z`` from 1.0015 up by 0.0015 a frame, anchored top
left), and ``ours (zoompan's move)`` our renderer on that same move: so a change can be checked against the
plain command, not only against the renderer before it.  The method is the one BENCHMARKS.md's "Offline
renders" section describes (that section's table was made by an earlier, uncommitted script; written here
2026-12-06 for issue 18).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from bot.media import Media  # noqa: E402
from bot.media import render as render_module  # noqa: E402
from bot.media.camera import Window, corners, make_move  # noqa: E402
from bot.media.render import _YCBCR_709, FPS, render_motion  # noqa: E402

W, H, FRAMES = 1280, 720, 120
SAMPLES = range(0, FRAMES, 8)  # 15 frames
ZOOMPAN = "zoompan=z='min(zoom+0.0015,1.5)':d=120:s=1280x720:fps=24"


def luma(still: Image.Image) -> Image.Image:
    return still.convert("RGB").convert("RGB", _YCBCR_709).split()[0]


def reference(plane: Image.Image, window: list[tuple[float, float]]) -> bytes:
    """The window (top-left, top-right, bottom-left corners in ``plane`` pixels) at 16 samples per pixel."""
    (x0, y0), (x1, y1), (x2, y2) = window
    big = (W * 4, H * 4)
    affine = ((x1 - x0) / big[0], (x2 - x0) / big[1], x0, (y1 - y0) / big[0], (y2 - y0) / big[1], y0)
    return plane.transform(big, Image.Transform.AFFINE, affine, Image.Resampling.BICUBIC).reduce(4).tobytes()


def zoompan_window(n: int, width: float, height: float) -> list[tuple[float, float]]:
    zoom = min(1 + 0.0015 * (n + 1), 1.5)
    return [(0.0, 0.0), (width / zoom, 0.0), (0.0, height / zoom)]


def decoded_y(media: Media, video: Path) -> list[bytes]:
    raw = subprocess.run(
        [media.ffmpeg, "-v", "error", "-i", str(video), "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"],
        capture_output=True,
        check=True,
    ).stdout
    size = W * H * 3 // 2
    return [raw[n * size : n * size + W * H] for n in range(len(raw) // size)]


def compare(media: Media, ours: list[bytes], refs: list[bytes], folder: Path) -> tuple[float, float]:
    a, b = folder / "a.gray", folder / "b.gray"
    a.write_bytes(b"".join(ours))
    b.write_bytes(b"".join(refs))
    gray = ["-f", "rawvideo", "-pix_fmt", "gray", "-s", f"{W}x{H}"]
    graph = ["-lavfi", "[0][1]ssim;[0][1]psnr", "-f", "null", "-"]
    done = subprocess.run(
        [media.ffmpeg, "-hide_banner", *gray, "-i", str(a), *gray, "-i", str(b), *graph],
        capture_output=True,
        text=True,
        check=True,
    )
    ssim = re.search(r"SSIM .*All:([0-9.]+)", done.stderr)
    psnr = re.search(r"PSNR .*average:([0-9.inf]+)", done.stderr)
    assert ssim and psnr, done.stderr[-800:]
    return float(ssim.group(1)), float(psnr.group(1))


async def measure(still_path: Path, moves: list[str], folder: Path, crf: int) -> list[str]:
    media = Media(timeout=600)
    still = Image.open(still_path).convert("RGB")
    # the renderer crops the still to 16:9 first; the reference cuts from the same crop at full resolution
    from PIL import ImageOps

    cropped = ImageOps.fit(still, (still.width, round(still.width * 9 / 16)), Image.Resampling.LANCZOS)
    plane = luma(cropped)
    width, height = float(plane.width), float(plane.height)
    rows = []
    for name in moves:
        move = make_move(name, 1)
        out = await render_motion(media, still_path, folder / "m.mp4", aspect="16:9", duration=5, camera=name, seed=1)
        frames = decoded_y(media, out)
        refs = [reference(plane, corners(move(n / (FRAMES - 1), n / FPS), width, height)[:3]) for n in SAMPLES]
        ssim, psnr = compare(media, [frames[n] for n in SAMPLES], refs, folder)
        rows.append(f"| {still_path.name} | {name} | {ssim:.4f} / {psnr:.1f} |")
        print(rows[-1], flush=True)
    # the plain command's own move, by it and by us
    refs = [reference(plane, zoompan_window(n, width, height)) for n in SAMPLES]
    plain = folder / "plain.mp4"
    x264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf), "-pix_fmt", "yuv420p", str(plain)]
    await asyncio.to_thread(
        subprocess.run,
        [
            media.ffmpeg,
            "-v",
            "error",
            "-y",
            "-loop",
            "1",
            "-i",
            str(still_path),
            "-vf",
            ZOOMPAN,
            "-frames:v",
            "120",
            *x264,
        ],
        check=True,
    )
    frames = decoded_y(media, plain)
    ssim, psnr = compare(media, [frames[n] for n in SAMPLES], refs, folder)
    rows.append(f"| {still_path.name} | zoompan (plain command, CRF {crf}) | {ssim:.4f} / {psnr:.1f} |")
    print(rows[-1], flush=True)

    def zoompan_move(p: float, t: float) -> Window:
        n = round(t * FPS)
        zoom = min(1 + 0.0015 * (n + 1), 1.5)
        return Window(0.5 / zoom, 0.5 / zoom, zoom)

    original = render_module.make_move
    render_module.make_move = lambda name, seed: zoompan_move
    try:
        out = await render_motion(media, still_path, folder / "z.mp4", aspect="16:9", duration=5, camera=None, seed=1)
    finally:
        render_module.make_move = original
    frames = decoded_y(media, out)
    ssim, psnr = compare(media, [frames[n] for n in SAMPLES], refs, folder)
    rows.append(f"| {still_path.name} | ours (zoompan's move) | {ssim:.4f} / {psnr:.1f} |")
    print(rows[-1], flush=True)
    return rows


def mandelbrot(dest: Path) -> Path:
    """A 2880x1620 Mandelbrot render (fine detail everywhere), as in BENCHMARKS.md."""
    Image.effect_mandelbrot((2880, 1620), (-2.2, -1.1, 1.0, 1.1), 200).convert("RGB").save(dest)
    return dest


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--still", type=Path, action="append", help="a still to animate (default: a Mandelbrot)")
    parser.add_argument("--moves", default="dolly_in,pan_left,orbit,handheld,drone")
    parser.add_argument("--plain-crf", type=int, default=23, help="the plain command's CRF (x264's default: 23)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        stills = args.still or [mandelbrot(folder / "mandelbrot.png")]
        print("| still | move | SSIM (Y) / PSNR (Y) against the 16-sample reference |\n|---|---|---|")
        for still in stills:
            await measure(still, args.moves.split(","), folder, args.plain_crf)


if __name__ == "__main__":
    asyncio.run(main())
