"""A dead interaction token (results go as channel replies) and the /admin commands' permissions."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from bot.edge.record import DiscordRecord
from emulators.discord import CommandNotPermitted
from tests.support.discord import is_mp4, mp4_of, wait_result

pytestmark = pytest.mark.timeout(90)


async def test_after_the_token_dies_the_result_is_a_channel_reply(emu, launch):
    await launch()
    handle = await emu.slash(emu.alice, "video", prompt="an hourglass running out", duration=1)
    await handle.wait_ack()
    handle.expire_token()  # as if 15 minutes had passed
    result = await wait_result(emu)
    assert result.interaction_id is None and result.webhook_id is None  # a normal channel message
    assert result.reference is not None and int(result.reference["message_id"]) == handle.record.original_id
    assert result.pings.users == []  # a quick result: the mention shows, nobody is pinged
    assert is_mp4(mp4_of(result))
    webhook_after_death = [r for r in emu.rest.log if handle.token in r.path and r.status == 401]
    assert len(webhook_after_death) <= 1  # refused once, then never tried again


def test_tokens_are_retired_a_minute_early():
    now = time.time()
    alive = DiscordRecord(channel_id=5, user_id=1, token="t", application_id=1, token_expires_at=now + 600)
    assert alive.token_alive(now)
    assert not replace(alive, token_expires_at=now + 30).token_alive(now)
    assert not alive.token_dead().token_alive(now)
    assert not DiscordRecord.from_json({"kind": "discord", "channel_id": 5}).token_alive(now)  # a reaction job


async def test_admin_commands_need_manage_server_twice(emu, launch):
    bot = await launch()
    with pytest.raises(CommandNotPermitted):  # hidden from members without Manage Server
        await emu.slash(emu.alice, "admin quota", user=emu.alice, seconds=500)

    # a server that opened the command to everyone in its settings: the bot still checks at run time
    for command in emu.synced_commands(emu.guild):
        if command["name"] == "admin":
            command["default_member_permissions"] = None
    handle = await emu.slash(emu.alice, "admin quota", user=emu.alice, seconds=500)
    assert await handle.wait_ack() == 4
    refusal = await handle.wait_response()
    assert refusal.ephemeral and "Manage Server" in refusal.content
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).limit == 60


async def test_admin_sets_limits(emu, launch):
    bot = await launch()
    handle = await emu.slash(emu.admin, "admin quota", user=emu.alice, seconds=1)
    answer = await handle.wait_response(timeout=30)
    assert answer.ephemeral and "1 s" in answer.content and not answer.pings.users
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).limit == 1

    await (await emu.slash(emu.admin, "admin default", seconds=7)).wait_response(timeout=30)
    assert (await bot.app.quota.status(emu.owner.id, emu.guild.id)).limit == 7
    await (await emu.slash(emu.admin, "admin budget", seconds=100)).wait_response(timeout=30)
    assert (await bot.app.quota.status(emu.owner.id, emu.guild.id)).guild_budget == 100

    refused = await emu.slash(emu.alice, "video", prompt="a long slow pan over a city", duration=2)
    await refused.wait_ack()
    message = await emu.wait_for_message(lambda m: m.ephemeral and "quota" in m.content.lower(), timeout=30)
    assert "limit 1 s" in message.content
