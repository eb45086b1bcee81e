"""/quota, /jobs, /cancel and /history: private answers about a user's own videos."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import Choice
from discord.ext import commands

from bot.edge import embeds
from bot.edge.cogkit import anywhere, job_choices
from bot.edge.start import interaction_requester
from bot.edge.translate import locale_of, words_for
from bot.services.money.quota import QuotaService
from bot.services.requests.generation import GenerationService

if TYPE_CHECKING:
    from bot.edge.client import VideoBot


class Jobs(commands.Cog):
    """What you have left, what is running, and what you made."""

    def __init__(self, service: GenerationService, quota: QuotaService):
        self.service = service
        self.quota_service = quota  # self.quota is the /quota command

    async def _active_jobs(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[int]]:
        rows = await self.service.active_jobs(interaction.user.id)
        names = [(embeds.job_choice_name(job), job.id) for job, _ in rows]
        return [Choice(name=name, value=job_id) for name, job_id in names if current.lower() in name.lower()][:25]

    @app_commands.command(name="quota", description="How many seconds of video you have left, and when more free up.")
    @anywhere
    async def quota(self, interaction: discord.Interaction[Any]) -> None:
        """Show your quota."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        outside = not interaction.is_guild_integration()  # the app installed on the user: their own pool
        status = await self.quota_service.status(interaction.user.id, interaction.guild_id, user_install=outside)
        embed = embeds.quota_embed(status, locale=locale_of(interaction))
        if outside:
            embed.title = words_for(interaction, "user_install.quota_title")
        await interaction.followup.send(embed=embed, ephemeral=True)

    @app_commands.command(name="jobs", description="Your queued and running videos.")
    @anywhere
    async def jobs(self, interaction: discord.Interaction[Any]) -> None:
        """List your unfinished jobs with queue position and progress."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        rows = await self.service.active_jobs(interaction.user.id)
        await interaction.followup.send(embed=embeds.jobs_embed(rows, locale_of(interaction)), ephemeral=True)

    @app_commands.command(name="cancel", description="Cancel a queued or running video (your quota is refunded).")
    @anywhere
    @app_commands.describe(job="Which job")
    @app_commands.autocomplete(job=_active_jobs)
    async def cancel(self, interaction: discord.Interaction[Any], job: int) -> None:
        """Cancel a job."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        cancelled = await self.service.cancel(interaction_requester(interaction), job)
        finished = cancelled.state.finished  # it never left the queue (the service told its status message)
        text = words_for(interaction, "cancel.done" if finished else "cancel.stopping", id=job)
        await interaction.followup.send(text, ephemeral=True)

    async def _results(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[int]]:
        return await job_choices(self.service, interaction.user.id, current)

    @app_commands.command(name="history", description="Your recent videos, or one video's whole story.")
    @anywhere
    @app_commands.describe(job="Show what this result came from and what was made from it")
    @app_commands.autocomplete(job=_results)
    async def history(self, interaction: discord.Interaction[Any], job: int | None = None) -> None:
        """List your recent results, or one result's chain."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        if job is not None:
            ancestors, found, descendants = await self.service.chain(interaction_requester(interaction), job)
            await interaction.followup.send(
                embed=embeds.chain_embed(ancestors, found, descendants, locale_of(interaction)), ephemeral=True
            )
            return
        jobs = await self.service.history(interaction.user.id, limit=15)
        await interaction.followup.send(embed=embeds.history_embed(jobs, locale_of(interaction)), ephemeral=True)


async def setup(bot: VideoBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Jobs(bot.app.service, bot.app.quota))
