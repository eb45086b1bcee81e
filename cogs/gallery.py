"""/gallery: a private, expiring link to the member's own results on the bot's web server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.services.web.gallery import GalleryService

if TYPE_CHECKING:
    from bot.edge.client import VideoBot


def gallery_text(url: str, ttl_seconds: float, whose: str) -> str:
    """The private reply: the link and how long it works (it is a key: do not share it)."""
    hours = max(1, round(ttl_seconds / 3600))
    return (
        f"Here is {whose}: {url}\nThe link works for {hours} h and only for you; "
        "anyone with it can see these videos, so keep it to yourself."
    )


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
        text = gallery_text(url, self.link_ttl, "your gallery")
        await interaction.followup.send(text, ephemeral=True, suppress_embeds=True)


async def setup(bot: VideoBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Gallery(bot.app.gallery, bot.settings.gallery_link_ttl))
