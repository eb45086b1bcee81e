"""The offline restyle (local video to video): each style visibly changes the picture and keeps the motion."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from bot.media.restyle import STYLE_FILTERS, restyle
from bot.prompt import STYLES
from tests.support.video import ffmpeg, frames_gray, make_clip, mean_abs_diff

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]  # slow: full-length restyles measured frame by frame
W, H = 160, 96


def rgb_frames(video: Path) -> list[bytes]:
    data = ffmpeg("-i", str(video), "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-")
    return [data[i : i + W * H * 3] for i in range(0, len(data), W * H * 3)]


def correlation(a: list[float], b: list[float]) -> float:
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    num = sum((x - ma) * (y - mb) for x, y in zip(a, b, strict=True))
    den = math.sqrt(sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b))
    return num / den if den else 0.0


def steps(frames: list[bytes]) -> list[float]:
    """How much the picture changes from each frame to the next (the motion's rhythm)."""
    return [mean_abs_diff(a, b) for a, b in itertools.pairwise(frames)]


@pytest.fixture(scope="module")
def moving(tmp_path_factory) -> Path:
    """A clip whose motion speeds up and slows down (a zoom that pulses), so its rhythm is recognisable."""
    folder = tmp_path_factory.mktemp("restyle")
    return make_clip(
        folder / "src.mp4",
        seconds=2,
        size=f"{W}x{H}",
        rate=24,
        source="testsrc2",
        extra=("-vf", "zoompan=z='1+0.3*abs(sin(on/5))':d=1:s=160x96:fps=24"),
    )


def test_every_prompt_style_has_a_restyle():
    assert set(STYLE_FILTERS) == set(STYLES)


async def test_each_style_changes_the_look_and_keeps_the_motion(media, moving, tmp_path):
    source_rgb = rgb_frames(moving)
    source_steps = steps(frames_gray(moving, W, H))
    outputs: dict[str, list[bytes]] = {}
    for style in STYLES:
        out = await restyle(media, moving, tmp_path / f"{style}.mp4", style=style, seconds=2, size=(W, H), strength=1.0)
        info = await media.probe(out, exact=True)
        assert (info.width, info.height) == (W, H) and info.codec == "h264"
        assert abs(info.duration - 2.0) < 0.15
        frames = rgb_frames(out)
        outputs[style] = frames
        # visibly restyled: far from the source, frame for frame
        look = sum(mean_abs_diff(a, b) for a, b in zip(frames, source_rgb, strict=False)) / len(frames)
        assert look > 6, (style, look)
        # the same motion: the frame-to-frame change rises and falls with the source's
        rhythm = correlation(steps(frames_gray(out, W, H))[: len(source_steps)], source_steps[: len(frames) - 1])
        assert rhythm > 0.6, (style, rhythm)
    # and the six looks differ from one another
    names = list(outputs)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert mean_abs_diff(outputs[a][10], outputs[b][10]) > 2, (a, b)


async def test_strength_blends_towards_the_original(media, moving, tmp_path):
    source = rgb_frames(moving)
    full = rgb_frames(
        await restyle(media, moving, tmp_path / "f.mp4", style="anime", seconds=1, size=(W, H), strength=1.0)
    )
    light = rgb_frames(
        await restyle(media, moving, tmp_path / "l.mp4", style="anime", seconds=1, size=(W, H), strength=0.3)
    )
    assert mean_abs_diff(light[5], source[5]) < mean_abs_diff(full[5], source[5])
    assert len(full) == 24  # the first second only
