"""The provider emulators' wall-clock mode (``Script(run_seconds=…)``, for the benchmarks): a task ends a set
time after its create however often it is polled, and records when it finished and when it was polled."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.providers.base import GenerationRequest, TaskState
from bot.providers.luma import LumaProvider
from emulators.providers import Script

pytestmark = pytest.mark.timeout(60)


def request(job_id: int) -> GenerationRequest:
    return GenerationRequest(job_id=job_id, model="luma:ray-2", prompt="a storm", duration=5, aspect="16:9")


async def test_a_timed_task_runs_however_often_it_is_polled_then_finishes(emulator):
    emulator.luma.script_next(Script(run_seconds=600.0), Script(run_seconds=0.3))
    luma = LumaProvider(emulator.luma.api_key, emulator.luma_url, timeout=10)
    long_id = await luma.submit(request(1))
    for _ in range(5):  # five polls would end a poll-counted task
        assert (await luma.poll(long_id)).state is TaskState.RUNNING
    short_id = await luma.submit(request(2))
    created = time.time()
    async with asyncio.timeout(30):
        while (status := await luma.poll(short_id)).state is not TaskState.SUCCEEDED:
            assert status.state is TaskState.RUNNING
            await asyncio.sleep(0.05)
    task = emulator.luma.tasks[short_id]
    assert task.finished_at is not None and task.finished_at <= time.time()
    assert task.finished_at == pytest.approx(task.created_at.timestamp() + 0.3) and created < task.poll_times[-1]
    assert len(task.poll_times) == task.polls and task.poll_times == sorted(task.poll_times)
    assert task.poll_times[-1] >= task.finished_at  # the answer that said "completed" came after the finish
    assert emulator.luma.tasks[long_id].finished_at is not None and len(emulator.luma.tasks[long_id].poll_times) == 5


async def test_poll_counted_tasks_record_their_polls_and_no_finish_time(emulator):
    emulator.luma.script_next(Script(queued=1, running=1))
    luma = LumaProvider(emulator.luma.api_key, emulator.luma_url, timeout=10)
    task_id = await luma.submit(request(3))
    states = [(await luma.poll(task_id)).state for _ in range(3)]
    assert states[-1] is TaskState.SUCCEEDED
    task = emulator.luma.tasks[task_id]
    assert task.finished_at is None and len(task.poll_times) == 3
