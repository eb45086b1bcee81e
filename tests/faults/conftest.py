"""Fixtures for the process-level fault tests (test_kill, test_load): in-process emulators (Discord and the
three providers) and ``videobot run`` processes that are always killed at the end.

(The provider/Discord fault suites use :mod:`tests.faults._faults_fixtures` instead.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from emulators.discord import DiscordEmulator
from emulators.providers import EmulatorServer, VideoFactory
from tests.faults.harness import BotProcess, JobDb, LiveRig, bot_env, slow_ffmpeg

MakeBot = Callable[..., Awaitable[BotProcess]]
RAW_PROBE_DELAY = 0.5  # seconds the ffmpeg wrapper holds the probe of a downloaded file (POSTPROCESSING)


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
    """A fresh loopback Discord in this process (the bot is another process)."""
    async with DiscordEmulator() as emulator:
        yield emulator


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
    """A running bot with one slot per provider, slow raw probes (a catchable POSTPROCESSING), fast polling."""
    ffmpeg = slow_ffmpeg(tmp_path / "bin", RAW_PROBE_DELAY)
    bot = await bot_process(
        VIDEOBOT_PROVIDER_CONCURRENCY="1", VIDEOBOT_LOCAL_CONCURRENCY="1", VIDEOBOT_FFMPEG=str(ffmpeg)
    )
    return LiveRig(live_discord, live_providers, bot, JobDb(bot.workdir / "data" / "videobot.sqlite3"))
