"""Push instead of poll (issue 10, part 5), end to end: /video through the Discord emulator, the provider
emulators calling the bot's own web server back over loopback, signed as the real services sign them.

Every job here polls at most hourly (``VIDEOBOT_PUSH_POLL_SECONDS=3600`` and, for a model with nothing learned,
whose safety net is the cold start, ``VIDEOBOT_POLL_INTERVAL_SECONDS=3600``: its first poll an hour after the
create): only a completion call can make it poll within the hour, so a result within the generous wait proves the
wake."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from bot.app import App
from bot.edge.client import start_bot
from bot.providers.fal import FalProvider
from bot.services.fallback.policy import request_for
from bot.services.web.links import Links
from emulators.providers import Script
from emulators.providers._core import ApiState, Task
from storage import Job, JobState
from tests.support.discord import free_port, is_mp4, job_id_of, mp4_of, results, wait_done, wait_result

pytestmark = pytest.mark.timeout(120)
WAIT = 30.0


def push_settings(**extra: Any) -> dict[str, Any]:
    port = free_port()
    return {
        "file_server_port": port,
        "public_base_url": f"http://127.0.0.1:{port}",
        "push_poll_seconds": 3600,
        "poll_interval_seconds": 3600,
        "poll_max_interval_seconds": 3600,
        **extra,
    }


async def until(check: Callable[[], Any], timeout: float = WAIT) -> Any:
    async with asyncio.timeout(timeout):
        while not (value := await check() if asyncio.iscoroutinefunction(check) else check()):
            await asyncio.sleep(0.05)
    return value


async def napping_job(bot: Any, emu: Any, api: ApiState) -> tuple[Job, Task]:
    """The user's job once it is RUNNING and its task exists (nothing learned: the cold start's first poll is an
    hour away, ``poll_interval_seconds``, so it now waits)."""

    async def running() -> Job | None:
        jobs = [j for j, _ in await bot.app.service.active_jobs(emu.alice.id)]
        return next((j for j in jobs if j.state is JobState.RUNNING and j.provider_task_id), None)

    job = await until(running)
    task = await until(lambda: next(iter(api.tasks.values()), None))
    return job, task


async def test_a_signed_replicate_webhook_wakes_the_job_and_repeats_and_bad_signatures_do_nothing(
    emu, launch, emulator, caplog
):
    caplog.set_level(logging.INFO, logger="bot.web.hooks")
    emulator.replicate.script_next(Script(queued=1, running=1, webhook="hold"))
    bot = await launch(
        REPLICATE_API_TOKEN=emulator.replicate.api_key, REPLICATE_BASE_URL=emulator.replicate_url, **push_settings()
    )
    handle = await emu.slash(
        emu.alice, "video", prompt="a kite over the dunes", model="replicate:zeroscope", duration=2
    )
    await handle.wait_ack()
    job, task = await napping_job(bot, emu, emulator.replicate)
    sent = task.body
    assert sent["webhook"] == bot.app.fileserver.links.hook_url("replicate", job.id)
    assert sent["webhook_events_filter"] == ["completed"] and task.extra["cancel_after"] == "1800s"

    assert await emulator.replicate.send_push(task.id, tamper="signature") == 401
    assert await emulator.replicate.send_push(task.id, tamper="body") == 401
    assert await emulator.replicate.send_push(task.id, age=3600) == 401  # signed an hour ago: a replay
    assert await emulator.replicate.send_push(task.id, pad=300 * 1024) == 413  # signed, but over the cap
    after_bad = await bot.app.service.get(job.id)
    assert after_bad.state is JobState.RUNNING and after_bad.pushed_at is None  # answered after the check

    assert await emulator.replicate.send_push(task.id) == 200
    result = await wait_result(emu, timeout=WAIT)
    assert is_mp4(mp4_of(result))
    await wait_done(bot, job.id)
    assert await emulator.replicate.send_push(task.id, again=True) == 200  # the same call delivered twice
    assert await emulator.replicate.send_push(task.id) == 200  # a new call about a finished job
    done = await bot.app.service.get(job.id)
    assert done.state is JobState.DONE and len(results(emu, job.id)) == 1
    assert emulator.replicate.create_count == 1
    said = [r.getMessage() for r in caplog.records if r.name == "bot.web.hooks"]
    assert sum("rejected (401)" in m for m in said) == 3
    assert any("a repeat of a call already taken" in m for m in said)
    assert any("no effect (job already finished)" in m for m in said)


async def test_luma_callbacks_carry_a_per_job_token_and_a_wrong_one_is_refused(emu, launch, emulator):
    emulator.luma.script_next(Script(queued=1, running=1, webhook="hold"))
    bot = await launch(LUMAAI_API_KEY=emulator.luma.api_key, LUMAAI_BASE_URL=emulator.luma_url, **push_settings())
    handle = await emu.slash(emu.alice, "video", prompt="a lighthouse at dusk", duration=5, model="luma:ray-2")
    await handle.wait_ack()
    job, task = await napping_job(bot, emu, emulator.luma)
    callback = task.body["callback_url"]
    assert callback.startswith(bot.app.fileserver.links.hook_url("luma", job.id) + "?v=")
    provider = bot.app.registry.providers["luma"]
    assert await provider.find_task(bot_request(bot, job)) == task.id  # the lost-create search still works

    async with aiohttp.ClientSession() as http:  # Luma also calls on other state changes: not worth a poll
        dreaming = await http.post(callback, json={"id": task.id, "state": "dreaming"})
        assert dreaming.status == 200 and "not an end" in (await dreaming.json())["result"]
    assert await emulator.luma.send_push(task.id, tamper="token") == 401
    assert (await bot.app.service.get(job.id)).pushed_at is None
    assert await emulator.luma.send_push(task.id) == 200
    result = await wait_result(emu, timeout=WAIT)
    assert is_mp4(mp4_of(result)) and emulator.luma.create_count == 1


def bot_request(bot: Any, job: Job) -> Any:
    """The provider request the bot's runner builds for ``job`` (the same function it calls)."""
    return request_for(job.id, job.model, job.spec, job.inputs)


