"""/stitch, /loop and /soundtrack: edits of your results (free of quota, no provider called)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import Choice, Range

from bot.edge.cogkit import JobCog, anywhere, job_choices
from bot.edge.start import Starter
from bot.errors import InvalidMedia
from bot.providers.registry import ProviderRegistry
from bot.services.requests.edits import Edits as EditRequests
from bot.services.requests.edits import check_loop, check_soundtrack, check_stitch
from bot.services.requests.generation import GenerationService, Requester, Submitted
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.edge.client import VideoBot


class Edits(JobCog):
    """Stitch, loop and add sound to your results."""

    def __init__(
        self,
        service: GenerationService,
        registry: ProviderRegistry,
        starter: Starter,
        settings: Settings,
        edits: EditRequests,
    ):
        super().__init__(service, registry, starter, settings)
        self.edits = edits

    async def _jobs(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[int]]:
        return await job_choices(self.service, interaction.user.id, current)

    @app_commands.command(name="stitch", description="Join up to 8 of your results in order.")
    @anywhere
    @app_commands.describe(
        jobs="Job numbers in order, separated by spaces or commas, e.g. '3 5 8'",
        crossfade="Seconds of dissolve between clips (0 = hard cut)",
    )
    async def stitch(
        self, interaction: discord.Interaction[Any], jobs: Range[str, 1, 200], crossfade: Range[float, 0.0, 5.0] = 0.0
    ) -> None:
        """Join results."""
        check_stitch(jobs, crossfade)  # refusals before acknowledging
        await self.starter.from_interaction(interaction, lambda who: self.edits.stitch(who, jobs, crossfade))

    @app_commands.command(name="loop", description="Repeat one of your results.")
    @anywhere
    @app_commands.describe(job="Which of your results", times="How many times it plays (2-10)")
    @app_commands.autocomplete(job=_jobs)
    async def loop(self, interaction: discord.Interaction[Any], job: int, times: Range[int, 2, 10]) -> None:
        """Repeat a result."""
        check_loop(times)
        await self.starter.from_interaction(interaction, lambda who: self.edits.loop(who, job, times))

    @app_commands.command(name="soundtrack", description="Lay an audio file under one of your results.")
    @anywhere
    @app_commands.describe(
        job="Which of your results", audio="MP3, WAV, OGG, M4A/AAC or FLAC", volume="1 = as recorded (0.1-2)"
    )
    @app_commands.autocomplete(job=_jobs)
    async def soundtrack(
        self,
        interaction: discord.Interaction[Any],
        job: int,
        audio: discord.Attachment,
        volume: Range[float, 0.1, 2.0] = 1.0,
    ) -> None:
        """Add sound to a result."""
        check_soundtrack(volume)
        cap = self.settings.max_audio_bytes
        if audio.size > cap:  # the declared size, checked before downloading
            raise InvalidMedia(
                f"That file is {audio.size / 1_048_576:.1f} MiB; audio up to {cap / 1_048_576:.0f} MiB is accepted."
            )

        async def submit(who: Requester) -> Submitted:
            return await self.edits.soundtrack(who, job, await audio.read(), volume)

        await self.starter.from_interaction(interaction, submit)


async def setup(bot: VideoBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Edits(bot.app.service, bot.app.registry, bot.starter, bot.settings, bot.app.edits))
