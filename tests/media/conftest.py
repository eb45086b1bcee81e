"""Fixtures for the media tests: one Media, and tiny real clips made once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.media import Media
from tests.support.video import make_clip


@pytest.fixture
def media() -> Media:
    """The real Media on the available ffmpeg, with a short timeout."""
    return Media(timeout=60)


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small clips: the same encoder settings for some (stream-copyable), different ones for others."""
    folder = tmp_path_factory.mktemp("clips")
    return {
        "av": make_clip(folder / "av.mp4", audio=True),  # 1 s, 320x240, 24 fps, AAC tone
        "plain": make_clip(folder / "plain.mp4"),  # 1 s, 320x240, 24 fps, no sound
        "plain_bars": make_clip(folder / "bars.mp4", source="smptebars"),  # same settings, other picture
        "small30": make_clip(folder / "small30.mp4", size="160x120", rate=30),
        "webm": make_clip(folder / "clip.webm", codec="libvpx-vp9", extra=("-b:v", "200k")),
        "two": make_clip(folder / "two.mp4", seconds=2, size="640x360", audio=True, extra=("-crf", "12")),
    }
