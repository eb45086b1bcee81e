"""The app installed on a member's account, used in a DM between members (the bot is not part of it): the result
comes through the interaction token only (no channel message, no reaction, at most 5 followups), the videos draw
on the user-install quota pool, admin commands are not offered there, and a result that arrives after the
token's 15 minutes is kept on its page and listed by /history.  The 15 minutes pass on injected clocks (the
emulator's and the delivery target's), never by waiting."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from emulators.discord.interactions import CommandNotPermitted
from tests.support.discord import free_port, is_mp4, job_id_of, mp4_of, wait_done, wait_result

pytestmark = pytest.mark.timeout(120)

TOKEN_LIFE = 15 * 60


async def user_install_bot(emu, launch, **settings):
    """A bot whose commands are global (user-installable commands are global on Discord), and a DM between alice
    and carol, where alice has installed the app on her account."""
    bot = await launch(guild_ids=[], **settings)
    carol = emu.add_user("carol")
    dm = emu.add_private_channel(emu.alice, carol)
    emu.install_on_user(emu.alice)
    return bot, dm, carol


async def test_a_user_installed_video_in_a_dm_comes_through_the_token_only(emu, launch):
    bot, dm, carol = await user_install_bot(emu, launch)
    video = next(c for c in emu.synced_commands() if c["name"] == "video")
    assert sorted(video["integration_types"]) == [0, 1] and sorted(video["contexts"]) == [0, 1, 2]
    admin = next(c for c in emu.synced_commands() if c["name"] == "admin")
    assert admin["integration_types"] == [0] and admin["contexts"] == [0]
    user_installable = {c["name"] for c in emu.synced_commands() if 1 in (c.get("integration_types") or [])}
    assert user_installable == {
        "video",
        "animate",
        "extend",
        "interpolate",
        "remix",
        "stitch",
        "loop",
        "soundtrack",
        "preset",
        "quota",
        "jobs",
        "cancel",
        "history",
        "settings",
        "finish",
        "Animate this image",  # the Apps menu on messages
        "Remix this video",
        "Extend",
    }  # not /admin (server-only), /gallery (a server's page), /variations (takes 2-4 post as channel messages), /cast
    # (a server's own); /sound too where a sound model is enabled (tests/discord/test_user_install_more.py)

    handle = await emu.slash(emu.alice, "video", prompt="a paper boat on a puddle", duration=1, in_channel=dm)
    assert handle.record.payload["context"] == 2
    assert handle.record.payload["authorizing_integration_owners"] == {"1": str(emu.alice.id)}
    assert await handle.wait_ack() == 5
    result = await wait_result(emu)
    job_id = job_id_of(result)
    await wait_done(bot, job_id)
    assert result.channel_id == dm.id and is_mp4(mp4_of(result))
    assert result.interaction_id == handle.id  # a followup through the token, not a channel message
    assert result.pings.users == []  # a quick result: the mention shows, no ping
    # every message the bot made in the DM came through this interaction's token; no reactions; within 5 followups
    made = [m for m in emu.messages(dm) if m.author.id == emu.bot.id]
    assert made and all(m.interaction_id == handle.id for m in made)
    assert all(not m.reactions for m in made) and handle.record.followup_posts <= 5
    assert not [r for r in emu.rest.log if r.path.startswith(f"/channels/{dm.id}/")]  # never tried the channel
    # the buttons still work: they answer through their own interaction
    assert {b["custom_id"] for b in result.buttons()} >= {f"videobot:extend:{job_id}"}

    # the user-install pool, not the server's: 1 s of VIDEOBOT_USER_INSTALL_DAILY_SECONDS (30)
    outside = await bot.app.quota.status(emu.alice.id, user_install=True)
    assert outside.used == 1 and outside.limit == 30
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 0
    job = await bot.app.service.get(job_id)
    assert job.guild_id is None and job.delivery["token_only"] and job.delivery["followup_cap"] == 5

    quota = await emu.slash(emu.alice, "quota", in_channel=dm)
    shown = await quota.wait_response()
    assert shown.ephemeral and "outside servers" in shown.embeds[0]["title"] and "1 s" in str(shown.embeds[0])

    # an edit of that result, in the same DM: through its own token too
    looped = await emu.slash(emu.alice, "loop", in_channel=dm, job=job_id, times=2)
    assert await looped.wait_ack() == 5
    second = await wait_result(emu, after=result.id)
    assert second.channel_id == dm.id and second.interaction_id == looped.id and is_mp4(mp4_of(second))
    assert not [r for r in emu.rest.log if r.path.startswith(f"/channels/{dm.id}/")]

    # admin commands are server-only; someone who has not installed the app cannot use it here
    with pytest.raises(CommandNotPermitted):
        await emu.slash(emu.alice, "admin default", in_channel=dm, seconds=5)
    with pytest.raises(CommandNotPermitted):
        await emu.slash(carol, "video", prompt="a kite", in_channel=dm)


async def test_the_user_install_quota_is_its_own_and_refuses_privately(emu, launch):
    bot, dm, _ = await user_install_bot(emu, launch, user_install_daily_seconds=1)
    first = await emu.slash(emu.alice, "video", prompt="a paper boat", duration=1, in_channel=dm)
    await wait_done(bot, job_id_of(await wait_result(emu)))
    assert await first.wait_ack() == 5
    second = await emu.slash(emu.alice, "video", prompt="another paper boat", duration=1, in_channel=dm)
    await emu.wait_until(lambda: any(m.ephemeral for m in second.responses), 30, "the private refusal")
    refusal = next(m for m in second.responses if m.ephemeral)
    assert "Not enough quota" in refusal.content and "limit 1 s per 24 h" in refusal.content
    assert len(await bot.app.service.history(emu.alice.id)) == 1  # nothing else made, nothing else charged
    # the server pool is untouched: the same member still has the server's whole quota there
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 0


async def test_a_result_after_the_tokens_15_minutes_is_kept_on_its_page_and_in_history(emu, launch):
    port = free_port()
    bot, dm, _ = await user_install_bot(emu, launch, file_server_port=port)
    await bot.app.worker.stop()  # the job waits in the queue while the clocks move on
    handle = await emu.slash(emu.alice, "video", prompt="a lighthouse at dusk", duration=1, in_channel=dm)
    assert await handle.wait_ack() == 5
    async with asyncio.timeout(30):
        while not await bot.app.service.active_jobs(emu.alice.id):
            await asyncio.sleep(0.05)
    [(job, _)] = await bot.app.service.active_jobs(emu.alice.id)
    emu.advance(TOKEN_LIFE + 60)  # Discord's side: the token is dead
    bot.delivery.clock = lambda: time.time() + TOKEN_LIFE + 60  # the bot's side knows it too
    await bot.app.worker.start()
    await wait_done(bot, job.id, timeout=60)

    job = await bot.app.service.get(job.id)
    page = f"http://127.0.0.1:{port}/r/{job.id}/"
    assert job.state.value == "done" and (job.result_url or "").startswith(page) and job.message_id is None
    assert not [m for m in emu.messages(dm) if m.author.id == emu.bot.id and m.attachments]  # nothing was sent
    late_calls = [r for r in emu.rest.log if r.path.startswith("/webhooks/") and r.status == 401]
    channel_calls = [r for r in emu.rest.log if r.path.startswith(f"/channels/{dm.id}/")]
    assert not channel_calls and not late_calls  # the bot knew no route was left; it did not try
    assert job.delivery.get("token") is None  # the spent credential is scrubbed
    async with aiohttp.ClientSession() as http, http.get(job.result_url) as resp:
        assert resp.status == 200 and "a lighthouse at dusk" in await resp.text()

    listing = await emu.slash(emu.alice, "history", in_channel=dm)
    shown = await listing.wait_response()
    text = str(shown.embeds[0])
    assert shown.ephemeral and f"#{job.id}" in text and job.result_url in text


async def test_a_user_installed_video_in_a_server_without_the_bot(emu, launch):
    bot = await launch(guild_ids=[])
    elsewhere = emu.add_guild("Elsewhere", with_bot=False)
    emu.add_member(elsewhere, emu.alice)
    channel = elsewhere.text_channels[0]
    with pytest.raises(CommandNotPermitted, match="not installed"):
        await emu.slash(emu.alice, "video", prompt="a kite", in_channel=channel)
    emu.install_on_user(emu.alice)
    handle = await emu.slash(emu.alice, "video", prompt="a kite over the dunes", duration=1, in_channel=channel)
    assert handle.record.payload["authorizing_integration_owners"] == {"1": str(emu.alice.id)}
    assert await handle.wait_ack() == 5
    result = await wait_result(emu)
    await wait_done(bot, job_id_of(result))
    assert result.channel_id == channel.id and result.interaction_id == handle.id and is_mp4(mp4_of(result))
    made = [m for m in emu.messages(channel) if m.author.id == emu.bot.id]
    assert all(m.interaction_id == handle.id and not m.reactions for m in made)
    assert not [r for r in emu.rest.log if r.path.startswith(f"/channels/{channel.id}/")]
    assert (await bot.app.quota.status(emu.alice.id, user_install=True)).used == 1  # not this server's quota
    job = await bot.app.service.get(job_id_of(result))
    assert job.guild_id is None and job.delivery["guild_id"] == elsewhere.id  # links still point into that server
    with pytest.raises(CommandNotPermitted):  # admin commands are never offered where the app is user-installed
        await emu.slash(emu.alice, "admin status", in_channel=channel)