async def test_fal_signed_calls_are_checked_against_the_published_keys(emu, bot_settings, fal_emulator, launch):
    settings = bot_settings(FAL_KEY=fal_emulator.fal.api_key, fal_jwks_url=fal_emulator.fal_jwks_url, **push_settings())
    links = Links(settings)
    fal = FalProvider(fal_emulator.fal.api_key, fal_emulator.fal_url, hook_url=functools.partial(links.hook_url, "fal"))
    fal_emulator.fal.script_next(Script(queued=1, running=1, webhook="hold"))
    bot = await start_bot(
        settings, app=await App.create(settings, providers=[fal]), ready_timeout=15, guild_ready_timeout=0.1
    )
    try:
        handle = await emu.slash(emu.alice, "video", prompt="a paper boat", duration=5, model="fal:pika-2.2")
        await handle.wait_ack()
        job, task = await napping_job(bot, emu, fal_emulator.fal)
        assert await fal_emulator.fal.send_push(task.id, tamper="signature") == 401
        assert await fal_emulator.fal.send_push(task.id, tamper="body") == 401
        assert await fal_emulator.fal.send_push(task.id, age=900) == 401
        assert (await bot.app.service.get(job.id)).pushed_at is None
        assert await fal_emulator.fal.send_push(task.id) == 200
        result = await wait_result(emu, timeout=WAIT)
        assert is_mp4(mp4_of(result)) and fal_emulator.fal.create_count == 1
    finally:
        await asyncio.wait_for(bot.close(), 15)


async def test_a_job_left_to_the_emulators_own_calls_completes_without_its_hourly_poll(emu, launch, emulator):
    emulator.replicate.script_next(Script(queued=1000, running=1, push_after=0.5, webhook="twice"))
    bot = await launch(
        REPLICATE_API_TOKEN=emulator.replicate.api_key, REPLICATE_BASE_URL=emulator.replicate_url, **push_settings()
    )
    handle = await emu.slash(emu.alice, "video", prompt="rain on a tin roof", model="replicate:zeroscope", duration=2)
    await handle.wait_ack()
    result = await wait_result(emu, timeout=WAIT)  # a thousand polls of "starting": only the push ends it
    job_id = job_id_of(result)
    await wait_done(bot, job_id)
    assert len(results(emu, job_id)) == 1
    statuses = [d.status for d in emulator.replicate.deliveries]
    assert len(statuses) == 2 and all(s == 200 for s in statuses)


