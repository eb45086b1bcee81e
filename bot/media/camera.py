"""Camera moves over a still picture.

A move is a function of the clip's progress ``p`` (0..1) and time ``t`` that returns the viewing
window: its centre (fractions of the picture), a zoom (≥ 1: the window is 1/zoom of the picture)
and a rotation.  :func:`corners` turns a window into picture pixels; the renderer
(:mod:`bot.media.render`) cuts that window out of the picture with sub-pixel precision every frame,
so slow moves glide instead of stepping a whole pixel at a time (zoompan and crop round positions
to integers, which shows as jitter at 24 fps).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_MOVE = "dolly_in"
sin, cos = math.sin, math.cos


def ease(p: float) -> float:
    """Smoothstep blended with a little linear motion, so the camera never quite stops."""
    return 0.75 * (p * p * (3 - 2 * p)) + 0.25 * p


@dataclass(frozen=True)
class Window:
    """The viewing window at one instant."""

    cx: float  # centre, fraction of the picture width
    cy: float  # centre, fraction of the picture height
    zoom: float  # ≥ 1
    angle: float = 0.0  # radians, clockwise on screen


def _margin(zoom: float) -> float:
    return 0.5 - 0.5 / zoom


class Wobble:
    """Smooth, low-frequency noise (three slow sines with seeded frequencies and phases), in -1..1."""

    def __init__(self, rng: random.Random):
        self.parts = [(rng.uniform(0.15, 0.9), rng.uniform(0, 2 * math.pi)) for _ in range(3)]
        self.weights = (0.55, 0.3, 0.15)

    def __call__(self, t: float) -> float:
        total: float = 0.0
        for weight, (freq, phase) in zip(self.weights, self.parts, strict=True):
            total = total + weight * sin(2 * math.pi * freq * t + phase)
        return total


Move = Callable[[float, float], Window]


def make_move(name: str | None, seed: int) -> Move:
    """The move ``name`` (a key of bot.prompt.CAMERA_MOVES; None: a gentle dolly in)."""
    rng = random.Random(f"camera:{name}:{seed}")
    pan = _margin(1.2)
    wobble_x, wobble_y, wobble_r = Wobble(rng), Wobble(rng), Wobble(rng)

    def static(p: float, t: float) -> Window:
        return Window(0.5, 0.5, 1.0)

    def pan_left(p: float, t: float) -> Window:  # the view turns left: the scene slides right
        return Window(0.5 + pan - 2 * pan * ease(p), 0.5, 1.2)

    def pan_right(p: float, t: float) -> Window:
        return Window(0.5 - pan + 2 * pan * ease(p), 0.5, 1.2)

    def dolly_in(p: float, t: float) -> Window:
        return Window(0.5, 0.5, 1.0 + 0.3 * ease(p))

    def dolly_out(p: float, t: float) -> Window:
        return Window(0.5, 0.5, 1.3 - 0.3 * ease(p))

    def tracking(p: float, t: float) -> Window:  # constant lateral speed, a slight step bob
        return Window(0.5 - pan + 2 * pan * p, 0.5 + 0.006 * sin(2 * math.pi * 0.8 * t), 1.2 + 0.05 * p)

    def crane(p: float, t: float) -> Window:  # the camera rises: the window moves up the picture
        return Window(0.5, 0.5 + pan - 2 * pan * ease(p), 1.2)

    def handheld(p: float, t: float) -> Window:
        return Window(0.5 + 0.012 * wobble_x(t), 0.5 + 0.012 * wobble_y(t), 1.1, 0.004 * wobble_r(t))

    def drone(p: float, t: float) -> Window:  # rise and pull back to reveal the scene
        zoom = 1.35 - 0.3 * ease(p)
        return Window(0.5, 0.5 + 0.8 * (0.5 - 0.5 / zoom) * (1 - 2 * ease(p)), zoom)

    def orbit(p: float, t: float) -> Window:  # a slow turn with a counter-slide reads as circling
        return Window(
            0.5 + 0.035 * (1 - 2 * ease(p)), 0.5, 1.22 + 0.04 * sin(math.pi * p), (-3 + 6 * ease(p)) * (math.pi / 180)
        )

    moves: dict[str, Move] = {
        "static": static,
        "pan_left": pan_left,
        "pan_right": pan_right,
        "dolly_in": dolly_in,
        "dolly_out": dolly_out,
        "tracking": tracking,
        "crane": crane,
        "handheld": handheld,
        "drone": drone,
        "orbit": orbit,
    }
    key = name or DEFAULT_MOVE
    if key not in moves:
        raise ValueError(f"unknown camera move {name!r}")
    return moves[key]


def corners(window: Window, width: float, height: float) -> list[tuple[float, float]]:
    """The window's corners in picture pixels: top-left, top-right, bottom-left, bottom-right."""
    half_w = width * (0.5 / window.zoom)
    half_h = height * (0.5 / window.zoom)
    c, s = cos(window.angle), sin(window.angle)
    points = []
    for sy in (-1, 1):
        for sx in (-1, 1):
            dx, dy = half_w * sx, half_h * sy
            points.append((width * window.cx + dx * c - dy * s, height * window.cy + dx * s + dy * c))
    return points


def window_in_bounds(move: Move, width: float, height: float, *, frames: int, fps: int) -> bool:
    """Whether every frame's window stays inside the picture (checked with floats)."""
    for n in range(frames):
        window = move(n / max(1, frames - 1), n / fps)
        for x, y in corners(window, width, height):
            if not (-1e-6 <= x <= width + 1e-6 and -1e-6 <= y <= height + 1e-6):
                return False
    return True
