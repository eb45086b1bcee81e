"""``videobot worker`` with a bot token: runs jobs and delivers them over REST, with no gateway connection.

``client.login(token)`` gives discord.py's REST client (and ``client.user``) without opening a websocket, so
:class:`~bot.edge.delivery.DiscordDelivery` works unchanged: the interaction webhook while the token lives,
then channel messages with the job's nonce.  With no gateway there is no cache (``get_channel`` and
``get_guild`` return None), and the delivery target already falls back to ``fetch_channel`` /
``fetch_guild``.  Clicks, reactions and commands reach the gateway processes (``videobot run``), which share
the jobs through storage; a cancel they record is seen here at the job's next check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import discord

from bot.app import App
from bot.edge.client import point_discord_at, token_of
from bot.edge.delivery import DiscordDelivery
from bot.errors import ConfigError
from bot.services.delivery.port import FileDelivery
from bot.services.delivery.stills import StillMaker
from bot.settings import Settings

log = logging.getLogger(__name__)


async def serve_worker(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Run Discord and command-line jobs until SIGTERM/SIGINT (or ``stop``)."""
    token = token_of(settings)
    point_discord_at(settings)
    stop = stop or asyncio.Event()
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(token)  # REST only
    except discord.LoginFailure:
        await client.close()
        raise ConfigError("Discord refused DISCORD_TOKEN; reset the token in the developer portal.") from None
    app = await App.create(settings)
    stills = StillMaker(app.media, settings.media_dir / "stills")
    delivery = DiscordDelivery(
        client, app.service, app.groups, app.publisher, settings.progress_edit_interval, app.notifier, stills
    )
    app.router.register(delivery)
    app.router.register(FileDelivery())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await app.start()
        log.info("worker %s running jobs over REST as %s (no gateway)", app.worker.worker_id, client.user)
        await stop.wait()
    finally:
        await app.close()
        await delivery.aclose()
        await client.close()


def run_worker(settings: Settings) -> int:
    """``videobot worker`` with DISCORD_TOKEN set: serve until stopped."""
    asyncio.run(serve_worker(settings))
    return 0
