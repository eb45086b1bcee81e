"""Fixtures shared by every folder: a small real video, a settings factory on a temp data dir, the storage
backends (SQLite and PostgreSQL), the loopback Discord emulator with the real VideoBot, and the provider
emulators as a subprocess (for the CLI tests).  Plain helpers live in tests/support/, never here."""

import asyncio
import json
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import discord.gateway
import discord.http
import pytest

from bot.edge.client import VideoBot, start_bot
from bot.settings import Settings
from emulators.discord import DiscordEmulator
from storage import open_storage
from tests.support.cli import LOCAL_SCALE
from tests.support.discord import bot_settings_for
from tests.support.postgres import PG_DEFAULT_URL, pg_execute, with_search_path
from tests.support.video import make_mp4

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sample_mp4(tmp_path_factory) -> Path:
    """A 1 s 320x240 clip."""
    return make_mp4(tmp_path_factory.mktemp("samples") / "sample.mp4")


@pytest.fixture
def make_settings(tmp_path, monkeypatch, request):
    """Settings on a temp data dir, with no provider keys from the environment, fast polling and the local
    previews at a quarter of their size (``local_scale``).

    With ``VIDEOBOT_TEST_BACKEND=postgresql`` the apps built from them use a PostgreSQL schema of the
    test's own instead of SQLite (``VIDEOBOT_TEST_BACKEND=postgresql pytest tests/services``)."""
    for name in (
        "RUNWAYML_API_SECRET",
        "REPLICATE_API_TOKEN",
        "LUMAAI_API_KEY",
        "FAL_KEY",
        "COMFYUI_URL",
        "COMFYUI_HEADERS",
        "DISCORD_TOKEN",
        "VIDEOBOT_DEFAULT_MODEL",
        "VIDEOBOT_DAILY_SECONDS",
        "VIDEOBOT_DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    database = {}
    if os.environ.get("VIDEOBOT_TEST_BACKEND") == "postgresql":
        database["database_url"] = request.getfixturevalue("pg_url")

    def build(**overrides) -> Settings:
        values = {
            "data_dir": tmp_path / "data",
            "poll_interval_seconds": 0.01,
            "poll_max_interval_seconds": 0.05,
            "retry_base_seconds": 0.01,
            "local_scale": float(LOCAL_SCALE),  # previews at 320x180; a test of the full size passes local_scale=1
            **database,
        }
        values.update(overrides)
        return Settings(**values)

    return build


# --- storage backends: every storage test runs on SQLite and on PostgreSQL ------------------------------------
@pytest.fixture(scope="session")
def pg_server() -> str:
    """The PostgreSQL server's URL; skipped when none answers, FAILED when VIDEOBOT_TEST_DATABASE_URL names one."""
    url = os.environ.get("VIDEOBOT_TEST_DATABASE_URL")
    try:
        asyncio.run(pg_execute(url or PG_DEFAULT_URL, "SELECT 1"))
    except Exception as exc:
        if url:
            pytest.fail(f"VIDEOBOT_TEST_DATABASE_URL={url} is set but the server does not answer: {exc!r}")
        pytest.skip(
            f"no PostgreSQL at {PG_DEFAULT_URL} ({exc.__class__.__name__}); start one or set "
            "VIDEOBOT_TEST_DATABASE_URL (CI sets it, and there these tests fail instead of skipping)"
        )
    return url or PG_DEFAULT_URL


@pytest.fixture
def pg_url(pg_server):
    """A fresh schema of its own for this test (dropped afterwards), as a URL whose search_path is that schema."""
    schema = f"t_{secrets.token_hex(6)}"
    asyncio.run(pg_execute(pg_server, f'CREATE SCHEMA "{schema}"'))
    yield with_search_path(pg_server, schema)
    # connections a test left open (a killed process's, an app not closed yet) must not block the drop
    ended = f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{schema}'"
    asyncio.run(pg_execute(pg_server, f'{ended}; DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """A storage URL per backend: ``sqlite:///…`` in tmp_path, or ``postgresql://…`` in a schema of its own."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_url")
    return f"sqlite:///{tmp_path / 'videobot.sqlite3'}"


@pytest.fixture
async def storage(database_url, tmp_path):
    """An open, migrated storage on each backend (parametrised through ``database_url``)."""
    s = await open_storage(database_url, tmp_path / "unused.sqlite3")
    yield s
    await s.close()


# --- the loopback Discord and the real bot in this process (tests/discord, tests/hostile, tests/browser, ...) ----
@pytest.fixture
async def emu() -> AsyncIterator[DiscordEmulator]:
    """A fresh emulator; discord.py's global endpoints are restored afterwards. The test fails at teardown if
    the bot sent a body (or the emulator answered one) that Discord's OpenAPI description refuses."""
    old = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    async with DiscordEmulator() as emulator:
        yield emulator
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old
    emulator.assert_lawful()


@pytest.fixture
def bot_settings(make_settings, emu):
    """Settings pointing at the emulator (guild sync for the test guild), with fast polling and edits."""

    def build(**overrides: Any):
        values = bot_settings_for(emu) | overrides
        return make_settings(**values)

    return build


@pytest.fixture
async def launch(bot_settings) -> AsyncIterator[Callable[..., Awaitable[VideoBot]]]:
    """Start a VideoBot against the emulator; every bot started is closed at the end."""
    bots: list[VideoBot] = []

    async def start(settings=None, **overrides: Any) -> VideoBot:
        bot = await start_bot(settings or bot_settings(**overrides), ready_timeout=15, guild_ready_timeout=0.1)
        bots.append(bot)
        return bot

    yield start
    for bot in bots:
        if not bot.is_closed():
            await asyncio.wait_for(bot.close(), 15)


# --- the provider emulators as a subprocess, for the CLI tests (tests/test_cli_*.py) ------------------------------
@pytest.fixture(scope="module")
def emulators():
    """``python -m emulators.providers serve`` on a free port; yields the SDK environment variables pointing at it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulators.providers", "serve", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        line = proc.stdout.readline()
        assert line, "emulators did not start"
        yield json.loads(line)["env"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
