"""`videobot run` as a real process configured only through environment variables."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from bot.edge.client import point_discord_at, run_bot
from bot.errors import ConfigError
from tests.support.cli import child_env
from tests.support.discord import is_mp4, mp4_of, wait_result

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]  # slow: the bot as its own process
ROOT = Path(__file__).resolve().parents[2]


async def test_videobot_run_serves_commands_and_stops_cleanly_on_sigterm(emu, tmp_path):
    env = child_env(
        tmp_path,
        DISCORD_TOKEN=emu.token,
        DISCORD_API_BASE=emu.base_url,
        DISCORD_GATEWAY_URL=emu.gateway_url,
        VIDEOBOT_GUILD_IDS=str(emu.guild.id),
        VIDEOBOT_LOG_LEVEL="WARNING",
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await emu.wait_until(lambda: emu.synced_commands(emu.guild), 30, "the bot to sync its commands")
        await emu.wait_connected(timeout=30)
        handle = await emu.slash(emu.alice, "video", prompt="a candle flame flickering", duration=1)
        assert await handle.wait_ack(timeout=30) == 5 and handle.ack_latency < 3.0
        assert is_mp4(mp4_of(await wait_result(emu)))
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, stderr.decode()[-2000:]
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_videobot_run_without_a_token_says_what_to_set(tmp_path):
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=tmp_path,
        env=child_env(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert "DISCORD_TOKEN is not set" in stderr.decode()


def test_run_bot_refuses_to_start_without_a_token(make_settings):
    with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
        run_bot(make_settings())


def test_api_base_gets_the_version_path(make_settings):
    import discord.http

    old = discord.http.Route.BASE
    try:
        point_discord_at(make_settings(DISCORD_API_BASE="http://127.0.0.1:9/"))
        assert discord.http.Route.BASE == "http://127.0.0.1:9/api/v10"
        point_discord_at(make_settings(DISCORD_API_BASE="http://127.0.0.1:9/api/v10"))
        assert discord.http.Route.BASE == "http://127.0.0.1:9/api/v10"
    finally:
        discord.http.Route.BASE = old
