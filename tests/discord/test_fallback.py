"""Fallback when a provider is down (issue 10, part 2), end to end through the Discord and provider emulators:
a Runway outage mid-burst where every job still completes on the fallback, charged once, with the "made with"
note; a moderation refusal never re-sent; an internal task failure moved; the breaker on /admin status."""

from __future__ import annotations

import asyncio
import json

import pytest

from emulators.providers import Fault, Script
from tests.support.discord import fields_of, is_mp4, is_result, mp4_of, wait_done

pytestmark = pytest.mark.timeout(150)
NOTE = "Runway is unavailable; made with Luma ray-flash-2"


def cloud(emulator, **extra):
    return {
        "RUNWAYML_API_SECRET": emulator.runway.api_key,
        "RUNWAYML_BASE_URL": emulator.runway_url,
        "LUMAAI_API_KEY": emulator.luma.api_key,
        "LUMAAI_BASE_URL": emulator.luma_url,
        "fallback_text": ["luma:ray-flash-2"],
        "max_running_per_user": 4,
        **extra,
    }


def field(message, name):
    return fields_of(message).get(name)  # a status message's embed or a result card


def tasks(api, tag):
    return [t for t in api.tasks.values() if tag in json.dumps(t.body)]


async def video(emu, bot, prompt, model="runway:gen4.5", user=None, duration=5):
    user = user or emu.alice
    before = {j.id for j in await bot.app.storage.jobs.search(limit=100)}
    handle = await emu.slash(user, "video", prompt=prompt, model=model, duration=duration)
    assert await handle.wait_ack(timeout=15) == 5
    async with asyncio.timeout(15):
        while not (new := [j for j in await bot.app.storage.jobs.search(limit=100) if j.id not in before]):
            await asyncio.sleep(0.02)
    return new[0].id


async def until(check, what, timeout=30.0):
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)


async def ledger(bot, job_id):
    rows = await bot.app.storage.db.fetchall("SELECT seconds, state FROM quota_ledger WHERE job_id = ?", (job_id,))
    return [(float(r[0]), str(r[1])) for r in rows]


async def test_a_runway_outage_mid_burst_moves_every_job_to_the_fallback(emu, launch, emulator):
    bot = await launch(**cloud(emulator, breaker_threshold=2))
    emulator.runway.rule("burst", Script(queued=1, running=3))
    emulator.luma.rule("burst", Script(queued=1, running=60))  # long enough for the progress to show the move
    first = [await video(emu, bot, f"a lighthouse in fog burst {i}") for i in range(2)]
    await until(lambda: len(tasks(emulator.runway, "burst")) == 2, "Runway to have both first tasks")
    emulator.runway.fail_creates(*[Fault(503)] * 500)  # the outage: every create from now on answers 503
    moving = emu.wait_for_message(
        lambda m: bool(m.embeds) and "making it with Luma ray-flash-2" in (field(m, "Fallback") or ""), timeout=60
    )
    later = [await video(emu, bot, f"a paper boat burst {i}") for i in range(4)]
    assert "Runway is unavailable" in (field(await moving, "Fallback") or "")  # the progress message said so
    posted = {}
    for job_id in first + later:
        posted[job_id] = await emu.wait_for_message(lambda m, j=job_id: is_result(m, j), timeout=90)
    for job_id, message in posted.items():
        await wait_done(bot, job_id)
        job = await bot.app.service.get(job_id)
        assert job.state.value == "done" and is_mp4(mp4_of(message))
        assert await ledger(bot, job_id) == [(5.0, "committed")]  # charged once, for 5 s of video
        if job_id in first:
            assert job.model == "runway:gen4.5" and field(message, "Fallback") is None
        else:
            assert (job.model, job.fallback_from) == ("luma:ray-flash-2", "runway:gen4.5")
            assert field(message, "Fallback") == NOTE
    # one provider task per job, ever: the outage made none at Runway, and nothing ran twice
    assert len(tasks(emulator.runway, "burst")) == 2 and len(tasks(emulator.luma, "burst")) == 4
    status = await bot.app.quota.status(emu.alice.id, emu.guild.id)
    assert status.used == 30
    answer = await (await emu.slash(emu.admin, "admin status")).wait_response(timeout=15)
    providers = field(answer, "Providers")
    assert answer.ephemeral and "Runway: OPEN" in providers and "Luma: closed" in providers
    assert "luma:ray-flash-2" in field(answer, "Fallback")


async def test_connection_refused_moves_the_job_and_new_jobs_skip_the_open_breaker(emu, launch, emulator):
    closed = "http://127.0.0.1:9"  # nothing listens there: every create is refused before it is sent
    bot = await launch(**cloud(emulator, RUNWAYML_BASE_URL=closed, breaker_threshold=1))
    one = await video(emu, bot, "a red fox in snow refused")
    message = await emu.wait_for_message(lambda m: is_result(m, one), timeout=60)
    assert field(message, "Fallback") == NOTE
    breakers = {b.provider: b for b in await bot.app.storage.breakers.all()}
    assert breakers["runway"].failures == 1 and "create not sent" in (breakers["runway"].last_reason or "")
    # the breaker is open: the next job goes to Luma without trying Runway (no new failure counted)
    two = await video(emu, bot, "a blue fox in snow refused")
    message = await emu.wait_for_message(lambda m: is_result(m, two), timeout=60)
    assert field(message, "Fallback") == NOTE
    await wait_done(bot, two)
    assert {b.provider: b for b in await bot.app.storage.breakers.all()}["runway"].failures == 1
    assert len(tasks(emulator.luma, "refused")) == 2 and await ledger(bot, two) == [(5.0, "committed")]


