"""/variations end to end: several seeds, quota reserved for all at once, the takes delivered together (one
message with every clip when they fit the upload limit, else one message each), each take with its own row of
buttons; a failed or cancelled take is refunded alone and the others are still delivered together."""

from __future__ import annotations

import asyncio

import pytest

from emulators.providers import Script
from storage import JobState
from tests.support.discord import ephemeral_text, footers_of, is_mp4, job_id_of, results, wait_done

pytestmark = pytest.mark.timeout(240)


def takes_in(message) -> list[int]:
    """The job ids a result message holds, from its footers (``job #N · …``: one embed per take of a group, or
    a take posted alone as a result card), in order."""
    return [int(f.split("#", 1)[1].split(" ", 1)[0]) for f in footers_of(message)]


def rows_of(message) -> list[list[dict]]:
    return [row["components"] for row in message.components]


async def variation_jobs(bot, count: int, timeout: float = 60.0) -> list:
    async with asyncio.timeout(timeout):
        while len(jobs := [j for j in await bot.app.service.recent() if j.kind == "variation"]) < count:
            await asyncio.sleep(0.05)
    return sorted(jobs, key=lambda j: j.id)


async def all_finished(bot, jobs, timeout: float = 150.0) -> list:
    for job in jobs:
        await wait_done(bot, job.id, timeout=timeout)
    return [await bot.app.service.get(j.id) for j in jobs]


async def test_variations_arrive_together_in_one_message(emu, launch):
    bot = await launch()
    handle = await emu.slash(emu.alice, "variations", prompt="a paper lantern rising", count=3, duration=1)
    assert await handle.wait_ack() == 5
    jobs = await all_finished(bot, await variation_jobs(bot, 3))
    ids = [j.id for j in jobs]
    await asyncio.sleep(0.5)  # anything that would post a second copy has had its chance
    posted = results(emu)
    assert len(posted) == 1, [takes_in(m) for m in posted]
    message = posted[0]
    assert takes_in(message) == ids
    assert [j.state for j in jobs] == [JobState.DONE] * 3 and {j.message_id for j in jobs} == {message.id}
    assert [j.kind for j in jobs] == ["variation"] * 3 and len({j.spec["seed"] for j in jobs}) == 3
    videos = {a.filename: a.data for a in message.attachments}
    assert sorted(videos) == sorted(f"videobot-{i}.mp4" for i in ids)
    assert all(is_mp4(v) for v in videos.values()) and len(set(videos.values())) == 3  # three different clips
    # one row of buttons per take, labelled with its number, acting on its own job
    for n, (row, job_id) in enumerate(zip(rows_of(message), ids, strict=True), start=1):
        actions = ("extend", "reroll", "refine", "delete", "finish")
        assert [b["custom_id"] for b in row] == [f"videobot:{a}:{job_id}" for a in actions]
        assert all(b["label"].endswith(f"{n}/3") for b in row), row
    froms = [{f["name"]: f["value"] for f in e["fields"]}["From"] for e in message.embeds]
    assert froms == ["variation 1/3", f"variation 2/3 of #{ids[0]}", f"variation 3/3 of #{ids[0]}"]
    assert [await bot.app.storage.quota.ledger_state(i) for i in ids] == ["committed"] * 3
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 3
    assert any("3 variations" in t and f"#{ids[0]}" in t for t in ephemeral_text(emu, emu.alice.id))

    # Re-roll on the second row re-rolls the second take
    click = await emu.click_button(emu.alice, message, f"videobot:reroll:{ids[1]}")
    assert await click.wait_ack() == 5
    async with asyncio.timeout(30):
        while not (rerolls := [j for j in await bot.app.service.recent() if j.kind == "reroll"]):
            await asyncio.sleep(0.05)
    assert rerolls[0].parent_job_id == ids[1]
    # a reaction cannot say which take it means: a private hint, nothing deleted
    await emu.add_reaction(emu.alice, None, message, "❌")
    await emu.wait_for_message(lambda m: "several takes" in m.content, timeout=30)
    assert not message.deleted and len(message.embeds) == 3
    # Delete on the third row takes only the third clip (and its embed and buttons) out of the message
    await emu.click_button(emu.alice, message, f"videobot:delete:{ids[2]}")
    await emu.wait_until(lambda: len(message.embeds) == 2, 30, "the third take removed")
    assert not message.deleted and takes_in(message) == ids[:2] and len(rows_of(message)) == 2
    assert sorted(a.filename for a in message.attachments) == sorted(f"videobot-{i}.mp4" for i in ids[:2])
    async with asyncio.timeout(30):
        while (await bot.app.service.get(ids[2])).removed_at is None:
            await asyncio.sleep(0.05)
    assert (await bot.app.service.get(ids[0])).removed_at is None


