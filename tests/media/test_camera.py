"""Camera paths: the ffmpeg expressions say what the Python path says, and windows stay in the picture."""

from __future__ import annotations

import itertools
import math
import re

import pytest

from bot.media.camera import Sym, corners, make_move, perspective_args, window_in_bounds
from bot.media.render import SIZES, SUPERSAMPLE
from bot.prompt import CAMERA_MOVES


def evaluate(expression: str, frame: int, width: float, height: float) -> float:
    """Evaluate our ffmpeg expression text in Python (it only uses + - * / sin cos and W H in)."""
    text = expression.replace("(in-1)", f"({frame})")
    assert re.fullmatch(r"[\d.()+\-*/sincoWH ]+", text), text
    return float(eval(text, {"__builtins__": {}}, {"sin": math.sin, "cos": math.cos, "W": width, "H": height}))


@pytest.mark.parametrize("name", list(CAMERA_MOVES))
def test_expressions_match_the_path(name):
    move = make_move(name, seed=11)
    frames, width, height = 72, 1920.0, 1080.0
    args = perspective_args(move, frames, 24)
    for frame in (0, 1, 35, 71):
        expected = corners(move(frame / (frames - 1), frame / 24), width, height)
        for index, (x, y) in enumerate(expected):
            assert evaluate(args[f"x{index}"], frame, width, height) == pytest.approx(x, abs=1e-3)
            assert evaluate(args[f"y{index}"], frame, width, height) == pytest.approx(y, abs=1e-3)


@pytest.mark.parametrize("aspect", list(SIZES))
@pytest.mark.parametrize("name", list(CAMERA_MOVES))
def test_window_never_leaves_the_picture(name, aspect):
    width, height = (side * SUPERSAMPLE for side in SIZES[aspect])
    for seed in (0, 1, 2**32 - 1):
        assert window_in_bounds(make_move(name, seed), width, height, frames=240, fps=24)


def test_bounds_check_can_fail():
    def wild(p, t):
        from bot.media.camera import Window

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


def test_sym_prints_plain_numbers():
    x = Sym("x")
    assert str(x * 0.5) == "(x*0.5)" and str(1 - x) == "(1-x)" and str(-x / 4) == "((-x)/4)"
    assert str(x * 1e-9) == "(x*0.000000001)"  # never an exponent ffmpeg might misread
