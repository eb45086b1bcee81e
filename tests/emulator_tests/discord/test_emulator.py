"""The emulator against a real discord.py commands.Bot: login, sync, slash commands, files, components."""

from __future__ import annotations

import aiohttp
import discord
import pytest

from emulators.discord import CommandNotPermitted, CommandNotSynced, DiscordEmulator, Upload, running_bot
from emulators.discord._util import FLAG_EPHEMERAL
from emulators.discord.interactions import new_interaction
from tests.support.emulator_bot import Running, fake_mp4, make_bot

pytestmark = pytest.mark.timeout(30)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(100))


async def test_login_sync_ready_and_guild_create(running: Running) -> None:
    emu, bot = running.emu, running.bot
    assert bot.user is not None and bot.user.id == emu.bot.id
    assert bot.application_id == emu.application_id
    guild = bot.get_guild(emu.guild.id)
    assert guild is not None and guild.me is not None
    channel = guild.get_channel(emu.channel.id)
    assert isinstance(channel, discord.TextChannel)
    perms = channel.permissions_for(guild.me)
    assert perms.attach_files and perms.add_reactions and not perms.manage_guild
    assert guild.filesize_limit == 10 * 1024 * 1024
    synced = {c["name"] for c in emu.synced_commands()}
    assert synced == {
        "render",
        "animate",
        "panel",
        "secret",
        "announce",
        "slowpoke",
        "settings",
        "video",
        "form",
        "card",
        "Inspect",
    }
    assert all(c["id"].isdigit() and c["application_id"] == str(emu.application_id) for c in emu.synced_commands())
    assert emu.rest.unhandled == []
    headers = {"Authorization": f"Bot {emu.token}"}
    async with aiohttp.ClientSession() as http, http.get(f"{emu.api_base}/gateway/bot", headers=headers) as resp:
        assert resp.headers["Content-Type"] == "application/json"  # exactly: discord.py's json_or_text needs it
        assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset-After"} <= set(resp.headers)
        assert (await resp.json())["url"] == emu.gateway_url


async def test_wrong_token_is_a_login_failure(discord_emulator: DiscordEmulator) -> None:
    bot, _ = make_bot()
    with pytest.raises(discord.LoginFailure):
        async with running_bot(bot, "not-the-token"):
            pass


async def test_slash_defer_then_mp4_followup(running: Running) -> None:
    emu, cog = running.emu, running.cog
    handle = await emu.slash(emu.alice, "render", prompt="a cat", size=5000)
    msg = await handle.wait_response()
    assert handle.ack_type == 5
    assert handle.ack_latency is not None and 0 <= handle.ack_latency < emu.interaction_deadline
    # The first followup after a defer fills in the "thinking" placeholder (real Discord's behaviour).
    assert handle.original is not None and msg.id == handle.original.id
    assert not msg.loading and msg.content == "rendered a cat"
    [att] = msg.attachments
    assert (att.filename, att.content_type, att.data) == ("out.mp4", "video/mp4", fake_mp4(5000))
    assert msg.interaction_id == handle.id and msg.webhook_id == emu.application_id
    await cog.wait(lambda: msg.id in cog.seen)  # MESSAGE_CREATE for the placeholder reached the bot
    async with aiohttp.ClientSession() as http, http.get(att.url) as resp:
        assert resp.status == 200 and await resp.read() == att.data


async def test_attachment_option_is_downloaded_from_the_cdn(running: Running) -> None:
    emu, cog = running.emu, running.cog
    handle = await emu.slash(emu.alice, "animate", attachments={"image": Upload("cat.png", PNG)})
    msg = await handle.wait_response()
    assert cog.downloads == [PNG]
    assert msg.content == f"got {len(PNG)} bytes of cat.png"
    assert len(emu.cdn_downloads) == 1


async def test_reaction_reaches_raw_and_cached_listeners(running: Running) -> None:
    emu, cog = running.emu, running.cog
    msg = await (await emu.slash(emu.alice, "panel")).wait_response()
    await cog.wait(lambda: msg.id in cog.seen)
    assert await emu.add_reaction(emu.alice, emu.channel, msg, "⏩")
    await cog.wait(lambda: cog.raw_reactions and cog.reactions)
    raw = cog.raw_reactions[0]
    assert (raw.message_id, raw.user_id, str(raw.emoji)) == (msg.id, emu.alice.id, "⏩")
    assert raw.member is not None and raw.member.name == "alice"
    assert msg.reactions == {"⏩": [emu.alice.id]}
    assert not await emu.add_reaction(emu.alice, None, msg, "⏩")  # same user twice: no new event


