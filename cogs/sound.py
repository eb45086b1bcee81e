"""/sound: sound for one of your silent results, heard from its picture (the 🔊 Add sound button's command).
Registered only when a sound model is enabled (there is no offline sound generator)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import Choice, Range

from bot.edge.cogkit import JobCog, anywhere, job_choices
from bot.edge.start import Starter
from bot.providers.base import Capability
from bot.providers.registry import ProviderRegistry
from bot.services.requests.generation import GenerationService, Requester, Submitted
from bot.services.requests.sound import Sounds
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.edge.client import VideoBot


class Sound(JobCog):
    """Sound for your silent results."""

    def __init__(
        self,
        service: GenerationService,
        registry: ProviderRegistry,
        starter: Starter,
        settings: Settings,
        sounds: Sounds,
    ):
        super().__init__(service, registry, starter, settings)
        self.sounds = sounds

    async def _jobs(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[int]]:
        return await job_choices(self.service, interaction.user.id, current)

    @app_commands.command(name="sound", description="Make sound for one of your silent results, from its picture.")
    @anywhere
    @app_commands.describe(
        job="Which of your results", prompt="What to hear, e.g. 'rain on a tin roof, distant thunder'"
    )
    @app_commands.autocomplete(job=_jobs)
    async def sound(
        self, interaction: discord.Interaction[Any], job: int, prompt: Range[str, 1, 1000] | None = None
    ) -> None:
        """Sound for a silent result."""
        self.sounds.check(Capability.VIDEO_TO_AUDIO, prompt)  # refusals before acknowledging
        await self.starter.from_interaction(interaction, lambda who: self._add(who, job, prompt))

    async def _add(self, who: Requester, job: int, prompt: str | None) -> Submitted:
        return await self.sounds.add(who, job, prompt)


async def setup(bot: VideoBot) -> None:
    """Extension entry point: only when a sound model is enabled."""
    app = bot.app
    if app.sounds.available:
        await bot.add_cog(Sound(app.service, app.registry, bot.starter, app.settings, app.sounds))
