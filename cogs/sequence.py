"""/sequence: a short film of 2-8 shots, as one durable job (:mod:`bot.services.requests.sequence`).

The command takes the shared options (model, preset, aspect, style, camera, setting, lighting, ``continuity``,
``transition``, ``audio``, ``cast``) and ``sound`` (one soundtrack described for the whole film: refused privately
before the modal opens when no sound model is enabled or the description is too long), and opens a modal for the
title and the shots, one per line (``| 4s`` for a line's own length).  The modal's submit checks everything that
can be refused without I/O and answers a refusal privately before anything is acknowledged or charged; otherwise
it acknowledges and calls ``Sequences.submit`` once.
The film's status, its result and the question about a shot that failed twice come from its delivery target.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import Choice, Range

from bot.edge.cogkit import AUDIO_CHOICES, AUDIO_HELP, JobCog, aspect_choices, audio_value
from bot.edge.errors import report
from bot.edge.start import Starter
from bot.edge.translate import locale_of
from bot.i18n import text as words
from bot.prompt import CAMERA_MOVES, MAX_PART_CHARS, STYLES, PromptSpec
from bot.providers.base import Capability
from bot.providers.prices import price_label
from bot.providers.registry import ProviderRegistry
from bot.services.cast.roster import Roster
from bot.services.requests.generation import GenerationService
from bot.services.requests.presets import Presets
from bot.services.requests.sequence import MAX_TITLE_CHARS, TRANSITIONS, FilmOptions, Sequences
from bot.settings import Settings
from cogs.cast import cast_choices
from cogs.presets import preset_choices

if TYPE_CHECKING:
    from bot.edge.client import VideoBot

CAMERA_CHOICES = [Choice(name=key.replace("_", " "), value=key) for key in CAMERA_MOVES]
STYLE_CHOICES = [Choice(name=key, value=key) for key in STYLES]
TRANSITION_CHOICES = [Choice(name=name, value=name) for name in TRANSITIONS]
Text = Range[str, 1, MAX_PART_CHARS]
SOUND_HELP = "One soundtrack for the whole film: what to hear, e.g. 'a slow piano theme, distant rain'"


class ShotsModal(discord.ui.Modal):
    """The title and the shots; its submit starts the film.  Its words are the member's (``locale``)."""

    def __init__(self, films: Sequences, starter: Starter, spec: PromptSpec, options: FilmOptions, locale: str):
        super().__init__(title=words(locale, "form.film.title"), custom_id="sequence:modal")
        self.film_title: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=words(locale, "form.film.name"),
            custom_id="sequence:title",
            required=False,
            max_length=MAX_TITLE_CHARS,
        )
        self.shots: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=words(locale, "form.film.shots"),
            custom_id="sequence:shots",
            style=discord.TextStyle.paragraph,
            placeholder=words(locale, "example.shots"),
            max_length=4000,
        )
        self.add_item(self.film_title).add_item(self.shots)
        self.films = films
        self.starter = starter
        self.spec = spec
        self.options = options

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Check privately, then acknowledge and start the film."""
        films, spec, text = self.films, self.spec, self.shots.value
        options = replace(self.options, title=self.film_title.value.strip())
        films.check(spec, text, options)  # every refusal that needs no I/O, before acknowledging
        await self.starter.from_interaction(interaction, lambda who: films.submit(who, spec, text, options))

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        """A refusal (or anything else) is told privately."""
        await report(interaction, error)


class Sequence(JobCog):
    """/sequence."""

    def __init__(
        self,
        service: GenerationService,
        registry: ProviderRegistry,
        starter: Starter,
        settings: Settings,
        films: Sequences,
        presets: Presets,
        roster: Roster,
    ):
        super().__init__(service, registry, starter, settings)
        self.films = films
        self.presets = presets
        self.roster = roster  # the server's cast, in every shot

    async def _cast(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        return await cast_choices(self.roster, interaction, current)

    async def _presets(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        return await preset_choices(self.presets, interaction, current)

    async def _models(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        out = []
        for info in self.registry.models():
            if Capability.EDIT in info.capabilities or current.lower() not in info.name.lower():
                continue
            if not info.capabilities & {Capability.TEXT_TO_VIDEO, Capability.IMAGE_TO_VIDEO}:
                continue
            out.append(Choice(name=f"{info.name} · {price_label(info.name)}"[:100], value=info.name))
        return out[:25]

    async def _aspects(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        return aspect_choices(self.registry, interaction, current, frozenset({Capability.TEXT_TO_VIDEO}))

    @app_commands.command(name="sequence", description="A short film of 2-8 shots, with one look.")
    @app_commands.guild_only()
    @app_commands.describe(
        model="Which model makes the shots (default: the server's)",
        preset="One of your presets, for every shot (options given here win)",
        aspect="Aspect ratio",
        continuity="Each shot starts from the last frame of the one before (models that take an image)",
        transition="How the shots are joined",
        style="Visual style of every shot",
        camera="Camera move of every shot",
        setting="Where and when, for every shot",
        lighting="e.g. 'golden hour', for every shot",
        duration="Seconds per shot (a line's '| 4s' wins)",
        audio=AUDIO_HELP,
        cast="Up to 3 of this server's cast, comma-separated",
        sound=SOUND_HELP,
    )
    @app_commands.choices(
        camera=CAMERA_CHOICES, style=STYLE_CHOICES, transition=TRANSITION_CHOICES, audio=AUDIO_CHOICES
    )
    @app_commands.autocomplete(model=_models, aspect=_aspects, preset=_presets, cast=_cast)
    async def sequence(
        self,
        interaction: discord.Interaction[Any],
        model: str | None = None,
        preset: str | None = None,
        aspect: str | None = None,
        continuity: bool = False,
        transition: Choice[str] | None = None,
        style: Choice[str] | None = None,
        camera: Choice[str] | None = None,
        setting: Text | None = None,
        lighting: Text | None = None,
        duration: Range[int, 1, 60] | None = None,
        audio: Choice[str] | None = None,
        cast: Range[str, 1, 120] | None = None,
        sound: Range[str, 1, 1000] | None = None,
    ) -> None:
        """Open the modal for the title and the shots."""
        self.films.check_sound(sound or "")  # no sound model (offline), a description too long: refused privately
        spec = PromptSpec.create(
            None,
            setting=setting,
            camera=camera.value if camera else None,
            style=style.value if style else None,
            lighting=lighting,
            duration=duration,
            aspect=aspect,
            model=model,
            allow_empty_subject=True,
            audio=audio_value(audio),
        )
        spec = await self.presets.apply(interaction.user.id, interaction.guild_id, preset, spec)
        names = cast or await self.presets.cast_of(interaction.user.id, interaction.guild_id, preset)
        members = await self.roster.resolve(interaction.guild_id, names, "")  # refused privately if unknown
        options = FilmOptions(
            continuity=continuity,
            transition=transition.value if transition else "cut",
            cast=members,
            sound=sound or "",
        )
        await interaction.response.send_modal(
            ShotsModal(self.films, self.starter, spec, options, locale_of(interaction))
        )


async def setup(bot: VideoBot) -> None:
    """Extension entry point."""
    app = bot.app
    await bot.add_cog(
        Sequence(app.service, app.registry, bot.starter, app.settings, app.sequences, app.presets, app.cast)
    )