async def test_button_clicks_update_and_deferred_update(running: Running) -> None:
    emu = running.emu
    panel = await (await emu.slash(emu.alice, "panel")).wait_response()
    assert [b["custom_id"] for b in panel.buttons()] == ["panel:refresh", "panel:ack"]
    click = await emu.click_button(emu.alice, panel, "panel:refresh")
    assert await click.wait_ack() == 7
    assert (await click.wait_response()).content == "refreshed"
    click = await emu.click_button(emu.admin, panel, label="Ack")
    assert await click.wait_ack() == 6
    assert (await click.wait_response()).content == "acked later"
    assert panel.edits == 2


async def test_ephemeral_response_stays_private(running: Running) -> None:
    emu, cog = running.emu, running.cog
    secret = await (await emu.slash(emu.alice, "secret")).wait_response()
    assert secret.flags & FLAG_EPHEMERAL and secret.ephemeral
    public = await (await emu.slash(emu.alice, "panel")).wait_response()
    await cog.wait(lambda: public.id in cog.seen)  # gateway order: anything for `secret` came before
    assert secret.id not in cog.seen
    assert secret not in emu.messages(ephemeral=False)


async def test_everyone_with_allowed_mentions_none_pings_nobody(running: Running) -> None:
    emu, cog = running.emu, running.cog
    quiet = await (await emu.slash(emu.alice, "announce", quiet=True)).wait_response()
    loud = await (await emu.slash(emu.alice, "announce", quiet=False)).wait_response()
    assert quiet.allowed_mentions == {"parse": []} and quiet.pings.nobody
    assert loud.allowed_mentions is None and loud.pings.everyone  # default parse + Mention Everyone
    await cog.wait(lambda: quiet.id in cog.seen and loud.id in cog.seen)
    assert not cog.seen[quiet.id].mention_everyone and cog.seen[loud.id].mention_everyone


async def test_subcommand_group_and_autocomplete(running: Running) -> None:
    emu = running.emu
    trim = await emu.slash(emu.alice, "video tools trim", seconds=12)
    assert (await trim.wait_response()).content == "trim 12s"
    completion = await emu.autocomplete(emu.alice, "render", "prompt", "ca")
    assert await completion.wait_choices() == [{"name": "ca cat", "value": "ca-cat"}]
    assert completion.ack_type == 8
    with pytest.raises(CommandNotSynced):
        await emu.slash(emu.alice, "never-synced")
    with pytest.raises(ValueError, match="outside"):
        await emu.slash(emu.alice, "video tools trim", seconds=99)


async def test_second_ack_is_40060_and_late_ack_is_10062(running: Running) -> None:
    emu, cog = running.emu, running.cog
    handle = await emu.slash(emu.alice, "secret")
    await handle.wait_ack()
    url = f"{emu.api_base}/interactions/{handle.id}/{handle.token}/callback?with_response=1"
    async with aiohttp.ClientSession() as http, http.post(url, json={"type": 5}) as resp:
        assert resp.status == 400 and (await resp.json())["code"] == 40060
    assert [a.code for a in handle.attempts] == [None, 40060]
    emu.interaction_deadline = 0.1
    late = await emu.slash(emu.alice, "slowpoke", delay_ack=0.3)
    await cog.wait(lambda: cog.errors)
    assert isinstance(cog.errors[0], discord.NotFound) and cog.errors[0].code == 10062
    assert late.ack_type is None and late.attempts[0].at >= 0.1


async def test_user_messages_follow_the_message_content_intent(running: Running) -> None:
    emu, cog = running.emu, running.cog
    plain = await emu.post_user_message(emu.alice, None, "hello there")
    ping = await emu.post_user_message(emu.alice, None, f"{emu.bot.mention} render a cat")
    await cog.wait(lambda: plain.id in cog.seen and ping.id in cog.seen)
    assert cog.seen[plain.id].content == ""  # Intents.default() has no message_content
    assert cog.seen[ping.id].content.endswith("render a cat")  # mentions of the bot are exempt
    assert await emu.wait_for_message(lambda m: "there" in m.content) is plain
    assert ping.pings.users == [emu.bot.id]


