"""/interpolate: a smooth clip from one image to another."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import Choice, Range

from bot.edge.cogkit import JobCog, anywhere
from bot.edge.forms import larger_than, too_big
from bot.prompt import MAX_PART_CHARS, PromptSpec
from bot.providers.base import Capability
from bot.providers.prices import price_label
from bot.services.requests.generation import Requester, Submitted

if TYPE_CHECKING:
    from bot.edge.client import VideoBot


class Interpolate(JobCog):
    """Animate from a first image to a last one."""

    async def _models(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        duration = getattr(interaction.namespace, "duration", None)
        out = []
        for info in self.registry.models():
            if not info.can(Capability.INTERPOLATE) or current.lower() not in info.name.lower():
                continue
            if isinstance(duration, int) and duration not in info.durations:
                continue
            many = len(info.durations) > 3
            span = f"{info.durations[0]}-{info.durations[-1]}" if many else "/".join(map(str, info.durations))
            out.append(Choice(name=f"{info.name} · {span} s · {price_label(info.name)}"[:100], value=info.name))
        return out[:25]

    async def _durations(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[int]]:
        try:
            info = self.registry.choose(getattr(interaction.namespace, "model", None), Capability.INTERPOLATE)
        except Exception:  # an unknown model typed so far: offer nothing rather than fail the autocomplete
            return []
        return [Choice(name=f"{d} s ({info.name})", value=d) for d in info.durations][:25]

    @app_commands.command(name="interpolate", description="A smooth clip from one image to another.")
    @anywhere
    @app_commands.describe(
        first="The first frame (PNG, JPEG, WebP or GIF)",
        last="The last frame",
        prompt="What happens in between",
        duration="Seconds (the model decides what it accepts)",
        model="Which model (default: the server's)",
    )
    @app_commands.autocomplete(model=_models, duration=_durations)  # type: ignore[misc]
    async def interpolate(
        self,
        interaction: discord.Interaction[Any],
        first: discord.Attachment,
        last: discord.Attachment,
        prompt: Range[str, 1, MAX_PART_CHARS] | None = None,
        duration: Range[int, 1, 60] | None = None,
        model: str | None = None,
    ) -> None:
        """Interpolate between two images."""
        cap = self.settings.max_image_bytes
        for upload in (first, last):
            if upload.size > cap:  # the declared size, checked before downloading
                raise too_big(upload.size, cap)
        spec = PromptSpec.create(prompt, duration=duration, model=model, allow_empty_subject=True)
        service = self.service
        service.check(spec, image=True, end_image=True)  # every model-dependent refusal, before acknowledging

        async def submit(who: Requester) -> Submitted:
            start, end = await first.read(), await last.read()
            if len(start) > cap or len(end) > cap:
                raise larger_than(cap)
            return await service.submit(who, spec, image=start, end_image=end)

        await self.starter.from_interaction(interaction, submit)


async def setup(bot: VideoBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Interpolate(bot.app.service, bot.app.registry, bot.starter, bot.settings))
