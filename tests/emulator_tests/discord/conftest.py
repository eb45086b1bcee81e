"""Fixtures for the emulator's own tests: the emulator, and a ready bot running the test cog."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from emulators.discord.emulator import DiscordEmulator
from emulators.discord.harness import running_bot
from tests.support.emulator_bot import Running, make_bot


@pytest.fixture
async def running(discord_emulator: DiscordEmulator) -> AsyncIterator[Running]:
    bot, cog = make_bot()
    async with running_bot(bot, discord_emulator.token):
        yield Running(discord_emulator, bot, cog)
