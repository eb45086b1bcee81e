"""/settings notify: a member's own settings (whether a slow result mentions them), in servers and wherever the
app is installed on them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import Choice
from discord.ext import commands

from bot.edge.cogkit import anywhere
from bot.edge.translate import words_for
from bot.services.delivery.notify import Notifier

if TYPE_CHECKING:
    from bot.edge.client import VideoBot

SWITCH = [Choice(name="on", value="on"), Choice(name="off", value="off")]


@anywhere
class Settings(commands.GroupCog, group_name="settings", group_description="Your own settings for the bot."):
    """A member's own settings."""

    def __init__(self, notifier: Notifier):
        self.notifier = notifier
        super().__init__()

    @app_commands.command(name="notify", description="Be mentioned when a slow result is ready (on/off).")
    @app_commands.describe(mention="on: mention me when a result takes over a minute; off: never")
    @app_commands.choices(mention=SWITCH)
    async def notify(self, interaction: discord.Interaction[Any], mention: Choice[str]) -> None:
        """Turn the mention for slow results on or off."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        on = mention.value == "on"
        await self.notifier.set_pings(interaction.user.id, on)
        await interaction.followup.send(
            words_for(interaction, "settings.notify_on" if on else "settings.notify_off"), ephemeral=True
        )


async def setup(bot: VideoBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Settings(bot.app.notifier))
