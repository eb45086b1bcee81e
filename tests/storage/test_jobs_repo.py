"""The job repository on both backends (the `storage` fixture: a real SQLite file, a real PostgreSQL schema)."""

import time

import pytest

from storage import Charge, JobState, NewJob, QuotaRefused, StaleJob


def new_job(owner=1, guild=10, **kw):
    return NewJob(
        kind="generate",
        owner_id=owner,
        guild_id=guild,
        channel_id=5,
        model="local:motion",
        spec={"subject": "x", "duration": 5},
        cost_seconds=5,
        **kw,
    )


async def test_conditional_update_refuses_a_stale_state(storage):
    job = await storage.jobs.create(new_job(), charge=None, now=time.time())
    moved = await storage.jobs.update(job.id, expect=[JobState.QUEUED], state=JobState.SUBMITTING)
    assert moved.state is JobState.SUBMITTING
    with pytest.raises(StaleJob):
        await storage.jobs.update(job.id, expect=[JobState.QUEUED], state=JobState.RUNNING)
    assert (await storage.jobs.get(job.id)).state is JobState.SUBMITTING


async def test_unknown_fields_are_rejected(storage):
    job = await storage.jobs.create(new_job(), charge=None, now=time.time())
    with pytest.raises(Exception, match="unknown job fields"):
        await storage.jobs.update(job.id, owner_id=2)


async def test_queue_positions_follow_submission_order(storage):
    now = time.time()
    jobs = [await storage.jobs.create(new_job(owner=i), charge=None, now=now) for i in range(3)]
    assert [await storage.jobs.queue_position(j.id) for j in jobs] == [1, 2, 3]
    await storage.jobs.update(jobs[0].id, state=JobState.RUNNING)
    assert [await storage.jobs.queue_position(j.id) for j in jobs] == [0, 1, 2]


async def test_lease_is_exclusive_until_it_expires(storage):
    now = time.time()
    job = await storage.jobs.create(new_job(), charge=None, now=now)
    assert await storage.jobs.claim(job.id, worker_id="a", now=now, lease_seconds=60) is not None
    assert await storage.jobs.claim(job.id, worker_id="b", now=now + 1, lease_seconds=60) is None
    assert await storage.jobs.claim(job.id, worker_id="a", now=now + 2, lease_seconds=60) is not None  # restart
    assert await storage.jobs.claim(job.id, worker_id="b", now=now + 120, lease_seconds=60) is not None


async def test_finish_settles_the_reservation_once(storage):
    now = time.time()
    charge = Charge(seconds=5, window_start=now - 86400, user_limit=60)
    job = await storage.jobs.create(new_job(), charge=charge, now=now)
    assert await storage.quota.ledger_state(job.id) == "reserved"
    await storage.jobs.finish(job.id, JobState.FAILED, now=now, ledger="refunded")
    assert await storage.quota.ledger_state(job.id) == "refunded"
    # a second settlement (e.g. after a restart) changes nothing
    await storage.jobs.finish(job.id, JobState.FAILED, now=now, ledger="committed")
    assert await storage.quota.ledger_state(job.id) == "refunded"
    assert (await storage.quota.usage(user_id=1, since=now - 10)).used == 0


async def test_queue_limit_counts_unfinished_jobs(storage):
    now = time.time()
    charge = Charge(seconds=1, window_start=now - 86400, user_limit=1000, max_queued=2)
    await storage.jobs.create(new_job(), charge=charge, now=now)
    await storage.jobs.create(new_job(), charge=charge, now=now)
    with pytest.raises(QuotaRefused) as refused:
        await storage.jobs.create(new_job(), charge=charge, now=now)
    assert refused.value.scope == "queue"


async def test_next_due_is_the_earliest_parking_time_or_foreign_lease_expiry(storage):
    now = 1_000_000.0
    assert await storage.jobs.next_due(now=now, worker_id="me") is None
    parked, leased, mine, done = [await storage.jobs.create(new_job(owner=i), charge=None, now=now) for i in range(4)]
    assert await storage.jobs.next_due(now=now, worker_id="me") is None  # queued jobs are due now, not later
    await storage.jobs.update(parked.id, next_attempt_at=now + 50)
    await storage.jobs.update(done.id, next_attempt_at=now + 5, state=JobState.DONE)  # finished: never due
    assert await storage.jobs.next_due(now=now, worker_id="me") == now + 50
    await storage.jobs.claim(leased.id, worker_id="other", now=now, lease_seconds=30)
    await storage.jobs.claim(mine.id, worker_id="me", now=now, lease_seconds=10)  # ours: not waited for
    assert await storage.jobs.next_due(now=now, worker_id="me") == now + 30
    await storage.jobs.update(leased.id, next_attempt_at=now + 40)  # parked past its lease: the later counts
    assert await storage.jobs.next_due(now=now, worker_id="me") == now + 40
    assert await storage.jobs.next_due(now=now + 45, worker_id="me") == now + 50
    assert await storage.jobs.next_due(now=now + 50, worker_id="me") is None


async def test_runnable_leaves_out_the_jobs_the_caller_runs(storage):
    now = time.time()
    jobs = [await storage.jobs.create(new_job(owner=i), charge=None, now=now) for i in range(4)]
    await storage.jobs.update(jobs[3].id, next_attempt_at=now + 60)  # parked: not due
    assert [j.id for j in await storage.jobs.runnable(now=now)] == [j.id for j in jobs[:3]]
    assert [j.id for j in await storage.jobs.runnable(now=now, skip={jobs[1].id})] == [jobs[0].id, jobs[2].id]
    assert await storage.jobs.runnable(now=now, skip={j.id for j in jobs}) == []
