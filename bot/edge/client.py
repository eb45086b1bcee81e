"""The Discord launcher: :class:`VideoBot` adds the Discord parts to a built :class:`~bot.app.App`.

The bot is given the App (``start_bot``/``run_bot`` build it with ``App.create``) and builds only the
Discord delivery target, the :class:`~bot.edge.start.Starter` and the one dispatcher of result actions
(:class:`~bot.edge.actions.ResultActions`).  ``setup_hook`` registers the target, loads every cog module
(``cogs/*.py`` not starting with ``_``; each one's ``setup`` hands its cog the services it needs, the reactions
cog the dispatcher), registers the persistent buttons bound to the same dispatcher, syncs the slash commands (to
``VIDEOBOT_GUILD_IDS`` instantly when set, else globally; only the one process holding the sync lock does,
:mod:`bot.edge.shards`) and only then starts the App (file server, worker unless ``--no-worker``, janitor),
so a job resumed after a restart always has its delivery target.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import pkgutil
import signal
from typing import Any

import aiohttp
import discord
import yarl
from discord.ext import commands

from bot.app import App
from bot.edge.actions import ResultActions
from bot.edge.delivery import DiscordDelivery
from bot.edge.errors import VideoTree
from bot.edge.film import ReshootSelect, ShotButton
from bot.edge.finishing import FinishActions, FinishButton, FinishChoice
from bot.edge.forms import FormBook
from bot.edge.shards import IdentifyGate, Processes, max_concurrency, sync_once
from bot.edge.start import Starter
from bot.edge.translate import CatalogueTranslator
from bot.edge.views import JobButton
from bot.errors import ConfigError
from bot.services.delivery.stills import StillMaker
from bot.settings import Settings
from storage import NamedLock

log = logging.getLogger(__name__)
READY_TIMEOUT = 60.0
# Connections to one host (Discord's REST API) at most; more requests wait for one of them to be free.  discord.py's
# own default is no limit: a burst of 200 /video opened 200 new connections for its 200 deferrals at once, and no
# deferral left before the whole burst's commands had run and all those connections were set up, on both ends
# (bench/bench_issue18.py, 200 at once on 2 cores, 2026-12-06, interleaved runs: ack p99 194-234 ms with no limit,
# 104-117 ms with 32, 109-119 ms with 64).  64, not 32: uploads of finished videos hold connections while they
# send, and the acks of new commands should not queue behind many of them (at the defaults at most
# VIDEOBOT_MAX_CONCURRENT_JOBS = 4 results are delivered at once; its largest value is 256).
REST_CONNECTIONS_PER_HOST = 64


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
            "add a bot, copy its token and set DISCORD_TOKEN (see the README, Quick start on Discord)."
        )
    return token


def extension_names(package: str = "cogs") -> list[str]:
    """The extension modules (``cogs/*.py`` not starting with ``_``), found by name: the edge never imports
    the cogs, they import it."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.submodule_search_locations is None:
        raise ConfigError(f"the {package!r} package is missing")
    modules = pkgutil.iter_modules(spec.submodule_search_locations)
    return [f"{package}.{m.name}" for m in sorted(modules, key=lambda m: m.name) if not m.name.startswith("_")]


class VideoBot(commands.Bot):
    """The videobot Discord client: the App it is given, plus the Discord delivery target, the Starter and the
    result actions."""

    def __init__(self, app: App, *, worker: bool = True, **options: object):
        options.setdefault("intents", intents())
        options.setdefault("tree_cls", VideoTree)
        options.setdefault("help_command", None)
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())  # every ping is explicit
        super().__init__(command_prefix=commands.when_mentioned, **options)  # type: ignore[arg-type]
        self.app = app
        self.settings = app.settings
        stills = StillMaker(app.media, app.settings.media_dir / "stills")  # the result card's first and last frame
        self.delivery = DiscordDelivery(
            self,
            app.service,
            app.groups,
            app.publisher,
            app.settings.progress_edit_interval,
            app.notifier,
            stills,
        )
        self.delivery.sound_offered = app.sounds.available  # 🔊 on silent results, where a sound model is enabled
        self.starter = Starter(self.delivery.show_now, self.delivery.ack_first)
        self.forms = FormBook(self)  # the forms (modals) open now; their submissions come to on_interaction
        # ⏩ 🔁 ✏️ ❌ 🔊: buttons and reactions
        self.actions = ResultActions(
            app.service, app.gallery, self.starter, app.remixer, self.forms, app.sequences, app.sounds
        )
        self.finishing = FinishActions(app.finisher, self.starter)  # ⬆️, /finish and the quote's buttons
        self.gateway_task: asyncio.Task[None] | None = None  # start_bot's background connection
        self._app_closed = False
        self.run_worker = worker  # False: a gateway-only process (`videobot run --no-worker`)
        self.identify_gate: IdentifyGate | None = None
        self._sync_lock: NamedLock | None = None

    async def login(self, token: str) -> None:
        """discord.py's login, on a connection pool of :data:`REST_CONNECTIONS_PER_HOST` per host (unless the
        caller gave a ``connector``); the pool is made here, inside the running loop, as aiohttp wants."""
        if self.http.connector is discord.utils.MISSING or self.http.connector.closed:  # closed: a second login
            self.http.connector = aiohttp.TCPConnector(limit=0, limit_per_host=REST_CONNECTIONS_PER_HOST)
        await super().login(token)

    async def setup_hook(self) -> None:
        """Register the delivery target, load cogs, sync commands, then start the App."""
        self.app.router.register(self.delivery)
        await self.tree.set_translator(CatalogueTranslator())  # localized names and descriptions, synced below
        for name in extension_names():
            await self.load_extension(name)
        self.add_dynamic_items(JobButton.bound_to(self.actions))  # clicks go to the dispatcher, injected
        self.add_dynamic_items(ShotButton.bound_to(self.app.sequences))  # a film's failed-shot question
        self.add_dynamic_items(ReshootSelect.bound_to(self.app.sequences, self.starter))  # 🔁 on a film
        self.add_dynamic_items(FinishButton.bound_to(self.finishing), FinishChoice.bound_to(self.finishing))
        self._sync_lock = await sync_once(self)  # one process syncs (bot/edge/shards.py)
        self.identify_gate = IdentifyGate(self.app.storage, await max_concurrency(self))
        await self.app.start(worker=self.run_worker)  # the file server, the worker, the janitor (now, then hourly)

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

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Wait for this shard's identify bucket, shared by every process of the token (bot/edge/shards.py)."""
        if self.identify_gate is None:
            await super().before_identify_hook(shard_id, initial=initial)
        else:
            await self.identify_gate.wait_turn(shard_id)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """A form (modal) was submitted: to its handler (bot.edge.forms); other interactions are discord.py's."""
        await self.forms.submitted(interaction)

    async def on_ready(self) -> None:
        """Log who we are."""
        log.info("logged in as %s (%s) in %d guild(s)", self.user, getattr(self.user, "id", "?"), len(self.guilds))

    async def close(self) -> None:
        """Stop the core first (running jobs stay resumable; the file server with it), then Discord."""
        if not self._app_closed:
            self._app_closed = True
            await self.app.close()
        await self.delivery.aclose()
        if self._sync_lock is not None:
            await self._sync_lock.release()
        await super().close()


class ShardedVideoBot(VideoBot, commands.AutoShardedBot):
    """``videobot run``: the shards given by ``shard_ids``/``shard_count``, or as many as Discord recommends."""


async def start_bot(
    settings: Settings, *, app: App | None = None, ready_timeout: float = READY_TIMEOUT, **options: Any
) -> VideoBot:
    """Log in, connect in the background and return once the bot is ready (for tests and embedding).

    ``app`` defaults to ``App.create(settings)``; the bot closes it.  ``options`` go to discord.py's Client
    (e.g. ``guild_ready_timeout``).  Stop it with ``await bot.close()``."""
    token = token_of(settings)
    point_discord_at(settings)
    bot = VideoBot(app or await App.create(settings), **options)
    try:
        await bot.login(token)
        bot.gateway_task = asyncio.create_task(bot.connect(reconnect=True), name="videobot-gateway")
        await asyncio.wait_for(bot.wait_until_ready(), ready_timeout)
    except BaseException:
        await bot.close()
        raise
    return bot


async def _serve(settings: Settings, token: str, plan: Processes) -> None:
    point_discord_at(settings)
    async with ShardedVideoBot(await App.create(settings), worker=plan.worker, **plan.client_options()) as bot:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError):  # SIGTERM (docker stop): close cleanly
            loop.add_signal_handler(signal.SIGTERM, lambda: loop.create_task(bot.close()))
        await bot.start(token)


def run_bot(settings: Settings, plan: Processes | None = None) -> int:
    """Run the bot until it is stopped; ``videobot run [--shards … --shard-count N] [--no-worker]``."""
    token = token_of(settings)
    try:
        asyncio.run(_serve(settings, token, plan or Processes()))
    except discord.LoginFailure:
        raise ConfigError(
            "Discord refused DISCORD_TOKEN; reset the token in the developer portal and set it again."
        ) from None
    except discord.PrivilegedIntentsRequired:
        raise ConfigError("Discord refused the bot's intents; the bot needs no privileged intents.") from None
    return 0
