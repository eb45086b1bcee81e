"""/remix: video to video, from an attached clip or one of your results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import Choice, Range

from bot.edge.cogkit import JobCog, anywhere, job_choices
from bot.edge.start import Starter
from bot.prompt import MAX_PART_CHARS, STYLES
from bot.providers.base import Capability
from bot.providers.prices import price_label
from bot.providers.registry import ProviderRegistry
from bot.services.requests.generation import GenerationService, Requester, Submitted
from bot.services.requests.remix import Remixer
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.edge.client import VideoBot

STYLE_CHOICES = [Choice(name=key, value=key) for key in STYLES]


class Remix(JobCog):
    """Restyle a video."""

    def __init__(
        self,
        service: GenerationService,
        registry: ProviderRegistry,
        starter: Starter,
        settings: Settings,
        remixer: Remixer,
    ):
        super().__init__(service, registry, starter, settings)
        self.remixer = remixer

    async def _jobs(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[int]]:
        return await job_choices(self.service, interaction.user.id, current)

    async def _models(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        out = []
        for info in self.registry.models():
            if info.can(Capability.VIDEO_TO_VIDEO) and current.lower() in info.name.lower():
                label = f"{info.name} · up to {max(info.durations)} s · {price_label(info.name)}"
                out.append(Choice(name=label[:100], value=info.name))
        return out[:25]

    @app_commands.command(name="remix", description="Restyle a video: an attached clip or one of your results.")
    @anywhere
    @app_commands.describe(
        video="A clip to restyle (MP4, MOV or WebM); or use job",
        job="One of your results to restyle; or attach a video",
        prompt="The new look, e.g. 'a watercolour painting'",
        style="Visual style",
        model="Which model (default: the server's)",
        strength="0 keeps the original, 1 restyles fully (default 0.8)",
    )
    @app_commands.choices(style=STYLE_CHOICES)
    @app_commands.autocomplete(job=_jobs, model=_models)  # type: ignore[misc]
    async def remix(
        self,
        interaction: discord.Interaction[Any],
        video: discord.Attachment | None = None,
        job: int | None = None,
        prompt: Range[str, 1, MAX_PART_CHARS] | None = None,
        style: Choice[str] | None = None,
        model: str | None = None,
        strength: Range[float, 0.0, 1.0] | None = None,
    ) -> None:
        """Restyle a video."""
        remixer = self.remixer
        request = remixer.check(  # every refusal before acknowledging, the attachment's declared size too
            video_bytes=video.size if video is not None else None,
            job=job,
            prompt=prompt,
            style=style.value if style is not None else None,
            model=model,
            strength=strength,
        )

        async def submit(who: Requester) -> Submitted:
            return await remixer.remix(who, request, await video.read() if video is not None else None)

        await self.starter.from_interaction(interaction, submit)


async def setup(bot: VideoBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Remix(bot.app.service, bot.app.registry, bot.starter, bot.settings, bot.app.remixer))
