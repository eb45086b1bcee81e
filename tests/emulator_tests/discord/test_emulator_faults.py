"""The emulator's failure knobs against a real discord.py bot: 429/5xx, 413, expiry, permissions, gateway."""

from __future__ import annotations

import asyncio
import base64
import io
import time

import discord
import pytest

from emulators.discord import ControlError, DiscordEmulator, point_discord_py_at, running_bot, standalone_emulator
from tests.support.emulator_bot import Running, fake_mp4, make_bot

pytestmark = pytest.mark.timeout(30)


def statuses(emu: DiscordEmulator, prefix: str) -> list[int]:
    """Statuses of the bot's requests whose "METHOD /path" starts with ``prefix``."""
    return [r.status for r in emu.rest.log if f"{r.method} {r.path}".startswith(prefix)]


async def test_429_on_followup_is_retried_by_discord_py(running: Running) -> None:
    emu = running.emu
    fault = emu.rate_limit_next("POST /webhooks/*", retry_after=0.2)
    started = time.monotonic()
    msg = await (await emu.slash(emu.alice, "render", prompt="busy")).wait_response()
    assert time.monotonic() - started >= 0.2  # discord.py honoured retry_after
    assert fault.hits == 1 and fault.remaining == 0
    assert statuses(emu, "POST /webhooks/") == [429, 200]
    assert msg.attachments[0].filename == "out.mp4" and not running.cog.errors


async def test_file_over_the_limit_is_413_40005(running: Running) -> None:
    emu, cog = running.emu, running.cog
    handle = await emu.slash(emu.alice, "render", prompt="huge", size=10 * 1024 * 1024 + 1)
    await cog.wait(lambda: cog.errors)
    error = cog.errors[0]
    assert isinstance(error, discord.HTTPException) and (error.status, error.code) == (413, 40005)
    assert handle.original is not None and handle.original.loading  # still "thinking…"
    # A higher attachment_size_limit (e.g. a boosted guild / Nitro user) lets the same file through.
    ok = await emu.slash(emu.alice, "render", prompt="huge", size=10 * 1024 * 1024 + 1, attachment_size_limit=50 << 20)
    assert (await ok.wait_response(timeout=30)).attachments[0].size == 10 * 1024 * 1024 + 1


async def test_expired_token_is_401_50027(running: Running) -> None:
    emu, cog = running.emu, running.cog
    handle = await emu.slash(emu.alice, "slowpoke")
    assert await handle.wait_ack() == 5
    handle.expire_token()
    cog.gate.set()
    await cog.wait(lambda: cog.errors)
    error = cog.errors[0]
    assert isinstance(error, discord.HTTPException) and (error.status, error.code) == (401, 50027)


async def test_deleted_channel_missing_permissions_and_5xx(running: Running) -> None:
    emu, bot = running.emu, running.bot
    channel = bot.get_channel(emu.channel.id)
    assert isinstance(channel, discord.TextChannel)
    emu.server_error_next("POST /channels/*/messages", status=502)
    msg = await channel.send("hello")  # discord.py sleeps 1 s and retries the 502
    assert statuses(emu, "POST /channels/") == [502, 200]
    assert [m.content async for m in channel.history(limit=5)] == ["hello"]
    await msg.add_reaction("⏩")  # sent URL-encoded
    await msg.add_reaction("<:spin:123456789012345678>")  # custom emoji travel as name:id
    assert emu.get_message(msg.id).reactions == {"⏩": [emu.bot.id], "spin:123456789012345678": [emu.bot.id]}
    emu.deny_bot_permission(emu.channel, "add_reactions", "attach_files")
    await running.cog.wait(lambda: not channel.permissions_for(channel.guild.me).add_reactions)  # CHANNEL_UPDATE
    with pytest.raises(discord.Forbidden) as forbidden:
        await msg.add_reaction("🔥")
    assert forbidden.value.code == 50013
    await msg.add_reaction("⏩")  # Add Reactions is only needed to be first with an emoji
    with pytest.raises(discord.Forbidden):
        await channel.send(file=discord.File(io.BytesIO(b"x"), "x.txt"))
    emu.delete_message(msg.id, notify=False)
    with pytest.raises(discord.NotFound) as gone:
        await channel.fetch_message(msg.id)
    assert gone.value.code == 10008
    emu.delete_channel(emu.channel, notify=False)
    with pytest.raises(discord.NotFound) as unknown:
        await channel.send("anyone?")
    assert unknown.value.code == 10003


