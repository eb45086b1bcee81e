"""Workers of two processes (two Apps) on one PostgreSQL database: LISTEN/NOTIFY wakes an idle worker for a job
another process created, and the per-user running cap is counted over both processes' jobs."""

import asyncio

import pytest

from storage import JobState
from tests.support.worker import IDLE, WHO, LoopSpy, submit

pytestmark = pytest.mark.timeout(120)


async def reaches(app, job_id, state):
    """Wait (a condition, with a safety net) until the job is in ``state``."""
    async with asyncio.timeout(60):
        while (job := await app.storage.jobs.get(job_id)).state is not state:
            await asyncio.sleep(0.05)
    return job


@pytest.fixture
def two_apps(make_app, pg_url):
    async def build(**overrides):
        first, _ = await make_app(database_url=pg_url, worker_idle_max_seconds=IDLE, **overrides)
        second, _ = await make_app(database_url=pg_url, worker_idle_max_seconds=IDLE, **overrides)
        return first, second

    return build


async def test_a_job_created_by_another_process_wakes_the_idle_worker_at_once(two_apps):
    idle, other = await two_apps()
    spy = LoopSpy(idle.storage.jobs)
    await idle.worker.start()
    await spy.asleep(1)  # asleep for up to an hour: only a notification can wake it within the test
    job = await submit(other)  # its own worker is not running; it wakes only through the database
    final = await idle.worker.wait_for(job.id, timeout=60)
    assert final.state is JobState.DONE and spy.dispatches >= 2


async def test_the_per_user_running_cap_counts_the_other_processes_jobs(two_apps, provider):
    provider.script.never_finish = True
    a, b = await two_apps(max_running_per_user=1)
    await a.worker.start()
    first = await submit(a, "a slow red fox")
    await reaches(a, first.id, JobState.RUNNING)
    spy = LoopSpy(b.storage.jobs)
    await b.worker.start()
    await spy.asleep(1)
    dispatched = spy.dispatches
    second = await submit(a, "a slow blue fox")  # a's worker is full for this user; b's may not take it either
    async with asyncio.timeout(60):  # b is notified of the new job and starts a dispatch round …
        while spy.dispatches == dispatched:
            await asyncio.sleep(0.05)
    await spy.asleep(spy.sleeps + 1)  # … which ends when it goes back to sleep
    waiting = await b.storage.jobs.get(second.id)
    assert waiting.state is JobState.QUEUED and waiting.lease_owner is None  # nobody claimed it
    await a.service.cancel(WHO, first.id)
    await reaches(a, first.id, JobState.CANCELLED)
    final = await reaches(b, second.id, JobState.RUNNING)  # the slot freed in a's process is seen by a claim
    assert final.lease_owner is not None
