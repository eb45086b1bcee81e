"""Fixtures of the fault suites, all on in-process emulators (Discord and the three providers).

- Process-level tests (test_kill, test_load): ``videobot run`` processes (``bot_process``, ``live_rig``) that are
  always killed at the end.
- Provider and Discord fault suites: ``fault_rig`` / ``make_fault_rig(deadline=…, settings={…}, **provider_opts)``,
  a CLI-style App with file delivery; ``fault_bot(deadline=…, provider_opts=…, local=False, **settings)``, the real
  VideoBot in this process on a fresh Discord emulator.  Both use the cloud providers against the in-process
  provider emulator (``emulator`` fixture); see :mod:`tests.support.fault_rig` for the rig itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import discord.gateway
import discord.http
import pytest

from bot.app import App
from bot.edge.client import VideoBot, start_bot
from bot.media import Media
from bot.providers.local import LocalProvider
from bot.services.delivery.port import FileDelivery
from bot.settings import Settings
from emulators.discord import DiscordEmulator
from emulators.providers import EmulatorServer, VideoFactory
from tests.support.discord import bot_settings_for
from tests.support.fault_rig import BotFactory, BotRig, Rig, RigFactory, SkipClock, cloud_providers
from tests.support.harness import (
    RAW_PROBE_DELAY,
    BotProcess,
    JobDb,
    LiveRig,
    MakeBot,
    RenderGate,
    bot_env,
    slow_ffmpeg,
)


@pytest.fixture(scope="session")
def live_clips(tmp_path_factory: pytest.TempPathFactory) -> VideoFactory:
    """Provider output clips, made once per length for the whole session."""
    return VideoFactory(tmp_path_factory.mktemp("fault-clips"))


@pytest.fixture
async def live_providers(live_clips: VideoFactory) -> AsyncIterator[EmulatorServer]:
    """Runway, Replicate and Luma on one loopback port (in this process, so tests read their state)."""
    server = await EmulatorServer(live_clips).start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def live_discord() -> AsyncIterator[DiscordEmulator]:
    """A fresh loopback Discord in this process (the bot is another process); the test fails at teardown if
    a request or an answer broke Discord's OpenAPI description."""
    async with DiscordEmulator() as emulator:
        yield emulator
    emulator.assert_lawful()


@pytest.fixture
async def bot_process(
    live_discord: DiscordEmulator, live_providers: EmulatorServer, tmp_path: Path
) -> AsyncIterator[MakeBot]:
    """``await bot_process(name, **env)``: a started ``videobot run``; every one is killed at the end and the
    tail of its log printed (pytest shows it when the test failed)."""
    bots: list[BotProcess] = []

    async def make(name: str = "bot", **env: str) -> BotProcess:
        workdir = tmp_path / name
        bot = BotProcess(bot_env(workdir / "data", live_discord, live_providers, **env), workdir, name)
        bots.append(bot)
        await bot.start(live_discord)
        return bot

    try:
        yield make
    finally:
        for bot in bots:
            bot.kill()
            if bot.proc is not None:
                await bot.reap()
            print(f"===== {bot.log_path.name}: {bot.starts} start(s), {bot.kills} kill(s)\n{bot.log_tail(40)}")


@pytest.fixture
async def live_rig(
    live_discord: DiscordEmulator, live_providers: EmulatorServer, bot_process: MakeBot, tmp_path: Path
) -> LiveRig:
    """A running bot with one slot per provider, slow raw probes (a catchable POSTPROCESSING), fast polling, and
    its offline renders behind a gate (``rig.renders``, open until a test closes it: then each render waits for
    the pass the test gives it, so a local job is killed inside a render, or behind one, without racing it).
    The previews are at full size: the tests that leave the gate open kill a local job behind a local blocker
    that must still be rendering (at a quarter of the size it could finish first)."""
    renders = RenderGate(tmp_path / "renders")
    ffmpeg = slow_ffmpeg(tmp_path / "bin", RAW_PROBE_DELAY, renders)
    bot = await bot_process(
        VIDEOBOT_PROVIDER_CONCURRENCY="1",
        VIDEOBOT_LOCAL_CONCURRENCY="1",
        VIDEOBOT_FFMPEG=str(ffmpeg),
        VIDEOBOT_LOCAL_SCALE="1",
    )
    db = JobDb(bot.workdir / "data" / "videobot.sqlite3")
    return LiveRig(live_discord, live_providers, bot, db, renders=renders)


@pytest.fixture
async def make_fault_rig(
    make_settings: Callable[..., Settings], emulator: EmulatorServer, tmp_path: Path
) -> AsyncIterator[RigFactory]:
    """Build a CLI-style App (file delivery) on the cloud providers against the emulator."""
    apps: list[App] = []

    async def build(*, deadline: float = 60.0, settings: dict[str, Any] | None = None, **provider_opts: Any) -> Rig:
        clock = SkipClock()
        values = {"daily_seconds": 10_000, "max_download_bytes": 50_000_000, "ffmpeg_timeout_seconds": 30}
        settings_ = make_settings(**{**values, "retry_base_seconds": 5.0, **(settings or {})})
        providers = cloud_providers(emulator, deadline=deadline, **provider_opts)
        app = await App.create(settings_, clock=clock, providers=providers)
        app.router.register(FileDelivery())
        apps.append(app)
        return Rig(app, emulator, clock, tmp_path / "out")

    yield build
    for app in apps:
        await app.close()


@pytest.fixture
async def fault_rig(make_fault_rig: RigFactory) -> Rig:
    """The default rig (60 s model deadlines)."""
    return await make_fault_rig()


@pytest.fixture
async def fault_bot(
    make_settings: Callable[..., Settings], emulator: EmulatorServer, tmp_path: Path
) -> AsyncIterator[BotFactory]:
    """Start the real VideoBot in this process (cloud providers on the emulator) against a fresh Discord
    emulator; discord.py's process-wide endpoints are restored afterwards, and the test fails if a request or
    an answer broke Discord's OpenAPI description."""
    old = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    bots: list[VideoBot] = []
    async with DiscordEmulator() as emu:

        async def start(
            *, deadline: float = 60.0, provider_opts: dict[str, Any] | None = None, local: bool = False, **kw: Any
        ) -> BotRig:
            values: dict[str, Any] = {
                **bot_settings_for(emu),
                "daily_seconds": 10_000,
                "ffmpeg_timeout_seconds": 30,
                "retry_base_seconds": 5.0,
                **kw,
            }
            settings = make_settings(**values)
            clock = SkipClock()
            providers = cloud_providers(emulator, deadline=deadline, **(provider_opts or {}))
            if local:  # the offline renderer too (its results have no provider URL to fall back on)
                media = Media(settings.ffmpeg, timeout=settings.ffmpeg_timeout_seconds)
                providers.insert(0, LocalProvider(media, settings.media_dir / "local", scale=settings.local_scale))
            app = await App.create(settings, clock=clock, providers=providers)
            bot = await start_bot(settings, app=app, ready_timeout=15, guild_ready_timeout=0.1)
            bots.append(bot)
            return BotRig(app, emulator, clock, tmp_path / "out", bot=bot, emu=emu)

        try:
            yield start
        finally:
            for bot in bots:
                if not bot.is_closed():
                    await asyncio.wait_for(bot.close(), 15)
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old
    emu.assert_lawful()  # no request or answer broke Discord's OpenAPI description