async def test_the_request_log_keeps_message_bodies_and_arrival_times(running: Running) -> None:
    emu, bot = running.emu, running.bot
    channel = bot.get_channel(emu.channel.id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("first", embed=discord.Embed(title="⏳ working"))
    emu.deny_bot_permission(emu.channel, "send_messages")
    with pytest.raises(discord.Forbidden):  # refused, yet its body is in the log
        await channel.send(file=discord.File(io.BytesIO(b"x"), "x.txt"), embed=discord.Embed(title="🎬 result"))
    await sent.edit(content="edited")
    first, refused, edit = [r for r in emu.rest.log if "/messages" in r.path]
    assert first.payload is not None and first.payload["embeds"][0]["title"] == "⏳ working"
    assert refused.status == 403 and refused.payload and refused.payload["embeds"][0]["title"] == "🎬 result"
    assert edit.method == "PATCH" and edit.payload is not None and edit.payload["content"] == "edited"
    assert 0 < first.at <= refused.at <= edit.at <= time.monotonic()


async def test_gateway_disconnect_resume_replays_missed_events(running: Running) -> None:
    emu, cog, bot = running.emu, running.cog, running.bot
    msg = await (await emu.slash(emu.alice, "panel")).wait_response()
    session_id = bot.ws.session_id
    assert await emu.disconnect_gateway(4000, hold=True) == 1
    await emu.add_reaction(emu.alice, None, msg, "🔁")  # happens while the bot is away
    await asyncio.sleep(0.05)
    assert not cog.raw_reactions
    emu.release_gateway()
    await emu.wait_resumed()
    await cog.wait(lambda: cog.raw_reactions and cog.events["resumed"])
    assert str(cog.raw_reactions[0].emoji) == "🔁"
    assert emu.gateway.identifies == 1 and emu.gateway.last_replayed >= 1
    assert bot.ws.session_id == session_id
    handle = await emu.slash(emu.alice, "secret")  # the resumed session still works
    assert await handle.wait_ack() == 4


async def test_disallowed_privileged_intent_closes_4014(discord_emulator: DiscordEmulator) -> None:
    intents = discord.Intents.default()
    intents.message_content = True
    bot, _ = make_bot(intents=intents)
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with running_bot(bot, discord_emulator.token):
            pass


async def test_standalone_emulator_control_api_from_a_subprocess() -> None:
    async with standalone_emulator() as remote:
        restore = point_discord_py_at(remote)
        try:
            bot, cog = make_bot()
            async with running_bot(bot, remote.token):
                assert (await remote.fault("rate_limit", "POST /webhooks/*", retry_after=0.05))["remaining"] == 1
                summary = await remote.slash("alice", "render", {"prompt": "remote"})
                msg = await remote.wait_response(summary["id"])
                assert msg["content"] == "rendered remote"
                assert msg["attachments"][0]["content_type"] == "video/mp4"
                [stored] = await remote.messages(with_data=True)
                assert base64.b64decode(stored["attachments"][0]["data_b64"]) == fake_mp4(4096)
                assert (await remote.wait_message(content_contains="remote"))["id"] == msg["id"]
                with pytest.raises(ControlError, match="never synced"):
                    await remote.slash("alice", "nope")
                assert await remote.add_reaction("alice", None, msg["id"], "⏩")
                await cog.wait(lambda: cog.raw_reactions)
                info = await remote.interaction(summary["id"])
                assert info["ack_type"] == 5 and info["ack_latency"] < 3.0
        finally:
            restore()
