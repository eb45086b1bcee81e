"""Build the enabled providers from settings: ``local`` always, a cloud provider when its key is set."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.media import Media
from bot.providers.base import VideoProvider
from bot.settings import Settings

log = logging.getLogger(__name__)


HookUrl = Callable[[str, int], str]  # (provider, job id) → the URL its completion call goes to


def build_providers(
    settings: Settings,
    media: Media,
    publish_image: Callable[[Path], Awaitable[str]] | None = None,
    hook_url: HookUrl | None = None,
) -> list[VideoProvider]:
    """The providers this bot can use, local first (``hook_url``: push, for those that can call back)."""
    from bot.providers.local import LocalProvider

    providers: list[VideoProvider] = [
        LocalProvider(
            media, settings.media_dir / "local", concurrency=settings.local_concurrency, scale=settings.local_scale
        )
    ]
    providers.extend(_cloud_providers(settings, publish_image, hook_url))
    if settings.comfyui_url:
        providers.append(comfyui_provider(settings, media))
    log.info("providers enabled: %s", ", ".join(p.name for p in providers))
    return providers


def _cloud_providers(
    settings: Settings, publish_image: Callable[[Path], Awaitable[str]] | None, hook_url: HookUrl | None
) -> list[VideoProvider]:
    """Runway, Replicate, Luma and fal, each when its key is set; the SDKs are imported only then."""
    providers: list[VideoProvider] = []

    def hooks(provider: str) -> Callable[[int], str] | None:
        return None if hook_url is None else functools.partial(hook_url, provider)

    if settings.runwayml_api_secret is not None:
        from bot.providers.runway import RunwayProvider

        providers.append(RunwayProvider(settings.runwayml_api_secret.get_secret_value(), settings.runwayml_base_url))
    if settings.replicate_api_token is not None:
        from bot.providers.replicate import ReplicateProvider

        providers.append(
            ReplicateProvider(
                settings.replicate_api_token.get_secret_value(),
                settings.replicate_base_url,
                hook_url=hooks("replicate"),
            )
        )
    if settings.lumaai_api_key is not None:
        from bot.providers.luma import LumaProvider

        # Luma fetches input images by URL: without a public file server it offers text, loop and extend.
        if publish_image is None:
            log.info("luma: image-to-video needs VIDEOBOT_PUBLIC_BASE_URL and VIDEOBOT_FILE_SERVER_PORT")
        providers.append(
            LumaProvider(
                settings.lumaai_api_key.get_secret_value(),
                settings.lumaai_base_url,
                publish_image=publish_image,
                hook_url=hooks("luma"),
            )
        )
    if settings.fal_key is not None:
        from bot.providers.fal import FalProvider

        providers.append(FalProvider(settings.fal_key.get_secret_value(), hook_url=hooks("fal")))
    return providers


def comfyui_provider(settings: Settings, media: Media | None = None) -> VideoProvider:
    """The ComfyUI pool of ``COMFYUI_URL``, with the bundled templates and the owner's workflows."""
    from bot.providers._comfy_workflows import load_workflows
    from bot.providers.comfyui import ComfyUIProvider

    return ComfyUIProvider(
        settings.comfyui_url,
        load_workflows(settings.comfyui_workflows),
        settings.media_dir / "comfyui",
        headers=settings.comfyui_header_map(),
        media=media,
        worker_id=settings.worker_id,
        usd_per_gpu_second=settings.comfyui_usd_per_gpu_second,
        breaker_threshold=settings.breaker_threshold,
        breaker_cooldown=settings.breaker_cooldown_seconds,
    )
