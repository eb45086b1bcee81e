"""Build the enabled providers from settings: ``local`` always, a cloud provider when its key is set."""

from __future__ import annotations

import logging

from bot.media import Media
from bot.providers.base import VideoProvider
from bot.settings import Settings

log = logging.getLogger(__name__)


def build_providers(settings: Settings, media: Media) -> list[VideoProvider]:
    """The providers this bot can use, local first."""
    from bot.providers.local import LocalProvider

    providers: list[VideoProvider] = [
        LocalProvider(media, settings.media_dir / "local", concurrency=settings.local_concurrency)
    ]
    providers.extend(_cloud_providers(settings))
    log.info("providers enabled: %s", ", ".join(p.name for p in providers))
    return providers


def _cloud_providers(settings: Settings) -> list[VideoProvider]:
    """Runway, Replicate and Luma, each when its key is set (wired in by the cloud provider modules)."""
    return []
