"""A stranger extending, deleting or cancelling someone else's job: refused, and the owner's things untouched."""

from __future__ import annotations

import pytest

from bot.errors import NotJobOwner
from bot.services.requests.generation import Requester
from storage import JobState
from tests.support.discord import job_id_of, results, wait_done, wait_result
from tests.support.hostile import private_answer
from tests.support.hostile_cases import case

pytestmark = pytest.mark.timeout(60)


def stranger_of(emu):
    user = emu.add_user("stranger")
    emu.add_member(emu.guild, user)
    return user


async def test_strangers_cannot_touch_a_result(emu, launch):
    bot = await launch()
    stranger = stranger_of(emu)
    await (await emu.slash(emu.alice, "video", prompt="a paper crane unfolding", duration=1)).wait_ack()
    result = await wait_result(emu)
    job_id = job_id_of(result)
    await wait_done(bot, job_id)
    await emu.wait_until(lambda: "❌" in result.reactions, 30, "the result's reactions")
    before = await bot.app.quota.status(emu.alice.id, emu.guild.id)

    handle = await emu.slash(stranger, "extend", job=job_id, prompt="it flies away")
    assert case("extend_command_others").says in (await private_answer(emu, handle)).lower()
    click = await emu.click_button(stranger, result, f"videobot:extend:{job_id}")
    assert case("extend_button_others").says in (await private_answer(emu, click)).lower()
    click = await emu.click_button(stranger, result, f"videobot:delete:{job_id}")
    assert case("delete_button_others").says in (await private_answer(emu, click)).lower()
    for name, emoji in (("extend_reaction_others", "⏩"), ("delete_reaction_others", "❌")):
        newest = max(emu.message_store)
        await emu.add_reaction(stranger, None, result, emoji)
        notice = await emu.wait_for_message(
            lambda m, n=newest: m.id > n and stranger.mention in m.content and not m.content.startswith("⏳"), 10
        )
        assert case(name).says in notice.content.lower(), notice.content
        assert notice.pings.users == [stranger.id] and not notice.pings.everyone
        # refused before anything public is posted: no "⏳ Extending…" placeholder ever appears
        every = emu.messages(ephemeral=False, deleted=True)
        assert [m for m in every if m.id > newest and m.content.startswith("⏳")] == []

    assert not result.deleted and len(results(emu)) == 1
    assert await bot.app.storage.jobs.search(owner_id=stranger.id, limit=5) == []
    assert (await bot.app.quota.status(stranger.id, emu.guild.id)).used == 0
    assert await bot.app.quota.status(emu.alice.id, emu.guild.id) == before
    assert (await bot.app.service.get(job_id)).state is JobState.DONE
    assert [j.id for j in await bot.app.storage.jobs.search(limit=5)] == [job_id]  # nothing new was queued


async def test_strangers_cannot_cancel_a_job(emu, launch):
    bot = await launch()
    stranger = stranger_of(emu)
    await bot.app.worker.stop()  # alice's job waits in the queue
    handle = await emu.slash(emu.alice, "video", prompt="a windmill turning slowly", duration=1)
    await emu.wait_until(lambda: handle.original and handle.original.embeds, 30, "alice's status")
    [(job, _)] = await bot.app.service.active_jobs(emu.alice.id)

    cancel = await emu.slash(stranger, "cancel", job=job.id)
    assert case("cancel_others").says in (await private_answer(emu, cancel)).lower()
    with pytest.raises(NotJobOwner) as refused:
        await bot.app.service.cancel(Requester(user_id=stranger.id, guild_id=emu.guild.id), job.id)
    assert case("cancel_others_service").says in refused.value.user_message.lower()
    after = await bot.app.service.get(job.id)
    assert after.state is JobState.QUEUED and not after.cancel_requested
    assert await bot.app.storage.quota.ledger_state(job.id) == "reserved"

    await bot.app.worker.start()  # nothing is stuck: alice's job runs to the end
    result = await wait_result(emu)
    assert job_id_of(result) == job.id
    await wait_done(bot, job.id)
    assert await bot.app.storage.quota.ledger_state(job.id) == "committed"
