"""What the job-starting cogs share: their constructor (the services ``setup()`` hands them), the autocomplete of
every ``job`` option (the member's own recent results) and of every ``aspect`` option (what the chosen model can
make), and :func:`anywhere`, the install and context rule of the member commands that also work where the app is
installed on the user."""

from __future__ import annotations

from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.app_commands import Choice
from discord.ext import commands

from bot.edge import embeds
from bot.edge.start import Starter
from bot.errors import VideobotError
from bot.providers.base import Capability
from bot.providers.registry import ProviderRegistry
from bot.services.requests.generation import GenerationService
from bot.settings import Settings

T = TypeVar("T")


def anywhere(command: T) -> T:
    """A member command (or message context menu) installable on servers and on users' accounts, usable in
    servers, the bot's DM and private channels (DMs and group DMs between members).  Where the bot is no member only
    the interaction token reaches the channel (bot.edge.delivery); admin commands and a server's cast stay
    server-only."""
    contexts = app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    return app_commands.allowed_installs(guilds=True, users=True)(contexts(command))


# the ``audio`` option of /video, /animate and /variations: sound with the picture (left out: the bot's default)
AUDIO_CHOICES = [Choice(name="on", value="on"), Choice(name="off", value="off")]
AUDIO_HELP = "Sound with the picture, on models that make it (default: the server's)"


def audio_value(choice: Choice[str] | str | None) -> bool | None:
    """The ``audio`` option as the request's ``audio``: True (on), False (off) or None (left out)."""
    value = choice.value if isinstance(choice, Choice) else choice
    return None if value is None else value == "on"


class JobCog(commands.Cog):
    """A cog that starts jobs: it holds the generation service, the models, the starter and the settings."""

    def __init__(self, service: GenerationService, registry: ProviderRegistry, starter: Starter, settings: Settings):
        self.service = service
        self.registry = registry
        self.starter = starter
        self.settings = settings


async def job_choices(service: GenerationService, user_id: int, current: str) -> list[Choice[int]]:
    """The member's 25 newest jobs whose label contains what they typed (the value is the job number)."""
    jobs = await service.history(user_id, limit=25)
    names = [(embeds.job_choice_name(job), job.id) for job in jobs]
    return [Choice(name=name, value=job_id) for name, job_id in names if current.lower() in name.lower()][:25]


def aspect_choices(
    registry: ProviderRegistry, interaction: discord.Interaction[Any], current: str, needs: frozenset[Capability]
) -> list[Choice[str]]:
    """The ``aspect`` autocomplete: only the ratios the chosen model can make for this kind of input.

    The model is the ``model`` option typed so far in the interaction, else the default for ``needs``; an input
    image or video (``needs`` holds image- or video-to-video) may allow more ratios than text alone.  An
    unknown model typed so far offers nothing rather than fail the autocomplete (the command refuses it)."""
    model = getattr(interaction.namespace, "model", None)
    try:
        info = registry.choose(model if isinstance(model, str) and model else None, needs)
    except VideobotError:
        return []
    has_media = bool(needs & {Capability.IMAGE_TO_VIDEO, Capability.VIDEO_TO_VIDEO, Capability.INTERPOLATE})
    typed = current.strip().lower()
    return [
        Choice(name=f"{aspect} ({info.name})", value=aspect)
        for aspect in info.aspects_for(has_media=has_media)
        if typed in aspect
    ][:25]
