"""/finish: a finished version of one of your results (larger, smoother), quoted privately before it runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.app_commands import Choice
from discord.ext import commands

from bot.edge.cogkit import anywhere, job_choices
from bot.edge.finishing import FinishActions
from bot.services.requests.finishing import check_options
from bot.services.requests.generation import GenerationService

if TYPE_CHECKING:
    from bot.edge.client import VideoBot


class Finish(commands.Cog):
    """Upscale and smooth your results."""

    def __init__(self, service: GenerationService, finishing: FinishActions):
        self.service = service
        self.finishing = finishing

    async def _jobs(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[int]]:
        return await job_choices(self.service, interaction.user.id, current)

    @app_commands.command(name="finish", description="Upscale and/or smooth one of your results (quoted first).")
    @anywhere
    @app_commands.describe(
        job="Which of your results",
        resolution="Size to make (default 1080p)",
        fps="Frame rate to make, with new in-between frames (default 60)",
    )
    @app_commands.autocomplete(job=_jobs)
    async def finish(
        self,
        interaction: discord.Interaction[Any],
        job: int,
        resolution: Literal["1080p", "2k", "4k"] | None = None,
        fps: Literal[30, 60] | None = None,
    ) -> None:
        """Quote a finished version privately; nothing is charged before you press Finish."""
        check_options(resolution, fps)  # refusals before acknowledging (the names match bot.providers.finishes)
        await self.finishing.show_quote(interaction, job, resolution, fps)


async def setup(bot: VideoBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Finish(bot.app.service, bot.finishing))
