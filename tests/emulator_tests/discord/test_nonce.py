"""``nonce`` + ``enforce_nonce`` on channel sends, as Discord does it: a repeated send returns the first message."""

from __future__ import annotations

import discord
import pytest

from tests.support.emulator_bot import Running

pytestmark = pytest.mark.timeout(30)


async def test_a_repeated_nonce_returns_the_first_message_instead_of_posting_again(running: Running) -> None:
    emu, bot = running.emu, running.bot
    channel = bot.get_channel(emu.channel.id)
    assert isinstance(channel, discord.TextChannel)
    first = await channel.send("the result", nonce="vb42.123")
    again = await channel.send("the result, sent again after a crash", nonce="vb42.123")
    assert again.id == first.id and again.content == "the result"
    assert [m.content for m in emu.messages(emu.channel)] == ["the result"]
    assert emu.get_message(first.id).nonce == "vb42.123" and again.nonce == "vb42.123"
    other = await channel.send("another job", nonce="vb43.123")
    plain = [await channel.send("no nonce given") for _ in range(2)]  # discord.py sends a random one each time
    assert len({first.id, other.id, *(m.id for m in plain)}) == 4
    assert len(emu.messages(emu.channel)) == 4


async def test_nonce_rules_deleted_expired_and_too_long(running: Running) -> None:
    emu, bot = running.emu, running.bot
    channel = bot.get_channel(emu.channel.id)
    assert isinstance(channel, discord.TextChannel)
    gone = await channel.send("to be deleted", nonce="n-deleted")
    emu.delete_message(gone.id)
    with pytest.raises(discord.NotFound):  # discord.py documents this answer for a recently deleted one
        await channel.send("again", nonce="n-deleted")
    old = await channel.send("old", nonce="n-old")
    emu.get_message(old.id).created_at -= 3600  # outside the window: a new message is made
    assert (await channel.send("new", nonce="n-old")).id != old.id
    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send("long", nonce="x" * 26)
    assert too_long.value.status == 400 and too_long.value.code == 50035
    # sent on purpose: Discord's description refuses it too, and the test takes that violation itself
    [violation] = emu.take_violations()
    assert violation.kind == "request" and violation.problems[0].startswith("nonce: BASE_TYPE_MAX_LENGTH")
