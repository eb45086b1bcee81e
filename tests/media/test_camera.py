"""Camera paths: the frames cut what the path says, and windows stay in the picture."""

from __future__ import annotations

import itertools

import pytest
from PIL import Image

from bot.media.camera import Window, corners, make_move, window_in_bounds
from bot.media.render import SIZES, SUPERSAMPLE, camera_frames, yuv_planes
from bot.prompt import CAMERA_MOVES


def gradient(size: tuple[int, int]) -> Image.Image:
    """A picture whose grey level tells the position: red rises left to right, green top to bottom."""
    w, h = size
    picture = Image.new("RGB", size)
    picture.putdata([(round(255 * x / (w - 1)), round(255 * y / (h - 1)), 0) for y in range(h) for x in range(w)])
    return picture


@pytest.mark.parametrize("name", ["dolly_in", "pan_left", "orbit", "drone"])
def test_frames_cut_the_window_of_the_path(name):
    # the luma of a red/green ramp is linear in the picture position, so each frame's mean luma along its top and
    # left edges tells where the renderer took them from: compared with the same means computed from the path
    still, size, frames = gradient((240, 136)), (160, 90), 12
    luma = yuv_planes(still)[0]
    move = make_move(name, seed=4)
    for n, frame in enumerate(camera_frames(still, move, size, frames)):
        assert len(frame) == size[0] * size[1] * 3 // 2
        got = Image.frombytes("L", size, frame[: size[0] * size[1]])
        (x0, y0), (x1, y1), (x2, y2), _ = corners(move(n / (frames - 1), n / 24), 240.0, 136.0)
        for u, v in ((0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.5, 0.5)):
            x, y = x0 + u * (x1 - x0) + v * (x2 - x0), y0 + u * (y1 - y0) + v * (y2 - y0)
            expected = luma.getpixel((int(x), int(y)))
            assert abs(got.getpixel((int(u * size[0]), int(v * size[1]))) - expected) <= 3, (n, u, v)


@pytest.mark.parametrize("aspect", list(SIZES))
@pytest.mark.parametrize("name", list(CAMERA_MOVES))
def test_window_never_leaves_the_picture(name, aspect):
    width, height = (side * SUPERSAMPLE for side in SIZES[aspect])
    for seed in (0, 1, 2**32 - 1):
        assert window_in_bounds(make_move(name, seed), width, height, frames=240, fps=24)


def test_bounds_check_can_fail():
    def wild(p, t):
        return Window(0.9, 0.5, 1.0)

    assert not window_in_bounds(wild, 100.0, 100.0, frames=2, fps=24)


@pytest.mark.parametrize("name", list(CAMERA_MOVES))
def test_moves_are_smooth_paths(name):
    move = make_move(name, seed=3)
    for corner in range(4):
        for axis in range(2):
            xs = [corners(move(n / 239, n / 24), 1920.0, 1080.0)[corner][axis] for n in range(240)]
            speeds = [b - a for a, b in itertools.pairwise(xs)]
            accelerations = [abs(b - a) for a, b in itertools.pairwise(speeds)]
            assert max(accelerations) < 0.5  # source pixels per frame², over 10 s at 24 fps
            reversals = sum(1 for a, b in itertools.pairwise(speeds) if a * b < 0)
            assert reversals <= 20  # handheld sways below 1 Hz; it does not shake


def test_default_and_unknown_moves():
    assert make_move(None, 1)(1.0, 1.0) == make_move("dolly_in", 1)(1.0, 1.0)
    with pytest.raises(ValueError):
        make_move("barrel_roll", 1)


def test_handheld_depends_on_the_seed_only():
    a, b, c = make_move("handheld", 5), make_move("handheld", 5), make_move("handheld", 6)
    assert a(0.5, 1.3) == b(0.5, 1.3) != c(0.5, 1.3)
