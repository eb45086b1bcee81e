"""The composition root: settings → storage → media → providers → services → worker.

Both entry points (the CLI and the Discord bot) build one :class:`App` with :meth:`App.create` and
register their delivery targets on ``app.router`` before starting the worker.  Every part is built here,
once, and gets what it needs through its constructor; :meth:`App.start` starts the file server, the
worker and the janitor (the bot; the CLI starts only what a command needs).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from bot.errors import ConfigError, InvalidOption
from bot.media import Media
from bot.providers.base import VideoProvider
from bot.providers.local import LocalProvider
from bot.providers.registry import ProviderRegistry
from bot.providers.setup import build_providers
from bot.services.cast.roster import Roster
from bot.services.delivery.grouping import TakeGroups
from bot.services.delivery.ladder import Publisher
from bot.services.delivery.notify import Notifier
from bot.services.delivery.port import DeliveryRouter
from bot.services.fallback.health import HealthService
from bot.services.janitor import Janitor
from bot.services.jobs.push import PushService
from bot.services.jobs.worker import Worker
from bot.services.money.quota import QuotaService
from bot.services.money.spend import SpendService
from bot.services.requests.edits import Edits
from bot.services.requests.finishing import Finisher
from bot.services.requests.generation import GenerationService
from bot.services.requests.presets import Presets
from bot.services.requests.remix import Remixer
from bot.services.requests.sequence import Sequences
from bot.services.requests.sound import Sounds
from bot.services.requests.variations import Variations
from bot.services.web.gallery import GalleryService
from bot.services.web.links import Links
from bot.settings import Settings
from bot.web import WebServer
from storage import Storage, open_storage

log = logging.getLogger(__name__)


@dataclass
class App:
    """Everything the core is made of, wired together."""

    settings: Settings
    storage: Storage
    media: Media
    registry: ProviderRegistry
    quota: QuotaService
    service: GenerationService  # submit, extend, re-roll, cancel, read jobs; the core the kinds below queue through
    remixer: Remixer  # /remix: video to video
    edits: Edits  # /loop, /stitch, /soundtrack
    variations: Variations  # /variations
    sequences: Sequences  # /sequence: a film of 2-8 shots
    presets: Presets  # /preset, and every `preset` option
    router: DeliveryRouter
    worker: Worker
    fileserver: WebServer  # result pages, galleries, signed file links
    gallery: GalleryService
    publisher: Publisher  # the delivery ladder (attach → re-encode → link) chat targets use
    groups: TakeGroups  # /variations takes: siblings, and when their wait is over (chat targets post them)
    janitor: Janitor  # retention and the media disk cap
    health: HealthService  # provider breakers, fallback lists, queue (videobot models, /admin status)
    notifier: Notifier  # who is mentioned when a slow result is ready (/settings notify)
    cast: Roster  # /cast, and every `cast` option and @Name (a server's recurring characters)
    finisher: Finisher  # /finish and the ⬆️ button: quote, then queue the finished version
    sounds: Sounds  # 🔊 Add sound, /sound, /soundtrack prompt: (sound made for a finished clip)

    @property
    def spend(self) -> SpendService:
        """Money: estimates, spend caps, usage reports (the quota service's money side)."""
        return self.quota.spend

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
        url = settings.database_url.get_secret_value() if settings.database_url else None
        storage = await open_storage(url, settings.db_path)  # PostgreSQL when VIDEOBOT_DATABASE_URL says so
        media = Media(settings.ffmpeg, timeout=settings.ffmpeg_timeout_seconds)
        links = Links(settings)
        gallery = GalleryService(storage, settings, links, clock)
        fileserver = WebServer(settings, links, gallery)
        publish = fileserver.publish_input if fileserver.enabled and settings.public_base_url else None
        hook_url = links.hook_url if settings.push_enabled else None  # push: providers call back
        registry = ProviderRegistry(
            providers
            if providers is not None
            else build_providers(settings, media, publish_image=publish, hook_url=hook_url),
            settings.default_model,
        )
        quota = QuotaService(storage, settings, clock)
        router = DeliveryRouter()
        worker = Worker(storage, registry, media, settings, router, clock)
        local = registry.providers.get("local")
        if isinstance(local, LocalProvider):  # a finished render wakes its job's poll (no poll interval's lag)
            local.on_finished = worker.interrupt
        try:
            if settings.default_model:
                registry.model(settings.default_model)  # fail at start, naming the model, if it is wrong
            worker.ctx.fallback.check()  # VIDEOBOT_FALLBACK_*: known models (close matches) of the right kind
        except (InvalidOption, ConfigError):
            await registry.aclose()
            await storage.close()  # an open database thread would keep the process from exiting
            raise
        service = GenerationService(
            storage,
            registry,
            media,
            settings,
            quota,
            wake=worker.wake,
            clock=clock,
            interrupt=worker.interrupt,
            router=router,
            fallback=worker.ctx.fallback,
        )
        remixer = Remixer(registry, settings, media, service)
        edits = Edits(storage, registry, settings, media, service, clock)
        variations = Variations(storage, registry, quota, service)
        sequences = Sequences(storage, registry, settings, quota, service, wake=worker.wake, clock=clock)
        presets = Presets(storage, service, clock)
        roster = Roster(storage, settings, media, clock)
        finisher = Finisher(storage, registry, settings, media, quota, service, clock)
        if settings.push_enabled:
            from bot.web.falkeys import FalKeys  # the completion-call checks: only a bot that takes the calls
            from bot.web.hooks import PushHooks

            push = PushService(storage, registry, settings, clock, wake=worker.interrupt)
            fileserver.hooks = PushHooks(
                push, links, FalKeys(settings.fal_jwks_url), tolerance=settings.push_tolerance_seconds
            )
        publisher = Publisher(media, settings, fileserver)
        groups = TakeGroups(storage, registry, settings, clock)
        janitor = Janitor(storage, settings)  # real time: it compares file ages with the clock
        health = HealthService(storage, registry, settings, worker.ctx.fallback, clock)
        return cls(
            settings,
            storage,
            media,
            registry,
            quota,
            service,
            remixer,
            edits,
            variations,
            sequences,
            presets,
            router,
            worker,
            fileserver,
            gallery,
            publisher,
            groups,
            janitor,
            health,
            Notifier(storage, clock),
            cast=roster,
            finisher=finisher,
            sounds=Sounds(storage, registry, settings, media, service, clock),
        )

    async def start(self, *, worker: bool = True) -> None:
        """Start serving files (when configured), running jobs (unless ``worker`` is False: a gateway-only
        process), and the janitor (now, then hourly)."""
        await self.fileserver.start()
        if worker:
            await self.worker.start()
        self.janitor.start()

    async def close(self) -> None:
        """Stop the janitor and the worker, close providers and the database."""
        await self.janitor.stop()
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