@pytest.mark.parametrize("where", ["create", "task"])
async def test_a_moderation_refusal_is_never_sent_to_the_fallback(emu, launch, emulator, where):
    bot = await launch(**cloud(emulator))
    if where == "create":
        emulator.runway.rule("unsafe", Script(refuse="Content moderation: the prompt was flagged."))
    else:
        emulator.runway.rule("unsafe", Script(outcome="fail", failure_code="SAFETY.INPUT.TEXT"))
    job_id = await video(emu, bot, "something unsafe")
    await emu.wait_for_message(
        lambda m: (
            bool(m.embeds) and f"#{job_id}" in m.embeds[0].get("title", "") and "failed" in m.embeds[0].get("title", "")
        ),
        timeout=60,
    )
    job = await bot.app.service.get(job_id)
    assert job.state.value == "failed" and "moderation" in (job.error or "").lower()
    assert job.model == "runway:gen4.5" and job.fallback_from is None
    assert emulator.luma.create_count == 0 and await ledger(bot, job_id) == [(5.0, "refunded")]
    assert await bot.app.storage.breakers.open_providers(now=bot.app.quota.clock()) == set()


async def test_an_internal_runway_task_failure_moves_the_job(emu, launch, emulator):
    bot = await launch(**cloud(emulator))
    emulator.runway.rule("glitch", Script(queued=1, running=1, outcome="fail", failure_code="INTERNAL.BAD_OUTPUT"))
    job_id = await video(emu, bot, "a glitchy sunset")
    message = await emu.wait_for_message(lambda m: is_result(m, job_id), timeout=60)
    assert field(message, "Fallback") == NOTE and is_mp4(mp4_of(message))
    await wait_done(bot, job_id)
    assert len(tasks(emulator.runway, "glitch")) == 1 and len(tasks(emulator.luma, "glitch")) == 1
    assert await ledger(bot, job_id) == [(5.0, "committed")]


async def test_without_a_fallback_an_open_breaker_refuses_new_jobs_privately_before_any_charge(emu, launch, emulator):
    bot = await launch(**cloud(emulator, fallback_text=[], breaker_threshold=1, RUNWAYML_BASE_URL="http://127.0.0.1:9"))
    first = await video(emu, bot, "a kite without fallback")  # refused at connect: requeued (no fallback), counted
    async with asyncio.timeout(30):
        while not await bot.app.storage.breakers.open_providers(now=bot.app.quota.clock()):
            await asyncio.sleep(0.05)
    handle = await emu.slash(emu.alice, "video", prompt="a second kite", model="runway:gen4.5", duration=5)
    await handle.wait_ack(timeout=15)
    message = await emu.wait_for_message(lambda m: m.ephemeral and "unavailable right now" in m.content, timeout=15)
    assert "Runway is unavailable right now" in message.content and "nothing was charged" in message.content
    assert [j.id for j in await bot.app.storage.jobs.search(limit=10)] == [first]  # no job, no charge
    assert not any(is_result(m) for m in emu.messages(ephemeral=False))
    retrying = await bot.app.service.get(first)  # a job already retrying keeps its retries
    assert not retrying.state.finished and retrying.attempts >= 1
    # a model of a healthy provider is still taken at once
    other = await video(emu, bot, "a third kite", model="luma:ray-flash-2")
    await emu.wait_for_message(lambda m: is_result(m, other), timeout=60)


async def test_a_429_whose_wait_passes_the_deadline_moves_the_job(emu, launch, emulator):
    bot = await launch(**cloud(emulator))
    emulator.runway.fail_creates(Fault(429, retry_after="86400"))  # "come back tomorrow": past any deadline
    job_id = await video(emu, bot, "a slow snail")
    message = await emu.wait_for_message(lambda m: is_result(m, job_id), timeout=60)
    assert field(message, "Fallback") == NOTE
    await wait_done(bot, job_id)
    assert emulator.runway.create_count == 1 and await ledger(bot, job_id) == [(5.0, "committed")]


async def test_clamping_shortens_the_clip_and_reprices_the_one_reservation(emu, launch, emulator):
    bot = await launch(**cloud(emulator, fallback_clamp=True))
    emulator.runway.fail_creates(Fault(503))
    job_id = await video(emu, bot, "a seven second wave", duration=7)  # Luma makes 5 or 9 s: clamped to 5
    message = await emu.wait_for_message(lambda m: is_result(m, job_id), timeout=60)
    assert field(message, "Fallback") == NOTE and field(message, "Duration") == "5 s"
    await wait_done(bot, job_id)
    assert await ledger(bot, job_id) == [(5.0, "committed")]  # charged for the 5 s made, not the 7 asked
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 5


async def test_without_clamping_a_model_that_cannot_make_the_request_is_not_used(emu, launch, emulator):
    bot = await launch(**cloud(emulator))
    emulator.runway.fail_creates(Fault(401))  # a revoked key: a provider fault, but Luma cannot make 7 s
    job_id = await video(emu, bot, "a seven second wave", duration=7)
    async with asyncio.timeout(30):
        while not (job := await bot.app.service.get(job_id)).state.finished:
            await asyncio.sleep(0.05)
    assert job.state.value == "failed" and "key" in (job.error or "") and job.fallback_from is None
    assert emulator.luma.create_count == 0 and await ledger(bot, job_id) == [(7.0, "refunded")]
