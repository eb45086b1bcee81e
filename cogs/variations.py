"""/variations: the same prompt with 2-4 different seeds.

The cog checks every option (count, model, duration, aspect) before acknowledging, then calls
``GenerationService.variations``: the quota for all takes is reserved in one transaction
(:mod:`bot.services.requests.variations`) and the takes are delivered together (:mod:`bot.edge.group`).  The ``aspect``
option autocompletes the ratios the chosen model can make from text (:func:`bot.edge.cogkit.aspect_choices`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import Choice, Range

from bot.edge.cogkit import AUDIO_CHOICES, AUDIO_HELP, JobCog, aspect_choices, audio_value
from bot.edge.start import Starter
from bot.prompt import CAMERA_MOVES, MAX_PART_CHARS, STYLES, PromptSpec
from bot.providers.base import Capability
from bot.providers.prices import price_label
from bot.providers.registry import ProviderRegistry
from bot.services.cast.roster import Roster
from bot.services.requests.generation import GenerationService
from bot.services.requests.presets import Presets
from bot.services.requests.variations import MAX_VARIATIONS
from bot.services.requests.variations import Variations as VariationRequests
from bot.settings import Settings
from cogs.cast import cast_choices
from cogs.presets import preset_choices

if TYPE_CHECKING:
    from bot.edge.client import VideoBot

CAMERA_CHOICES = [Choice(name=key.replace("_", " "), value=key) for key in CAMERA_MOVES]
STYLE_CHOICES = [Choice(name=key, value=key) for key in STYLES]
Text = Range[str, 1, MAX_PART_CHARS]


def _value(choice: Choice[str] | None) -> str | None:
    return choice.value if choice is not None else None


class Variations(JobCog):
    """Several takes of one prompt."""

    def __init__(
        self,
        service: GenerationService,
        registry: ProviderRegistry,
        starter: Starter,
        settings: Settings,
        variations: VariationRequests,
        presets: Presets,
        roster: Roster,
    ):
        super().__init__(service, registry, starter, settings)
        self.takes = variations  # (the command is `variations`)
        self.presets = presets
        self.roster = roster  # the server's cast: the `cast` option and @Name in prompts

    async def _cast(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        return await cast_choices(self.roster, interaction, current)

    async def _presets(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        return await preset_choices(self.presets, interaction, current)

    async def _models(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        aspect = getattr(interaction.namespace, "aspect", None)
        sound = audio_value(getattr(interaction.namespace, "audio", None)) is True
        out = []
        for info in self.registry.models():
            if not info.can(Capability.TEXT_TO_VIDEO) or current.lower() not in info.name.lower():
                continue
            if sound and not info.can(Capability.SOUND):
                continue
            if isinstance(aspect, str) and aspect not in info.aspects_for(has_media=False):
                continue
            out.append(Choice(name=f"{info.name} · {price_label(info.name)}"[:100], value=info.name))
        return out[:25]

    async def _aspects(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        return aspect_choices(self.registry, interaction, current, frozenset({Capability.TEXT_TO_VIDEO}))

    @app_commands.command(name="variations", description="The same prompt with several seeds, side by side.")
    @app_commands.guild_only()
    @app_commands.describe(
        prompt="The subject and what it does",
        count=f"How many takes (2-{MAX_VARIATIONS}); each costs its seconds of quota",
        camera="Camera move",
        style="Visual style",
        setting="Where and when",
        lighting="e.g. 'golden hour'",
        details="Anything else",
        duration="Seconds (the model decides what it accepts)",
        aspect="Aspect ratio (the ones the chosen model can make)",
        model="Which model (default: the server's)",
        preset="One of your presets (options given here win)",
        cast="Up to 3 of this server's cast, comma-separated (or write @Name in the prompt)",
        audio=AUDIO_HELP,
    )
    @app_commands.choices(camera=CAMERA_CHOICES, style=STYLE_CHOICES, audio=AUDIO_CHOICES)
    @app_commands.autocomplete(model=_models, aspect=_aspects, preset=_presets, cast=_cast)
    async def variations(
        self,
        interaction: discord.Interaction[Any],
        prompt: Text,
        count: Range[int, 2, MAX_VARIATIONS],
        camera: Choice[str] | None = None,
        style: Choice[str] | None = None,
        setting: Text | None = None,
        lighting: Text | None = None,
        details: Text | None = None,
        duration: Range[int, 1, 60] | None = None,
        aspect: str | None = None,
        model: str | None = None,
        preset: str | None = None,
        cast: Range[str, 1, 120] | None = None,
        audio: Choice[str] | None = None,
    ) -> None:
        """Several takes of one prompt."""
        spec = PromptSpec.create(
            prompt,
            setting=setting,
            camera=_value(camera),
            style=_value(style),
            lighting=lighting,
            details=details,
            duration=duration,
            aspect=aspect,
            model=model,
            audio=audio_value(audio),
        )
        spec = await self.presets.apply(interaction.user.id, interaction.guild_id, preset, spec)
        names = cast or await self.presets.cast_of(interaction.user.id, interaction.guild_id, preset)
        members = await self.roster.resolve(interaction.guild_id, names, spec.text())
        takes = self.takes
        takes.check(spec, count, members)  # every model-dependent refusal, before acknowledging
        await self.starter.from_interaction(interaction, lambda who: takes.submit(who, spec, count, members))


async def setup(bot: VideoBot) -> None:
    """Extension entry point."""
    app = bot.app
    await bot.add_cog(
        Variations(app.service, app.registry, bot.starter, app.settings, app.variations, app.presets, app.cast)
    )
