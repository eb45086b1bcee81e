"""/gallery: a private, expiring link to the member's own results on the bot's web server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.edge.translate import words_for
from bot.services.web.gallery import GalleryService

if TYPE_CHECKING:
    from bot.edge.client import VideoBot


def gallery_text(interaction: discord.Interaction[Any], url: str, ttl_seconds: float, *, server: bool) -> str:
    """The private reply in the member's language: the link and how long it works (it is a key: do not share it);
    ``server``: the whole server's gallery (/admin gallery), else the member's own."""
    hours = max(1, round(ttl_seconds / 3600))
    return words_for(interaction, "gallery.link.server" if server else "gallery.link.yours", url=url, hours=hours)


class Gallery(commands.Cog):
    """Your past videos, on a web page."""

    def __init__(self, gallery: GalleryService, link_ttl: float):
        self.gallery_service = gallery  # self.gallery is the /gallery command
        self.link_ttl = link_ttl

    @app_commands.command(name="gallery", description="A private link to a web page with all your videos here.")
    @app_commands.guild_only()
    async def gallery(self, interaction: discord.Interaction[Any]) -> None:
        """Send a signed link to the member's gallery (only they see the reply)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        url = self.gallery_service.gallery_link(interaction.guild_id, interaction.user.id)
        text = gallery_text(interaction, url, self.link_ttl, server=False)
        await interaction.followup.send(text, ephemeral=True, suppress_embeds=True)


async def setup(bot: VideoBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Gallery(bot.app.gallery, bot.settings.gallery_link_ttl))
