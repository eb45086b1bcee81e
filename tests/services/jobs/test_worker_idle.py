"""The worker's idle loop on a real SQLite file: it sleeps until a job falls due or a wake-up, and does not
look at storage in between.  The idle maximum is an hour here, so that only a due time or a wake-up can end
a sleep within a test's time."""

import asyncio
import time

from bot.services.jobs.worker import DUE_MARGIN, RENEW_EVERY
from storage import JobState
from tests.support.scripted import Script
from tests.support.worker import IDLE, LoopSpy, submit


async def idle_app(make_app, idle: float = IDLE):
    """An App whose worker sleeps at most ``idle`` seconds when nothing falls due."""
    app, _ = await make_app(worker_idle_max_seconds=idle)
    return app


async def test_an_idle_worker_asks_storage_nothing_until_a_wake_up_starts_the_new_job(make_app):
    app = await idle_app(make_app)
    spy = LoopSpy(app.storage.jobs)
    await app.worker.start()
    await spy.asleep(1)
    # The old loop looked every second.  How long this window lasts only decides how surely a regression
    # shows; nothing here can make an idle loop query, however slow the machine.
    await asyncio.sleep(2.5)
    assert spy.dispatches == 1 and spy.sleeps == 1
    job = await submit(app)  # the service wakes the worker
    final = await app.worker.wait_for(job.id, timeout=30)  # an hour's idle sleep was cut short
    assert final.state is JobState.DONE and spy.dispatches >= 2


async def test_the_idle_sleep_lasts_until_the_next_job_falls_due(make_app, provider):
    app = await idle_app(make_app)
    worker, jobs = app.worker, app.storage.jobs
    assert await worker.idle_delay() == IDLE  # nothing waiting: the idle maximum
    parked = await submit(app, "parked")
    await jobs.update(parked.id, next_attempt_at=time.time() + 600)
    assert 300 < await worker.idle_delay() <= 600 + DUE_MARGIN
    leased = await submit(app, "leased elsewhere")
    assert await jobs.claim(leased.id, worker_id="elsewhere", now=time.time(), lease_seconds=120)
    assert 60 < await worker.idle_delay() <= 120 + DUE_MARGIN  # that worker's lease runs out first
    await jobs.update(parked.id, next_attempt_at=None)
    provider.script = Script(never_finish=True)
    await worker.start()  # runs "parked"; its lease is ours and must be renewed in time
    async with asyncio.timeout(30):
        while worker.running == 0:
            await asyncio.sleep(0.01)
    assert 0 <= await worker.idle_delay() <= RENEW_EVERY


async def test_a_job_parked_for_a_retry_runs_when_due_without_a_wake_up(make_app):
    app = await idle_app(make_app)
    job = await submit(app)
    wakes: list[float] = []
    app.worker.wake = lambda: wakes.append(time.time())  # the job's own end still wakes the loop: recorded
    due = time.time() + 1.0
    await app.storage.jobs.update(job.id, next_attempt_at=due)
    final = await app.worker.wait_for(job.id, timeout=30)
    assert final.state is JobState.DONE and final.started_at >= due
    assert all(at >= final.started_at for at in wakes)  # nothing woke the loop before the job began


async def test_a_job_whose_other_worker_lease_runs_out_is_taken_over(make_app):
    app = await idle_app(make_app)
    job = await submit(app)
    await app.storage.jobs.claim(job.id, worker_id="gone", now=time.time(), lease_seconds=1.0)
    final = await app.worker.wait_for(job.id, timeout=30)
    assert final.state is JobState.DONE and final.started_at >= job.created_at + 1.0


async def test_a_job_from_another_process_is_picked_up_within_the_idle_maximum(make_app):
    app = await idle_app(make_app, 1.0)
    spy = LoopSpy(app.storage.jobs)
    await app.worker.start()
    await spy.asleep(1)
    other = await idle_app(make_app)  # a second process on the same database (the CLI), its worker not running
    job = await submit(other)  # wakes only its own worker
    final = await app.worker.wait_for(job.id, timeout=30)
    assert final.state is JobState.DONE and final.lease_owner is None
