"""⏩ 🔁 ❌ on a result, as reactions and as buttons (which keep working after a restart)."""

from __future__ import annotations

import asyncio

import pytest
from discord import Permissions

from bot.edge.start import is_moderator
from storage import JobState
from tests.support.discord import job_id_of, results, text_of, texts_of, wait_done, wait_result

pytestmark = pytest.mark.timeout(120)


async def make_result(emu, bot, prompt: str = "a hummingbird at a feeder"):
    newest = max(emu.message_store, default=0)
    await (await emu.slash(emu.alice, "video", prompt=prompt, duration=1)).wait_ack()
    result = await wait_result(emu, after=newest)
    await wait_done(bot, job_id_of(result))
    return result


async def test_extend_button_and_reroll_reaction(emu, launch):
    bot = await launch()
    first = await make_result(emu, bot)
    parent = job_id_of(first)

    click = await emu.click_button(emu.alice, first, f"videobot:extend:{parent}")
    assert await click.wait_ack() == 5
    extended = await wait_result(emu, after=first.id)
    assert texts_of(extended)[0].startswith("### 🎬 Extension")
    job = await bot.app.service.get(job_id_of(extended))
    assert job.kind == "extend" and job.parent_job_id == parent and job.owner_id == emu.alice.id
    assert float(job.spec["duration"]) >= 1

    await emu.add_reaction(emu.admin, None, first, "🔁")  # anyone may re-roll; it is charged to them
    rerolled = await wait_result(emu, after=extended.id)
    job = await bot.app.service.get(job_id_of(rerolled))
    original = await bot.app.service.get(parent)
    assert job.kind == "reroll" and job.owner_id == emu.admin.id and job.parent_job_id == parent
    assert job.spec["seed"] != original.spec["seed"]
    assert rerolled.pings.users == [] and f"<@{emu.admin.id}>" in text_of(rerolled)  # quick: shown, no ping
    # a reaction job's status is a reply in the channel that ends up linking to the result
    status = next(m for m in emu.messages(ephemeral=False) if m.reference and "Re-rolling" in m.content)
    assert int(status.reference["message_id"]) == first.id
    await emu.wait_until(lambda: status.embeds and "done" in status.embeds[0]["title"], 30, "status done")


async def test_extend_by_reaction(emu, launch):
    bot = await launch()
    first = await make_result(emu, bot, "a kettle starting to boil")
    await emu.add_reaction(emu.alice, None, first, "⏩")
    extended = await wait_result(emu, after=first.id)
    assert (await bot.app.service.get(job_id_of(extended))).kind == "extend"


async def test_only_the_owner_or_a_moderator_deletes(emu, launch):
    bot = await launch()
    stranger = emu.add_user("stranger")
    emu.add_member(emu.guild, stranger)
    moderator = emu.add_user("moderator")
    emu.add_member(emu.guild, moderator, permissions=["manage_messages"])
    first = await make_result(emu, bot, "a dandelion losing its seeds")
    second = await make_result(emu, bot, "a dandelion in the rain")

    click = await emu.click_button(stranger, first, f"videobot:delete:{job_id_of(first)}")
    await click.wait_ack()
    refusal = await click.wait_response()
    assert refusal.ephemeral and "owner" in refusal.content
    await emu.add_reaction(stranger, None, second, "❌")
    notice = await emu.wait_for_message(lambda m: stranger.mention in m.content and "owner" in m.content, timeout=30)
    assert notice.pings.users == [stranger.id]
    assert not first.deleted and not second.deleted

    assert all([(await bot.app.service.get(job_id_of(m))).removed_at is None for m in (first, second)])

    await emu.click_button(emu.alice, first, f"videobot:delete:{job_id_of(first)}")
    await emu.wait_until(lambda: first.deleted, 30, "the owner's delete")
    await emu.add_reaction(moderator, None, second, "❌")
    await emu.wait_until(lambda: second.deleted, 30, "the moderator's delete")
    async with asyncio.timeout(30):  # the result pages go too (410), recorded right after the message is gone
        while any([(await bot.app.service.get(job_id_of(m))).removed_at is None for m in (first, second)]):
            await asyncio.sleep(0.05)


async def test_buttons_work_after_a_restart(emu, launch, bot_settings):
    settings = bot_settings()
    bot = await launch(settings)
    first = await make_result(emu, bot, "a lantern swaying on a boat")
    await bot.close()
    await launch(settings)  # a new process' worth of state: no view store, only the dynamic items
    click = await emu.click_button(emu.alice, first, f"videobot:reroll:{job_id_of(first)}")
    assert await click.wait_ack() == 5
    again = await wait_result(emu, after=first.id)
    assert job_id_of(again) != job_id_of(first)
    assert len(results(emu)) == 2


def test_one_rule_says_who_is_a_moderator():
    for name in ("manage_messages", "manage_guild", "administrator"):
        assert is_moderator(Permissions(**{name: True}))
    assert not is_moderator(Permissions(send_messages=True, add_reactions=True, attach_files=True))


async def test_the_moderator_rule_is_the_same_for_buttons_reactions_and_cancel(emu, launch):
    bot = await launch()
    manager = emu.add_user("manager")  # Manage Server without Manage Messages: a moderator everywhere
    emu.add_member(emu.guild, manager, permissions=["manage_guild"])
    first = await make_result(emu, bot, "a paper boat in a gutter")
    second = await make_result(emu, bot, "a paper plane over a roof")
    await emu.add_reaction(manager, None, first, "❌")
    await emu.wait_until(lambda: first.deleted, 10, "the reaction delete")
    click = await emu.click_button(manager, second, f"videobot:delete:{job_id_of(second)}")
    await emu.wait_until(lambda: second.deleted, 10, "the button delete")
    assert "Deleted" in (await click.wait_response()).content

    await bot.app.worker.stop()  # a queued job of alice's, cancelled by the manager
    await (await emu.slash(emu.alice, "video", prompt="a paper crane on a desk", duration=1)).wait_ack()
    async with asyncio.timeout(10):  # acknowledged first, submitted right after
        while not (active := await bot.app.service.active_jobs(emu.alice.id)):
            await asyncio.sleep(0.02)
    queued = active[0][0]
    cancel = await emu.slash(manager, "cancel", job=queued.id)
    assert "cancelled" in (await cancel.wait_response()).content
    assert (await bot.app.service.get(queued.id)).state is JobState.CANCELLED