async def test_default_member_permissions_and_member_builder(running: Running) -> None:
    emu = running.emu
    with pytest.raises(CommandNotPermitted):
        await emu.slash(emu.alice, "settings")
    reply = await (await emu.slash(emu.admin, "settings")).wait_response()
    assert reply.content == "manage_guild=True"
    mod = emu.add_user("mod")
    emu.add_member(emu.guild, mod, permissions=["manage_guild"])
    assert (await (await emu.slash(mod, "settings")).wait_response()).content == "manage_guild=True"


async def test_message_command_carries_target_and_resolved_message(running: Running) -> None:
    emu = running.emu
    posted = await emu.post_user_message(emu.alice, content="look", files={"cat.png": PNG})
    synced = {c["name"]: c for c in emu.synced_commands()}
    assert synced["Inspect"]["type"] == 3
    handle = await emu.message_command(emu.admin, "Inspect", posted)
    data = handle.record.payload["data"]
    assert (data["type"], data["target_id"]) == (3, str(posted.id))
    assert data["resolved"]["messages"][str(posted.id)]["attachments"][0]["filename"] == "cat.png"
    reply = await handle.wait_response()
    assert reply.ephemeral and reply.content == f"{posted.id}:cat.png"
    with pytest.raises(CommandNotSynced):
        await emu.message_command(emu.alice, "Nope", posted)


async def test_modal_with_file_upload_submits_attachments_from_the_cdn(running: Running) -> None:
    emu, cog = running.emu, running.cog
    handle = await emu.slash(emu.alice, "form")
    assert await handle.wait_ack() == 9
    modal = handle.modal
    assert modal is not None and [c["type"] for c in modal["components"]] == [18, 18]
    assert modal["components"][1]["component"]["type"] == 19
    with pytest.raises(ValueError, match="takes 1-2 files"):
        await emu.submit_modal(handle, files={"frame": []})
    with pytest.raises(ValueError, match="outside"):
        await emu.submit_modal(handle, caption="x" * 21, files={"frame": [Upload("a.png", PNG)]})
    second = PNG + b"2"
    submit = await emu.submit_modal(handle, files={"frame": [Upload("a.png", PNG), Upload("b.png", second)]})
    data = submit.record.payload["data"]
    assert submit.record.type == 5 and data["custom_id"] == modal["custom_id"]
    assert data["components"][0]["component"] == {"type": 4, "id": 2, "custom_id": "caption", "value": "a cat"}
    ids = data["components"][1]["component"]["values"]
    assert sorted(ids) == sorted(data["resolved"]["attachments"])
    reply = await submit.wait_response()
    assert reply.content == "a cat: 2 file(s)"
    assert cog.downloads == [PNG, second]  # fetched over the emulator's CDN
    emu.assert_lawful()


async def test_components_v2_followup_and_its_rules(running: Running) -> None:
    emu = running.emu
    handle = await emu.slash(emu.alice, "card")
    placeholder, card = await handle.wait_responses(2)
    assert placeholder.content == "placeholder filled"
    assert card.flags & (1 << 15) and card.content == "" and card.embeds == []
    assert [c["type"] for c in card.components] == [17]
    assert card.buttons()[0]["custom_id"] == "card:go"
    assert running.cog.errors == []
    emu.assert_lawful()


async def test_v2_refused_on_a_defer_and_next_to_content(discord_emulator: DiscordEmulator) -> None:
    emu = discord_emulator
    inter = new_interaction(emu, kind=2, user=emu.alice, channel=emu.channel, data={"id": "1", "name": "x", "type": 1})
    base = f"{emu.api_base}/interactions/{inter.id}/{inter.token}/callback"
    text = {"type": 10, "content": "hello"}
    async with aiohttp.ClientSession() as http:
        async with http.post(base, json={"type": 5, "data": {"flags": 1 << 15}}) as resp:
            assert resp.status == 400 and (await resp.json())["code"] == 50035
        async with http.post(base, json={"type": 5}) as resp:
            assert resp.status == 204
        hook = f"{emu.api_base}/webhooks/{emu.application_id}/{inter.token}?wait=true"
        async with http.post(hook, json={"content": "status"}) as resp:
            assert resp.status == 200  # fills the placeholder
        for bad in ({"content": "no", "components": [text]}, {"embeds": [{"title": "no"}], "components": [text]}):
            async with http.post(hook, json={**bad, "flags": 1 << 15}) as resp:
                assert resp.status == 400, bad
        async with http.post(hook, json={"components": [text]}) as resp:
            assert resp.status == 400  # a Text Display needs the flag
        async with http.post(hook, json={"components": [text], "flags": 1 << 15}) as resp:
            assert resp.status == 200 and (await resp.json())["flags"] & (1 << 15)
