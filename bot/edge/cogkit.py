"""What the job-starting cogs share: their constructor (the services ``setup()`` hands them) and the
autocomplete of every ``job`` option (the member's own recent results)."""

from __future__ import annotations

from discord.app_commands import Choice
from discord.ext import commands

from bot.edge import render
from bot.edge.start import Starter
from bot.providers.registry import ProviderRegistry
from bot.services.generation import GenerationService
from bot.settings import Settings


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
    names = [(render.job_choice_name(job), job.id) for job in jobs]
    return [Choice(name=name, value=job_id) for name, job_id in names if current.lower() in name.lower()][:25]
