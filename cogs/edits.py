"""/stitch, /loop and /soundtrack: edits of your results (free of quota, no provider called) — except
/soundtrack ``prompt:``, a sound made from a description by a sound model (priced, free of the seconds quota)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import Choice, Range

from bot.edge.cogkit import JobCog, anywhere, job_choices
from bot.edge.start import Starter
from bot.errors import InvalidMedia, InvalidOption
from bot.i18n import said
from bot.providers.base import Capability
from bot.providers.registry import ProviderRegistry
from bot.services.requests.edits import Edits as EditRequests
from bot.services.requests.edits import check_loop, check_soundtrack, check_stitch
from bot.services.requests.generation import GenerationService, Requester, Submitted
from bot.services.requests.sound import Sounds, check_mix
from bot.settings import Settings

MIX_CHOICES = [
    Choice(name="replace: the new sound only", value="replace"),
    Choice(name="under: keep the clip's own, ducked", value="under"),
]

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
        sounds: Sounds,
    ):
        super().__init__(service, registry, starter, settings)
        self.edits = edits
        self.sounds = sounds

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

    @app_commands.command(
        name="soundtrack", description="Lay sound under one of your results: a file, or one described."
    )
    @anywhere
    @app_commands.describe(
        job="Which of your results",
        audio="MP3, WAV, OGG, M4A/AAC or FLAC (or describe a sound with prompt)",
        volume="1 = as recorded (0.1-2; an attached file)",
        prompt="A sound to make, as long as the clip, e.g. 'rain on a tin roof, distant thunder'",
        mix="replace (default) or under: keep the clip's own sound, ducked",
        loop="Make the described sound loop seamlessly",
    )
    @app_commands.choices(mix=MIX_CHOICES)
    @app_commands.autocomplete(job=_jobs)
    async def soundtrack(
        self,
        interaction: discord.Interaction[Any],
        job: int,
        audio: discord.Attachment | None = None,
        volume: Range[float, 0.1, 2.0] = 1.0,
        prompt: Range[str, 1, 1000] | None = None,
        mix: Choice[str] | None = None,
        loop: bool = False,
    ) -> None:
        """Add sound to a result."""
        if (audio is None) == (prompt is None):
            raise said(InvalidOption, "soundtrack.one_source")
        if prompt is not None:
            how = check_mix(mix.value if mix is not None else None)
            self.sounds.check(Capability.TEXT_TO_AUDIO, prompt)  # offline, or a description too long: refused here
            text = prompt

            async def describe(who: Requester) -> Submitted:
                return await self.sounds.describe(who, job, text, mix=how, loop=loop)

            await self.starter.from_interaction(interaction, describe)
            return
        assert audio is not None
        check_soundtrack(volume)
        cap = self.settings.max_audio_bytes
        if audio.size > cap:  # the declared size, checked before downloading
            raise said(
                InvalidMedia, "media.too_big.audio", size=f"{audio.size / 1_048_576:.1f}", cap=f"{cap / 1_048_576:.0f}"
            )
        attached = audio

        async def submit(who: Requester) -> Submitted:
            return await self.edits.soundtrack(who, job, await attached.read(), volume)

        await self.starter.from_interaction(interaction, submit)


async def setup(bot: VideoBot) -> None:
    """Extension entry point."""
    app = bot.app
    await bot.add_cog(Edits(app.service, app.registry, bot.starter, bot.settings, app.edits, app.sounds))
