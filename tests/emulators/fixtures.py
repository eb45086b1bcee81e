"""pytest fixtures for the emulators.  Use with ``pytest_plugins = ["tests.emulators.fixtures"]``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.emulators import EmulatorServer, VideoFactory


@pytest.fixture(scope="session")
def emulator_videos(tmp_path_factory: pytest.TempPathFactory) -> VideoFactory:
    """Clips made once per session (per length) and shared by every emulator."""
    return VideoFactory(tmp_path_factory.mktemp("emulator-clips"))


@pytest.fixture
async def emulator(emulator_videos: VideoFactory) -> AsyncIterator[EmulatorServer]:
    """A fresh emulator server for one test (all three APIs, ephemeral port on 127.0.0.1)."""
    server = await EmulatorServer(emulator_videos).start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def png_image(tmp_path: Path) -> Path:
    """A small real PNG."""
    from PIL import Image

    path = tmp_path / "start.png"
    Image.new("RGB", (64, 48), (200, 40, 40)).save(path)
    return path
