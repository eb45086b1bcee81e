"""The emulators' pytest fixtures, registered once for every test run through the ``pytest11`` entry point
(``pyproject.toml``): ``discord_emulator`` (a started Discord emulator with discord.py pointed at it),
``emulator_videos`` (clips made once per session), ``emulator`` (the Runway/Replicate/Luma server, with
fal on a second, TLS port), ``fal_emulator`` (the same server, with ``SSL_CERT_FILE`` pointing this test
process at its test CA), ``comfyui_emulator`` (an emulated ComfyUI) and ``png_image`` (a small real PNG)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from emulators.comfyui import ComfyEmulator
from emulators.discord.emulator import DiscordEmulator
from emulators.discord.harness import point_discord_py_at
from emulators.providers import EmulatorServer, VideoFactory


@pytest.fixture
async def discord_emulator() -> AsyncIterator[DiscordEmulator]:
    """A started Discord emulator with discord.py pointed at it (restored afterwards). At teardown the test
    fails if a request or an answer broke Discord's OpenAPI description (``emu.assert_lawful()``; a test that
    sends an invalid body on purpose takes its violations with ``emu.take_violations()`` and asserts them)."""
    emu = DiscordEmulator()
    await emu.start()
    restore = point_discord_py_at(emu)
    try:
        yield emu
    finally:
        restore()
        await emu.close()
    emu.assert_lawful()


@pytest.fixture(scope="session")
def emulator_videos(tmp_path_factory: pytest.TempPathFactory) -> VideoFactory:
    """Clips made once per session (per length) and shared by every provider emulator."""
    return VideoFactory(tmp_path_factory.mktemp("emulator-clips"))


@pytest.fixture
async def emulator(emulator_videos: VideoFactory) -> AsyncIterator[EmulatorServer]:
    """A fresh provider emulator server for one test (all APIs, ephemeral port on 127.0.0.1)."""
    server = await EmulatorServer(emulator_videos).start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def fal_emulator(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    """The provider emulator with httpx in this process trusting its fal TLS listener (``SSL_CERT_FILE``).

    Knobs: ``fal_emulator.fal``; queue URL: ``fal_emulator.fal_url`` (``FAL_QUEUE_RUN_HOST`` = ``.fal_host``)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(emulator.fal_ca_file))
    return emulator


@pytest.fixture
async def comfyui_emulator(tmp_path: Path) -> AsyncIterator[ComfyEmulator]:
    """A started emulated ComfyUI (``.url`` is COMFYUI_URL; knobs and records on the object)."""
    emu = await ComfyEmulator(tmp_path / "comfyui-emulator").start()
    try:
        yield emu
    finally:
        await emu.stop()


@pytest.fixture
def png_image(tmp_path: Path) -> Path:
    """A small real PNG."""
    from PIL import Image

    path = tmp_path / "start.png"
    Image.new("RGB", (64, 48), (200, 40, 40)).save(path)
    return path
