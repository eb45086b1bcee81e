"""The composition root: settings → storage → media → providers → services → worker.

Both entry points (the CLI and the Discord bot) build one :class:`App` and register their delivery
targets on ``app.router`` before starting the worker.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from bot.delivery import DeliveryRouter
from bot.media import Media
from bot.providers.base import VideoProvider
from bot.providers.registry import ProviderRegistry
from bot.providers.setup import build_providers
from bot.services.gallery import GalleryService
from bot.services.generation import GenerationService
from bot.services.links import Links
from bot.services.quota import QuotaService
from bot.services.worker import Worker
from bot.settings import Settings
from bot.web import WebServer
from storage import SqliteStorage, Storage

log = logging.getLogger(__name__)


@dataclass
class App:
    """Everything the core is made of, wired together."""

    settings: Settings
    storage: Storage
    media: Media
    registry: ProviderRegistry
    quota: QuotaService
    service: GenerationService
    router: DeliveryRouter
    worker: Worker
    fileserver: WebServer
    gallery: GalleryService

    @classmethod
    async def create(
        cls,
        settings: Settings,
        clock: Callable[[], float] = time.time,
        providers: list[VideoProvider] | None = None,
    ) -> App:
        """Open the database and build every part (the worker is not started).

        ``providers`` replaces the ones built from settings (tests use a provider of their own)."""
        for folder in (settings.data_dir, settings.media_dir, settings.inputs_dir):
            folder.mkdir(parents=True, exist_ok=True)
        # the database holds interaction tokens (valid 15 min) and prompts: only the bot's user may read it
        with contextlib.suppress(OSError):
            settings.data_dir.chmod(0o700)
        storage = await SqliteStorage.open(settings.db_path)
        media = Media(settings.ffmpeg, timeout=settings.ffmpeg_timeout_seconds)
        links = Links(settings)
        gallery = GalleryService(storage, settings, links, clock)
        fileserver = WebServer(settings, links, gallery)
        publish = fileserver.publish_input if fileserver.enabled and settings.public_base_url else None
        registry = ProviderRegistry(
            providers if providers is not None else build_providers(settings, media, publish_image=publish),
            settings.default_model,
        )
        if settings.default_model:
            registry.model(settings.default_model)  # fail at start, naming the model, if it is wrong
        quota = QuotaService(storage, settings, clock)
        router = DeliveryRouter()
        worker = Worker(storage, registry, media, settings, router, clock)
        service = GenerationService(
            storage, registry, media, settings, quota, wake=worker.wake, clock=clock, interrupt=worker.interrupt
        )
        return cls(settings, storage, media, registry, quota, service, router, worker, fileserver, gallery)

    async def start(self) -> None:
        """Start serving files (when configured) and running jobs."""
        await self.fileserver.start()
        await self.worker.start()

    async def close(self) -> None:
        """Stop the worker, close providers and the database."""
        await self.worker.stop()
        await self.fileserver.stop()
        await self.registry.aclose()
        await self.storage.close()

    async def __aenter__(self) -> App:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
