"""Restarts: a job in flight when the bot stops is finished by the next start and delivered exactly once."""

from __future__ import annotations

import asyncio

import pytest

from storage import JobState
from tests.support.discord import job_id_of, results, wait_done, wait_result
from tests.support.harness import RenderGate, slow_ffmpeg

pytestmark = pytest.mark.timeout(120)


async def wait_state(bot, job_id: int, state: JobState, timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while (await bot.app.service.get(job_id)).state is not state:
            await asyncio.sleep(0.05)


async def first_job(bot, emu) -> int:
    async with asyncio.timeout(30):
        while not (active := await bot.app.service.active_jobs(emu.alice.id)):
            await asyncio.sleep(0.02)
    return active[0][0].id


async def test_a_job_stopped_while_rendering_is_delivered_once_after_restart(emu, launch, bot_settings, tmp_path):
    renders = RenderGate(tmp_path / "renders")
    renders.close()  # the render's ffmpeg waits for a pass: the bot is stopped inside the render
    settings = bot_settings(ffmpeg=str(slow_ffmpeg(tmp_path / "bin", 0.0, renders)))
    bot = await launch(settings)
    await (await emu.slash(emu.alice, "video", prompt="a bonfire on a beach", duration=1)).wait_ack()
    job_id = await first_job(bot, emu)
    await wait_state(bot, job_id, JobState.RUNNING, timeout=30)
    await asyncio.wait_for(bot.close(), 15)
    stopped = await launch_state(settings, job_id)
    assert stopped in (JobState.RUNNING, JobState.SUBMITTING) and not results(emu)

    renders.open()
    bot = await launch(settings)
    result = await wait_result(emu)
    assert job_id_of(result) == job_id
    await wait_done(bot, job_id)
    await asyncio.sleep(0.5)
    assert len(results(emu, job_id)) == 1
    assert (await bot.app.service.get(job_id)).message_id == result.id


async def launch_state(settings, job_id: int) -> JobState:
    """The job's stored state, read with the bot stopped."""
    from bot.app import App

    async with await App.create(settings) as app:
        return (await app.service.get(job_id)).state


async def test_a_job_stuck_mid_upload_at_shutdown_is_delivered_once_after_restart(emu, launch, bot_settings):
    settings = bot_settings()
    bot = await launch(settings)
    # Discord answers 500 to the result upload: the job is stuck mid-delivery when the bot is stopped.
    outage = emu.server_error_next("POST /webhooks/*", count=1000)
    handle = await emu.slash(emu.alice, "video", prompt="a windmill turning at dusk", duration=1)
    await handle.wait_ack()
    job_id = await first_job(bot, emu)
    await wait_state(bot, job_id, JobState.DELIVERING)
    await emu.wait_until(lambda: outage.hits >= 1, 30, "the upload to be tried")
    await asyncio.wait_for(bot.close(), 15)
    assert not results(emu)
    outage.remaining = 0  # Discord is back

    bot = await launch(settings)
    result = await wait_result(emu)
    assert job_id_of(result) == job_id and set(result.pings.users) <= {emu.alice.id}
    await wait_done(bot, job_id)
    await asyncio.sleep(0.5)  # anything that would post a second copy has had its chance
    assert len(results(emu, job_id)) == 1
    job = await bot.app.service.get(job_id)
    assert job.state is JobState.DONE and job.message_id == result.id


async def test_a_result_posted_just_before_a_crash_is_not_posted_again(emu, launch, bot_settings):
    settings = bot_settings()
    bot = await launch(settings)
    await (await emu.slash(emu.alice, "video", prompt="a clock pendulum swinging", duration=1)).wait_ack()
    result = await wait_result(emu)
    job_id = job_id_of(result)
    await wait_done(bot, job_id)
    # The crash window: the message is in the channel but the job was never recorded as delivered.
    await bot.app.storage.jobs.update(job_id, state=JobState.DELIVERING, message_id=None, finished_at=None)
    await asyncio.wait_for(bot.close(), 15)

    bot = await launch(settings)
    await wait_done(bot, job_id)
    job = await bot.app.service.get(job_id)
    assert job.state is JobState.DONE and job.message_id == result.id
    assert len(results(emu, job_id)) == 1
