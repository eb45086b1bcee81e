"""Adaptive polling end to end (issue 10, part 5): a model's run time is learned from its finished jobs; a model
with history is first polled just before its expected finish, and its progress message says how long is left.

Only the order of events and lower bounds on times are asserted, never speed."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.services.jobs.schedule import PollSchedule
from emulators.providers import Script
from tests.support.discord import is_mp4, mp4_of, wait_done, wait_result

pytestmark = pytest.mark.timeout(90)

# Production-like polling (the tests' default polls every 0.01 s, which would hide the schedule's shape).
POLLING = {"poll_interval_seconds": 5.0, "poll_max_interval_seconds": 30.0, "poll_brisk_seconds": 1.0}


def status_title(emu, words: str = "") -> str:
    """The title of a progress message ("⏳ Video #1 — rendering, about 3 s left") containing ``words``."""
    titles = [m.embeds[0].get("title", "") for m in emu.messages() if m.embeds]
    return next((t for t in titles if t.startswith("⏳") and words in t), "")


def job_of(title: str) -> int:
    return int(title.split("#", 1)[1].split(" ", 1)[0])


async def test_a_finished_job_teaches_the_model_its_run_time(emu, launch, emulator):
    bot = await launch(LUMAAI_API_KEY=emulator.luma.api_key, LUMAAI_BASE_URL=emulator.luma_url)
    assert await bot.app.storage.timings.get("luma:ray-2") is None
    await (await emu.slash(emu.alice, "video", prompt="a lighthouse", duration=5, model="luma:ray-2")).wait_ack()
    result = await wait_result(emu)
    assert is_mp4(mp4_of(result))
    timing = await bot.app.storage.timings.get("luma:ray-2")
    task = next(iter(emulator.luma.tasks.values()))
    assert timing is not None and timing.samples == 1
    # learned from the polls between the create and the answer that said "completed"
    assert 0 < timing.mean_seconds <= time.time() - task.created_at.timestamp()
    assert timing.last_seconds == timing.mean_seconds and len(task.poll_times) >= 2


async def test_a_model_with_history_is_polled_just_before_its_expected_finish(emu, launch, emulator):
    bot = await launch(LUMAAI_API_KEY=emulator.luma.api_key, LUMAAI_BASE_URL=emulator.luma_url, **POLLING)
    learned = await bot.app.storage.timings.record("luma:ray-2", 4.0, now=time.time())
    schedule = PollSchedule.build(5.0, 30.0, 1.0, expected=learned.mean_seconds, spread=learned.spread_seconds)
    assert schedule.wake > 1.0
    emulator.luma.script_next(Script(run_seconds=4.0, outcome="hang"))  # runs until the test lets it finish

    await (await emu.slash(emu.alice, "video", prompt="a lighthouse", duration=5, model="luma:ray-2")).wait_ack()
    title = await emu.wait_until(lambda: status_title(emu, "left"), 30, "the status saying how long is left")
    assert "rendering, about" in title and " s left" in title
    job_id = job_of(title)

    task = next(iter(emulator.luma.tasks.values()))
    async with asyncio.timeout(30):
        while not task.poll_times:
            await asyncio.sleep(0.05)
    earliest = schedule.jittered(schedule.wake, 0.999)  # the most the jitter shortens the sleep
    # no poll before the learned run time minus the lead (the backoff would have polled at once)
    assert task.poll_times[0] >= task.created_at.timestamp() + earliest - 0.05

    task.script = Script(queued=0, running=0)  # finished: the next poll says so
    result = await wait_result(emu)
    assert is_mp4(mp4_of(result))
    await wait_done(bot, job_id)
    timing = await bot.app.storage.timings.get("luma:ray-2")
    assert timing is not None and timing.samples == 2


async def test_without_history_the_status_promises_no_time(emu, launch, emulator):
    bot = await launch(LUMAAI_API_KEY=emulator.luma.api_key, LUMAAI_BASE_URL=emulator.luma_url)
    emulator.luma.script_next(Script(run_seconds=60.0))
    await (await emu.slash(emu.alice, "video", prompt="a lighthouse", duration=5, model="luma:ray-2")).wait_ack()
    title = await emu.wait_until(lambda: status_title(emu, "rendering"), 30, "the status while rendering")
    assert "left" not in title and await bot.app.storage.timings.get("luma:ray-2") is None