async def test_takes_too_large_for_the_upload_limit_come_one_message_each(emu, launch):
    bot = await launch()
    handle = await emu.slash(
        emu.alice, "variations", prompt="a paper lantern rising", count=2, duration=1, attachment_size_limit=2048
    )
    assert await handle.wait_ack() == 5
    jobs = await all_finished(bot, await variation_jobs(bot, 2))
    await asyncio.sleep(0.5)
    posted = sorted(results(emu), key=lambda m: m.id)
    assert [takes_in(m) for m in posted] == [[jobs[0].id], [jobs[1].id]]  # one message per take
    assert [j.message_id for j in jobs] == [m.id for m in posted]
    assert all(j.state is JobState.DONE for j in jobs)
    assert [await bot.app.storage.quota.ledger_state(j.id) for j in jobs] == ["committed"] * 2


async def test_a_group_refused_as_too_large_falls_back_to_one_message_each(emu, launch):
    """Discord answers 413 to the group upload (e.g. a limit lowered meanwhile): each take is posted alone."""
    bot = await launch()
    handle = await emu.slash(emu.alice, "variations", prompt="a paper lantern rising", count=2, duration=1)
    assert await handle.wait_ack() == 5
    await emu.wait_for_message(lambda m: m.ephemeral and "2 variations" in m.content, timeout=30)
    refused = emu.fail_next("POST /webhooks/*", 413, 40005, "Request entity too large")
    jobs = await all_finished(bot, await variation_jobs(bot, 2))
    await asyncio.sleep(0.5)
    assert refused.hits == 1
    posted = sorted(results(emu), key=lambda m: m.id)
    assert [takes_in(m) for m in posted] == [[jobs[0].id], [jobs[1].id]]
    assert [j.message_id for j in jobs] == [m.id for m in posted] and all(j.state is JobState.DONE for j in jobs)


async def test_variations_that_do_not_fit_the_quota_are_refused_at_once(emu, launch):
    bot = await launch(daily_seconds=5)
    handle = await emu.slash(emu.alice, "variations", prompt="a paper lantern rising", count=3, duration=2)
    await handle.wait_ack()
    refusal = await emu.wait_for_message(lambda m: m.ephemeral and "Not enough quota" in m.content, timeout=20)
    assert "needs 6 s" in refusal.content
    assert handle.original is None or handle.original.deleted
    assert await bot.app.service.recent() == [] and not results(emu)
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 0


async def test_a_variation_count_or_model_limit_is_refused_privately(emu, launch):
    bot = await launch()
    handle = await emu.slash(emu.alice, "variations", prompt="a lantern", count=2, model="local:motion")
    assert await handle.wait_ack() == 4
    assert "cannot do text-to-video" in (await handle.wait_response()).content
    assert await bot.app.service.recent() == []


