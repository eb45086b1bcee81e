"""Sharding in the emulator, driven by the real discord.py ``AutoShardedBot`` (and a raw websocket for refusals)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from emulators.discord import DiscordEmulator, running_bot
from emulators.discord.models import Guild
from emulators.discord.shards import shard_of
from tests.support.emulator_bot import EmuTestCog

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]  # slow: several gateway sessions with identify spacing
COUNT = 4


def guilds_on_every_shard(emu: DiscordEmulator) -> dict[int, Guild]:
    """One new guild per shard of COUNT (snowflakes follow the clock, so keep making guilds until all are hit)."""
    found: dict[int, Guild] = {shard_of(emu.guild.id, COUNT): emu.guild}
    for n in range(10_000):
        if len(found) == COUNT:
            return found
        guild = emu.add_guild(f"Guild {n}")
        found.setdefault(shard_of(guild.id, COUNT), guild)
    raise AssertionError("could not make a guild for every shard")


def sharded_bot(**options: Any) -> commands.AutoShardedBot:
    bot = commands.AutoShardedBot(
        command_prefix=commands.when_mentioned,
        intents=discord.Intents.default(),
        guild_ready_timeout=0.05,
        help_command=None,
        **options,
    )

    async def setup_hook() -> None:
        await bot.add_cog(EmuTestCog())
        await bot.tree.sync()

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot


def receivers(emu: DiscordEmulator, event: str, since: int) -> set[tuple[int, int] | None]:
    """The shards of the sessions that got ``event`` among the events sent after index ``since``."""
    sessions = emu.gateway.sessions
    return {sessions[sid].shard for sid, _, name in emu.gateway.events[since:] if name == event}


async def test_gateway_bot_reports_the_configured_shards_and_session_start_limit(discord_emulator):
    emu = discord_emulator
    emu.configure_sharding(recommended_shards=6, max_concurrency=2)
    headers = {"Authorization": f"Bot {emu.token}"}
    async with aiohttp.ClientSession() as http, http.get(f"{emu.api_base}/gateway/bot", headers=headers) as resp:
        body = await resp.json()
    assert body["shards"] == 6 and body["url"] == emu.gateway_url
    limit = body["session_start_limit"]
    assert limit["max_concurrency"] == 2 and limit["total"] == limit["remaining"] == 1000 and limit["reset_after"] > 0
    bot = sharded_bot()  # no shard_count: discord.py asks /gateway/bot and opens that many shards
    async with running_bot(bot, emu.token, timeout=60):
        assert bot.shard_count == 6 and sorted(bot.shards) == list(range(6))
        assert (await bot.fetch_session_start_limits()).remaining == 1000 - 6


async def test_two_of_four_shards_get_exactly_their_guilds_events(discord_emulator):
    emu = discord_emulator
    emu.configure_sharding(enforce_identify_limit=True)
    guilds = guilds_on_every_shard(emu)
    bot = sharded_bot(shard_count=COUNT, shard_ids=[0, 1])
    async with running_bot(bot, emu.token, timeout=60):
        live = sorted(s.shard for s in emu.gateway.sessions.values() if s.conn)
        assert live == [(0, COUNT), (1, COUNT)]
        mine = {g.id for g in emu.guilds.values() if shard_of(g.id, COUNT) in (0, 1)}
        assert {g.id for g in bot.guilds} == mine and {guilds[0].id, guilds[1].id} <= mine
        # discord.py's own hook spaced the two logins of bucket 0; nothing was refused
        assert emu.gateway.shards.min_spacing(0) >= 5.0 and not emu.gateway.shards.refused()
        for shard, guild in guilds.items():
            since = len(emu.gateway.events)
            owner = emu.users[guild.owner_id]
            channel = emu.add_channel(guild, f"room-{shard}")
            emu.add_role(guild, f"role-{shard}")
            emu.set_premium_tier(guild, 1)
            emu.add_member(guild, emu.add_user(f"member-{shard}"))
            message = await emu.post_user_message(owner, channel, "hello")
            await emu.add_reaction(owner, channel, message, "👍")
            await emu.remove_reaction(owner, channel, message, "👍")
            handle = await emu.slash(owner, "panel", in_channel=channel)
            wanted = {(shard, COUNT)} if shard in (0, 1) else set()
            for event in (
                "CHANNEL_CREATE",
                "GUILD_ROLE_CREATE",
                "GUILD_UPDATE",
                "MESSAGE_CREATE",
                "MESSAGE_REACTION_ADD",
                "MESSAGE_REACTION_REMOVE",
                "INTERACTION_CREATE",
            ):
                assert receivers(emu, event, since) == wanted, (event, shard)
            if shard in (0, 1):  # the shard that got the command answers it
                assert await handle.wait_ack(timeout=10) == 4


async def test_guildless_events_go_to_shard_zero_only(discord_emulator):
    emu = discord_emulator
    bot = sharded_bot(shard_count=2, shard_ids=[0, 1])
    async with running_bot(bot, emu.token, timeout=60):
        since = len(emu.gateway.events)
        emu.dispatch("ENTITLEMENT_CREATE", {"id": "1", "sku_id": "2", "application_id": str(emu.application_id)})
        assert receivers(emu, "ENTITLEMENT_CREATE", since) == {(0, 2)}


async def identify(emu: DiscordEmulator, http: aiohttp.ClientSession, shard: list[Any]) -> dict[str, Any]:
    """Open a raw gateway socket, IDENTIFY with ``shard``; the first answer (op 0 READY / op 9) or the close."""
    async with http.ws_connect(emu.gateway_url + "?v=10&encoding=json") as ws:
        assert json.loads((await ws.receive(timeout=10)).data)["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": emu.token, "intents": 1, "properties": {}, "shard": shard}})
        msg = await ws.receive(timeout=10)
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            return {"close": ws.close_code if msg.data is None else msg.data}
        return json.loads(msg.data)


async def test_identify_too_early_in_its_bucket_gets_invalid_session_and_buckets_are_independent(discord_emulator):
    emu = discord_emulator
    emu.configure_sharding(max_concurrency=2, enforce_identify_limit=True)
    async with aiohttp.ClientSession() as http:
        assert (await identify(emu, http, [0, 4]))["t"] == "READY"
        assert (await identify(emu, http, [1, 4]))["t"] == "READY"  # bucket 1: its own 5 s window
        refused = await identify(emu, http, [2, 4])  # bucket 0 again, well within 5 s
        assert refused["op"] == 9 and refused["d"] is False
    log = emu.gateway.shards.log
    assert [(r.shard, r.bucket, r.outcome) for r in log] == [
        ((0, 4), 0, "ready"),
        ((1, 4), 1, "ready"),
        ((2, 4), 0, "rate_limited"),
    ]


async def test_invalid_shards_are_closed_with_4010_and_strict_mode_refuses_duplicates(discord_emulator):
    emu = discord_emulator
    async with aiohttp.ClientSession() as http:
        for bad in ([4, 4], [-1, 2], [0, 0], ["x", 2]):
            assert (await identify(emu, http, bad)) == {"close": 4010}, bad
        async with http.ws_connect(emu.gateway_url) as first:
            await first.receive(timeout=10)
            await first.send_json({"op": 2, "d": {"token": emu.token, "intents": 1, "shard": [0, 2]}})
            assert json.loads((await first.receive(timeout=10)).data)["t"] == "READY"
            # Discord lets a second session hold the same shard (zero-downtime hand-off) ...
            assert (await identify(emu, http, [0, 2]))["t"] == "READY"
            emu.configure_sharding(strict=True)  # ... the strict test aid refuses it, and a differing count
            assert (await identify(emu, http, [0, 2])) == {"close": 4010}
            assert (await identify(emu, http, [1, 3])) == {"close": 4010}
            assert (await identify(emu, http, [1, 2]))["t"] == "READY"


async def test_a_session_with_too_many_guilds_must_shard(discord_emulator):
    emu = discord_emulator
    guilds_on_every_shard(emu)
    emu.configure_sharding(guilds_per_shard=1)
    async with aiohttp.ClientSession() as http:
        assert (await identify(emu, http, None)) == {"close": 4011}  # type: ignore[arg-type]


async def test_discord_py_retries_an_identify_refused_for_its_bucket(discord_emulator):
    emu = discord_emulator
    emu.configure_sharding(enforce_identify_limit=True)

    class Hasty(commands.AutoShardedBot):
        async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
            await asyncio.sleep(0.5)  # ignores the 5 s rule: the gateway says op 9 until it is kept

    bot = Hasty(command_prefix="!", intents=discord.Intents.default(), shard_count=2, guild_ready_timeout=0.05)
    async with running_bot(bot, emu.token, timeout=60):
        policy = emu.gateway.shards
        assert policy.refused() and all(r.outcome == "rate_limited" for r in policy.refused())
        assert sorted(s.shard for s in emu.gateway.sessions.values() if s.conn) == [(0, 2), (1, 2)]
        assert policy.min_spacing(0) >= policy.identify_interval
