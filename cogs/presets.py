"""/preset save|list|delete: named sets of options, and the autocomplete of every `preset` option."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.edge.cogkit import anywhere, job_choices
from bot.edge.start import interaction_requester
from bot.edge.translate import words_for
from bot.services.requests.generation import GenerationService
from bot.services.requests.presets import Presets as SavedPresets
from bot.services.requests.presets import clean_name

if TYPE_CHECKING:
    from bot.edge.client import VideoBot


async def preset_choices(
    presets: SavedPresets, interaction: discord.Interaction[Any], current: str
) -> list[Choice[str]]:
    """Autocomplete of a `preset` option: the user's presets in this server (each cog's ``_presets`` calls it)."""
    names = await presets.listing(interaction.user.id, interaction.guild_id)
    return [Choice(name=name, value=name) for name, _ in names if current.lower() in name.lower()][:25]


def _describe(interaction: discord.Interaction[Any], options: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in options.items())[:200] or words_for(interaction, "preset.no_options")


@anywhere
class Presets(commands.GroupCog, group_name="preset", group_description="Save and reuse sets of options."):
    """Presets."""

    def __init__(self, service: GenerationService, presets: SavedPresets):
        self.service = service  # the member's results (the `job` autocomplete)
        self.presets = presets
        super().__init__()

    async def _presets(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        return await preset_choices(self.presets, interaction, current)

    async def _jobs(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[int]]:
        return await job_choices(self.service, interaction.user.id, current)

    @app_commands.command(name="save", description="Save the options of one of your results (default: latest).")
    @app_commands.describe(name="Up to 32 characters", job="Which of your results (default: the latest)")
    @app_commands.autocomplete(job=_jobs)
    async def save(
        self, interaction: discord.Interaction[Any], name: Range[str, 1, 32], job: int | None = None
    ) -> None:
        """Save a preset."""
        clean_name(name)  # refused before acknowledging
        await interaction.response.defer(ephemeral=True, thinking=True)
        options = await self.presets.save(interaction_requester(interaction), name, job)
        saved = words_for(interaction, "preset.saved", name=name, options=_describe(interaction, options))
        await interaction.followup.send(saved, ephemeral=True)

    @app_commands.command(name="list", description="Your presets in this server.")
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        """List presets."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.presets.listing(interaction.user.id, interaction.guild_id)
        lines = [f"**{name}** · {_describe(interaction, options)}" for name, options in found]
        text = "\n".join(lines) or words_for(interaction, "preset.none")
        await interaction.followup.send(discord.utils.escape_mentions(text)[:1900], ephemeral=True)

    @app_commands.command(name="delete", description="Delete one of your presets.")
    @app_commands.autocomplete(name=_presets)
    async def delete(self, interaction: discord.Interaction[Any], name: Range[str, 1, 32]) -> None:
        """Delete a preset."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.presets.delete(interaction_requester(interaction), name)
        await interaction.followup.send(words_for(interaction, "preset.deleted", name=clean_name(name)), ephemeral=True)


async def setup(bot: VideoBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Presets(bot.app.service, bot.app.presets))