async def test_a_failed_variation_is_refunded_alone_and_the_others_come_together(emu, launch, emulator):
    bot = await launch(
        RUNWAYML_API_SECRET=emulator.runway.api_key, RUNWAYML_BASE_URL=emulator.runway_url, daily_seconds=100
    )
    emulator.runway.script_next(Script(outcome="fail"), Script(), Script())
    handle = await emu.slash(emu.alice, "variations", prompt="a lantern", count=3, duration=4, model="runway:gen4.5")
    assert await handle.wait_ack() == 5
    jobs = await all_finished(bot, await variation_jobs(bot, 3))
    failed = [j for j in jobs if j.state is JobState.FAILED]
    done = [j for j in jobs if j.state is JobState.DONE]
    assert len(failed) == 1 and len(done) == 2
    await asyncio.sleep(0.5)
    posted = results(emu)
    assert len(posted) == 1 and takes_in(posted[0]) == [j.id for j in done]
    assert {j.message_id for j in done} == {posted[0].id} and len(posted[0].attachments) == 2
    ledger = {j.id: await bot.app.storage.quota.ledger_state(j.id) for j in jobs}
    assert ledger == {j.id: "refunded" if j in failed else "committed" for j in jobs}
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == pytest.approx(8.0)


async def test_a_cancelled_variation_is_refunded_and_the_others_still_come_together(emu, launch, emulator):
    bot = await launch(
        RUNWAYML_API_SECRET=emulator.runway.api_key, RUNWAYML_BASE_URL=emulator.runway_url, daily_seconds=100
    )
    emulator.runway.script_next(*[Script(outcome="hang")] * 3)  # every task runs until told otherwise
    handle = await emu.slash(
        emu.alice, "variations", prompt="a slow lantern", count=3, duration=4, model="runway:gen4.5"
    )
    assert await handle.wait_ack() == 5
    jobs = await variation_jobs(bot, 3)
    slow = jobs[0]  # the take that answers the interaction: the others post through the channel
    async with asyncio.timeout(60):
        while (slow_task := (await bot.app.service.get(slow.id)).provider_task_id) is None:
            await asyncio.sleep(0.05)
    async with asyncio.timeout(90):  # the two others are made (released as their tasks appear) and wait
        while any([(await bot.app.service.get(j.id)).state is not JobState.DELIVERING for j in jobs[1:]]):
            for task in emulator.runway.tasks.values():
                if task.id != slow_task and task.script.outcome == "hang":
                    task.script = Script(queued=0, running=0)  # done at the next poll
            await asyncio.sleep(0.05)
    assert not results(emu)
    waiting = "made; waiting for the other takes"
    shown = lambda: sum(any(waiting in (e.get("title") or "") for e in m.embeds) for m in emu.messages())  # noqa: E731
    await emu.wait_until(lambda: shown() == 2, 30, "the two made takes saying they wait")
    cancel = await emu.slash(emu.alice, "cancel", job=slow.id)
    await cancel.wait_ack()
    jobs = await all_finished(bot, jobs)
    assert [j.state for j in jobs] == [JobState.CANCELLED, JobState.DONE, JobState.DONE]
    await asyncio.sleep(0.5)
    posted = results(emu)
    assert len(posted) == 1 and takes_in(posted[0]) == [jobs[1].id, jobs[2].id]
    assert [await bot.app.storage.quota.ledger_state(j.id) for j in jobs] == ["refunded", "committed", "committed"]


async def test_a_restart_while_takes_wait_for_a_sibling_still_delivers_them_together(emu, launch, bot_settings):
    settings = bot_settings()
    bot = await launch(settings)
    handle = await emu.slash(emu.alice, "variations", prompt="a paper lantern rising", count=2, duration=1)
    assert await handle.wait_ack() == 5
    jobs = await variation_jobs(bot, 2)
    async with asyncio.timeout(90):  # the first take made (it waits for, or is posting with, the second)
        while (await bot.app.service.get(jobs[0].id)).state is not JobState.DELIVERING:
            await asyncio.sleep(0.02)
    await asyncio.wait_for(bot.close(), 15)
    bot = await launch(settings)
    jobs = await all_finished(bot, jobs)
    await asyncio.sleep(0.5)
    posted = results(emu)
    assert len(posted) == 1 and takes_in(posted[0]) == [j.id for j in jobs]
    assert all(j.state is JobState.DONE and j.message_id == posted[0].id for j in jobs)
    assert job_id_of(posted[0]) == jobs[0].id
