"""The late-result ping: a result shown more than a minute after the command mentions its owner once (that user
only); a quicker one pings no one; ``/settings notify off`` turns the ping off.  The minute passes on the delivery
target's injected clock, never by waiting."""

from __future__ import annotations

import time

import pytest

from tests.support.discord import job_id_of, texts_of, wait_done, wait_result

pytestmark = pytest.mark.timeout(120)

LATE = 120.0  # seconds the delivery clock runs ahead: past the minute, well inside the token's 15


def pinging(emu) -> list:
    """Every message that notified someone."""
    return [m for m in emu.messages() if m.pings.users or m.pings.everyone or m.pings.roles]


async def make(emu, bot, prompt: str, after: int = 0):
    handle = await emu.slash(emu.alice, "video", prompt=prompt, duration=1)
    assert await handle.wait_ack() == 5
    result = await wait_result(emu, after=after)
    await wait_done(bot, job_id_of(result))
    return result


async def test_a_late_result_pings_its_owner_once_and_a_quick_one_no_one(emu, launch):
    bot = await launch()
    quick = await make(emu, bot, "a paper plane")
    addressed = texts_of(quick)[0].splitlines()[1]  # the card's first line is its title, the next names its owner
    assert addressed.startswith(f"<@{emu.alice.id}>") and quick.pings.users == []
    assert pinging(emu) == []

    bot.delivery.clock = lambda: time.time() + LATE  # the result now shows two minutes after its command
    late = await make(emu, bot, "a paper plane in the rain", after=quick.id)
    assert late.pings.users == [emu.alice.id] and not late.pings.everyone and not late.pings.roles
    assert pinging(emu) == [late]  # once: the status edits and everything else notify no one


async def test_settings_notify_off_and_on(emu, launch):
    bot = await launch()
    off = await emu.slash(emu.alice, "settings notify", mention="off", locale="fr")
    answer = await off.wait_response()
    assert answer.ephemeral and "ne vous mentionnerai pas" in answer.content
    assert await bot.app.notifier.wants_pings(emu.alice.id) is False

    bot.delivery.clock = lambda: time.time() + LATE
    late = await make(emu, bot, "a slow tide")
    assert late.pings.users == [] and pinging(emu) == []

    on = await emu.slash(emu.alice, "settings notify", mention="on")
    assert "I will mention you" in (await on.wait_response()).content
    again = await make(emu, bot, "a slow tide, again", after=late.id)
    assert again.pings.users == [emu.alice.id]
    settings = next(c for c in emu.synced_commands(emu.guild) if c["name"] == "settings")
    assert settings["name_localizations"]["fr"] == "réglages"