async def test_oversized_unknown_and_mis_tokened_calls_change_nothing(emu, launch, emulator):
    bot = await launch(
        REPLICATE_API_TOKEN=emulator.replicate.api_key, REPLICATE_BASE_URL=emulator.replicate_url, **push_settings()
    )
    links = bot.app.fileserver.links
    async with aiohttp.ClientSession() as http:
        big = await http.post(links.hook_url("luma", 1), data=b"{" + b" " * (300 * 1024) + b"}")
        assert big.status == 413

        async def chunks():  # no Content-Length: counted while read
            for _ in range(40):
                yield b" " * 8192

        streamed = await http.post(links.hook_url("luma", 1), data=chunks())
        assert streamed.status == 413
        unknown = await http.post(links.hook_url("luma", 424242), json={"id": "nope", "state": "completed"})
        assert unknown.status == 200 and (await unknown.json())["result"] == "unknown job"
        good = links.hook_url("luma", 7)
        wrong = await http.post(good[:-1] + ("a" if good[-1] != "a" else "b"), json={"id": "nope"})
        assert wrong.status == 401
        unsigned = await http.post(links.hook_url("replicate", 424242), json={"id": "nope"})
        assert unsigned.status == 401
        fal = await http.post(links.hook_url("fal", 424242), json={"request_id": "nope"})
        assert fal.status == 401  # no signature headers
    assert await bot.app.storage.jobs.get(424242) is None


async def test_a_call_taken_by_a_web_server_apart_from_the_worker_wakes_the_job(emu, bot_settings, launch, emulator):
    """The web server may run apart from the worker (another process, another App on the same database and
    data dir): the mark on the job's row, and on PostgreSQL its NOTIFY, is all they share."""
    web_port, bot_port = free_port(), free_port()
    public = f"http://127.0.0.1:{web_port}"
    keys = {
        "REPLICATE_API_TOKEN": emulator.replicate.api_key,
        "REPLICATE_BASE_URL": emulator.replicate_url,
        "public_base_url": public,
        "push_poll_seconds": 3600,
    }
    web_only = await App.create(bot_settings(file_server_port=web_port, **keys))
    await web_only.fileserver.start()  # no worker in this one
    try:
        emulator.replicate.script_next(Script(queued=1, running=1, webhook="hold"))
        bot = await launch(file_server_port=bot_port, **keys)
        handle = await emu.slash(
            emu.alice, "video", prompt="a kite over the dunes", model="replicate:zeroscope", duration=2
        )
        await handle.wait_ack()
        job, task = await napping_job(bot, emu, emulator.replicate)
        assert task.body["webhook"].startswith(public + "/hooks/replicate/")
        assert await emulator.replicate.send_push(task.id) == 200  # taken by the web-only App
        assert (await web_only.storage.jobs.get(job.id)).pushed_at is not None
        result = await wait_result(emu, timeout=WAIT)
        assert is_mp4(mp4_of(result)) and len(results(emu, job.id)) == 1
    finally:
        await web_only.close()


def status_field(answer: Any, name: str) -> str:
    return next(str(f["value"]) for f in answer.embeds[0]["fields"] if f["name"] == name)


async def test_a_lost_luma_callback_is_made_good_by_polling_once_the_learned_run_time_has_passed(emu, launch, emulator):
    # The callback never comes (a proxy that does not pass /hooks/ on) and polls are an hour apart unless the
    # model's learned run time (plus its spread) has passed: only that rule can finish the job within the wait.
    emulator.luma.script_next(Script(queued=1, running=1, webhook="hold"))
    bot = await launch(LUMAAI_API_KEY=emulator.luma.api_key, LUMAAI_BASE_URL=emulator.luma_url, **push_settings())
    answer = await (await emu.slash(emu.admin, "admin status")).wait_response(timeout=15)
    assert "every result so far came with its completion call" in status_field(answer, "Push")
    await bot.app.storage.timings.record("luma:ray-2", 0.5, now=time.time())
    handle = await emu.slash(emu.alice, "video", prompt="a lighthouse at dusk", duration=5, model="luma:ray-2")
    await handle.wait_ack()
    job, _task = await napping_job(bot, emu, emulator.luma)
    result = await wait_result(emu, timeout=WAIT)
    assert is_mp4(mp4_of(result))
    await wait_done(bot, job.id)
    done = await bot.app.service.get(job.id)
    assert emulator.luma.deliveries == [] and done.pushed_at is None  # no call ever came: a poll found it
    assert done.push_missed_at is not None and done.state is JobState.DONE
    answer = await (await emu.slash(emu.admin, "admin status")).wait_response(timeout=15)
    push = status_field(answer, "Push")
    assert "1 result arrived by polling although push was on" in push and "check that /hooks/ reaches the bot" in push
