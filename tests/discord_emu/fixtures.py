"""Pytest fixtures for the emulator. Import them into a conftest: ``from tests.discord_emu.fixtures import *``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .emulator import DiscordEmulator
from .harness import point_discord_py_at

__all__ = ["discord_emulator"]


@pytest.fixture
async def discord_emulator() -> AsyncIterator[DiscordEmulator]:
    """A started emulator with discord.py pointed at it (restored afterwards)."""
    emu = DiscordEmulator()
    await emu.start()
    restore = point_discord_py_at(emu)
    try:
        yield emu
    finally:
        restore()
        await emu.close()
