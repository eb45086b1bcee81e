"""Fixtures for the web server: a real App (SQLite, ffmpeg posters) serving on a loopback port, and
finished results written through storage the way the worker leaves them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import App
from tests.support.discord import free_port
from tests.support.site import Site
from tests.support.video import make_mp4


@pytest.fixture(scope="session")
def web_clip(tmp_path_factory) -> Path:
    """A 2 s 320x240 clip, big enough to seek in."""
    return make_mp4(tmp_path_factory.mktemp("web") / "clip.mp4", seconds=2.0, size="320x240")


@pytest.fixture
async def make_site(make_settings, web_clip) -> AsyncIterator[Callable[..., Awaitable[Site]]]:
    """Start web servers (``make_site(**settings)``); all are closed at the end."""
    opened: list[Site] = []

    async def start(**overrides: Any) -> Site:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        settings = make_settings(file_server_port=port, public_base_url=base, **overrides)
        app = await App.create(settings)
        await app.fileserver.start()
        site = Site(app, base, web_clip, aiohttp.ClientSession())
        opened.append(site)
        return site

    yield start
    for site in opened:
        await site.session.close()
        await site.app.close()


@pytest.fixture
async def site(make_site) -> Site:
    """One running web server."""
    return await make_site()
