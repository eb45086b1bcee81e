"""Fixtures of the end-to-end Discord tests.  The loopback Discord emulator (``emu``), settings pointing at it
(``bot_settings``) and the real VideoBot in this process (``launch``) are in tests/conftest.py, shared with
tests/hostile, tests/browser and tests/services; the helpers that read results are in tests/support/discord.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.discord import png_bytes


@pytest.fixture
def sample_png(tmp_path: Path) -> bytes:
    """A small PNG image."""
    return png_bytes()
