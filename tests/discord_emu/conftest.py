"""Fixtures for the emulator's own tests: the emulator, and a ready bot running the test cog."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from discord.ext import commands

from ._testbot import EmuTestCog, make_bot
from .emulator import DiscordEmulator
from .fixtures import discord_emulator  # noqa: F401
from .harness import running_bot


@dataclass
class Running:
    """An emulator with a connected, ready bot."""

    emu: DiscordEmulator
    bot: commands.Bot
    cog: EmuTestCog


@pytest.fixture
async def running(discord_emulator: DiscordEmulator) -> AsyncIterator[Running]:  # noqa: F811
    bot, cog = make_bot()
    async with running_bot(bot, discord_emulator.token):
        yield Running(discord_emulator, bot, cog)
