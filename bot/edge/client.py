"""The Discord launcher: :class:`VideoBot` wires the core :class:`~bot.app.App` to discord.py.

``setup_hook`` builds the App, starts the file server, registers the Discord delivery target, loads
every cog module (``cogs/*.py`` not starting with ``_``), registers the persistent buttons, syncs the
slash commands (to ``VIDEOBOT_GUILD_IDS`` instantly when set, else globally) and only then starts the
worker, so a job resumed after a restart always has its delivery target, and the janitor (retention and
the media disk cap, :mod:`bot.services.janitor`): at start, then hourly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pkgutil
import signal

import discord
import yarl
from discord.ext import commands

import cogs
from bot.app import App
from bot.edge.delivery import DiscordDelivery
from bot.edge.errors import VideoTree
from bot.edge.views import JobButton
from bot.errors import ConfigError
from bot.services.janitor import Janitor
from bot.services.publish import Publisher
from bot.settings import Settings
from bot.web import WebServer

log = logging.getLogger(__name__)
READY_TIMEOUT = 60.0


def intents() -> discord.Intents:
    """Only what the bot uses: guilds (channels, roles, permissions) and guild reactions. No message content,
    no members (reactions carry their member; slash commands carry everything else)."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_reactions = True
    return wanted


def point_discord_at(settings: Settings) -> None:
    """Send REST and gateway traffic to DISCORD_API_BASE / DISCORD_GATEWAY_URL when they are set."""
    if settings.discord_api_base:
        base = settings.discord_api_base.rstrip("/")
        if "/api/v" not in base:
            base += "/api/v10"
        discord.http.Route.BASE = base
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def token_of(settings: Settings) -> str:
    """The bot token, or a ConfigError that says how to get one."""
    token = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    if not token:
        raise ConfigError(
            "DISCORD_TOKEN is not set. Create an application at https://discord.com/developers/applications, "
            "add a bot, copy its token and set DISCORD_TOKEN (see the README)."
        )
    return token


class VideoBot(commands.Bot):
    """The videobot Discord client."""

    app: App
    delivery: DiscordDelivery
    publisher: Publisher
    janitor: Janitor
    fileserver: WebServer

    def __init__(self, settings: Settings, *, app: App | None = None, **options: object):
        options.setdefault("intents", intents())
        options.setdefault("tree_cls", VideoTree)
        options.setdefault("help_command", None)
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())  # every ping is explicit
        super().__init__(command_prefix=commands.when_mentioned, **options)  # type: ignore[arg-type]
        self.settings = settings
        self._given_app = app
        self.gateway_task: asyncio.Task[None] | None = None  # start_bot's background connection

    async def setup_hook(self) -> None:
        """Build the core, load cogs, sync commands, then start the worker."""
        self.app = self._given_app or await App.create(self.settings)
        self.fileserver = self.app.fileserver
        await self.fileserver.start()
        self.publisher = Publisher(self.app.media, self.settings, self.fileserver)
        self.delivery = DiscordDelivery(self, self.app.service, self.publisher, self.settings.progress_edit_interval)
        self.app.router.register(self.delivery)
        for module in pkgutil.iter_modules(cogs.__path__):
            if not module.name.startswith("_"):
                await self.load_extension(f"cogs.{module.name}")
        self.add_dynamic_items(JobButton)
        await self.sync_commands()
        await self.app.worker.start()
        self.janitor = Janitor(self.app.storage, self.settings)
        self.janitor.start()  # retention and the disk cap: now, then hourly

    async def sync_commands(self) -> None:
        """Instant per-guild sync for VIDEOBOT_GUILD_IDS, else a global sync."""
        if self.settings.guild_ids:
            for guild_id in self.settings.guild_ids:
                guild = discord.Object(guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                log.info("synced %d commands to guild %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global commands (they can take a while to appear)", len(synced))

    async def on_ready(self) -> None:
        """Log who we are."""
        log.info("logged in as %s (%s) in %d guild(s)", self.user, getattr(self.user, "id", "?"), len(self.guilds))

    async def close(self) -> None:
        """Stop the core first (running jobs stay resumable; the file server with it), then Discord."""
        if hasattr(self, "janitor"):
            await self.janitor.stop()
        if hasattr(self, "app"):
            await self.app.close()
        if hasattr(self, "delivery"):
            await self.delivery.aclose()
        await super().close()


async def start_bot(
    settings: Settings, *, app: App | None = None, ready_timeout: float = READY_TIMEOUT, **options: object
) -> VideoBot:
    """Log in, connect in the background and return once the bot is ready (for tests and embedding).

    ``options`` go to discord.py's Client (e.g. ``guild_ready_timeout``).  Stop it with ``await bot.close()``."""
    token = token_of(settings)
    point_discord_at(settings)
    bot = VideoBot(settings, app=app, **options)
    try:
        await bot.login(token)
        bot.gateway_task = asyncio.create_task(bot.connect(reconnect=True), name="videobot-gateway")
        await asyncio.wait_for(bot.wait_until_ready(), ready_timeout)
    except BaseException:
        await bot.close()
        raise
    return bot


async def _serve(settings: Settings, token: str) -> None:
    point_discord_at(settings)
    async with VideoBot(settings) as bot:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError):  # SIGTERM (docker stop): close cleanly
            loop.add_signal_handler(signal.SIGTERM, lambda: loop.create_task(bot.close()))
        await bot.start(token)


def run_bot(settings: Settings) -> int:
    """Run the bot until it is stopped; ``videobot run``."""
    token = token_of(settings)
    try:
        asyncio.run(_serve(settings, token))
    except discord.LoginFailure:
        raise ConfigError(
            "Discord refused DISCORD_TOKEN; reset the token in the developer portal and set it again."
        ) from None
    except discord.PrivilegedIntentsRequired:
        raise ConfigError("Discord refused the bot's intents; the bot needs no privileged intents.") from None
    return 0
