"""Fixtures for the emulator's own tests."""

from .fixtures import discord_emulator  # noqa: F401
