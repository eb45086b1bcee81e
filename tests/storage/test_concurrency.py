"""Running caps, claims and wake-ups with several storages open on one database (as several processes have)."""

import asyncio
import time

from storage import Caps, JobState, NewJob, open_storage


def job(owner, model="local:motion"):
    return NewJob("generate", owner, 10, 5, model, {"subject": "x"}, 5)


async def claim_all(storages, jobs, caps, now):
    async def worker(n, s):
        return [
            j.id
            for j in jobs
            if await s.jobs.claim(j.id, worker_id=f"w{n}", now=now, lease_seconds=60, caps=caps) is not None
        ]

    per_worker = await asyncio.gather(*(worker(n, s) for n, s in enumerate(storages)))
    return [job_id for ids in per_worker for job_id in ids]


async def test_the_per_user_running_cap_holds_across_storages(storages):
    now = time.time()
    mine = [await storages[0].jobs.create(job(1), charge=None, now=now) for _ in range(9)]
    other = await storages[0].jobs.create(job(2), charge=None, now=now)
    claimed = await claim_all(storages, mine, Caps(per_user=2), now)
    assert len(claimed) == 2 and len(set(claimed)) == 2
    assert await storages[1].jobs.claim(other.id, worker_id="w1", now=now, lease_seconds=60, caps=Caps(per_user=2))
    # a finished job frees its slot for the next claim, whoever makes it
    await storages[2].jobs.finish(claimed[0], JobState.DONE, now=now, ledger=None)
    rest = [j for j in mine if j.id not in claimed]
    assert len(await claim_all(storages, rest, Caps(per_user=2), now)) == 1


async def test_the_per_provider_cap_counts_every_user(storages):
    now = time.time()
    jobs = [await storages[0].jobs.create(job(user, "runway:gen4"), charge=None, now=now) for user in range(8)]
    local = await storages[0].jobs.create(job(99), charge=None, now=now)
    assert len(await claim_all(storages, jobs, Caps(per_user=2, per_provider=3), now)) == 3
    assert await storages[0].jobs.claim(local.id, worker_id="w0", now=now, lease_seconds=60, caps=Caps(per_provider=3))


async def test_an_expired_lease_no_longer_counts(storages):
    now = time.time()
    first, second = [await storages[0].jobs.create(job(1), charge=None, now=now) for _ in range(2)]
    one = Caps(per_user=1)
    assert await storages[0].jobs.claim(first.id, worker_id="dead", now=now, lease_seconds=60, caps=one)
    assert not await storages[1].jobs.claim(second.id, worker_id="b", now=now + 1, lease_seconds=60, caps=one)
    assert await storages[1].jobs.claim(second.id, worker_id="b", now=now + 61, lease_seconds=60, caps=one)


async def test_resumed_jobs_are_claimed_whatever_the_caps(storages):
    """A job past QUEUED has a provider task being paid for: it always runs (as the worker always did)."""
    now = time.time()
    busy = await storages[0].jobs.create(job(1), charge=None, now=now)
    await storages[0].jobs.claim(busy.id, worker_id="a", now=now, lease_seconds=60)
    resumed = await storages[0].jobs.create(job(1), charge=None, now=now)
    await storages[0].jobs.update(resumed.id, state=JobState.RUNNING, provider_task_id="t")
    assert await storages[1].jobs.claim(resumed.id, worker_id="b", now=now, lease_seconds=60, caps=Caps(per_user=1))


async def test_a_created_job_wakes_a_waiting_worker(storages, database_url):
    """PostgreSQL: LISTEN/NOTIFY reaches another storage (process); SQLite: the same storage's own event."""
    waiter = storages[0]
    creator = storages[1] if database_url.startswith("postgresql") else waiter
    await waiter.wait_for_work(0)  # forget wake-ups from the fixture's own work
    waiting = asyncio.create_task(waiter.wait_for_work(600))
    await asyncio.sleep(0)
    await creator.jobs.create(job(1), charge=None, now=time.time())
    await asyncio.wait_for(waiting, 120)  # returns on the notification, long before its own 600 s


async def test_notify_work_wakes_a_waiting_worker(storages, database_url):
    waiter = storages[0]
    other = storages[2] if database_url.startswith("postgresql") else waiter
    await waiter.wait_for_work(0)
    waiting = asyncio.create_task(waiter.wait_for_work(600))
    await asyncio.sleep(0)
    await other.notify_work()
    await asyncio.wait_for(waiting, 120)


async def test_a_row_being_claimed_elsewhere_is_skipped_not_waited_for(pg_url):
    """FOR UPDATE SKIP LOCKED: a claim never queues behind another transaction's lock on the job."""
    a, b = await open_storage(pg_url), await open_storage(pg_url)
    try:
        now = time.time()
        row = await a.jobs.create(job(1), charge=None, now=now)
        async with a.db.transaction(locks=[]) as conn:
            await conn.execute("SELECT id FROM jobs WHERE id = ? FOR UPDATE", (row.id,))
            skipped = await asyncio.wait_for(b.jobs.claim(row.id, worker_id="b", now=now, lease_seconds=60), 60)
        assert skipped is None
        assert await b.jobs.claim(row.id, worker_id="b", now=now, lease_seconds=60) is not None
    finally:
        await a.close()
        await b.close()


async def test_a_method_with_the_default_transaction_is_atomic_across_storages(storages):
    """What a new repository method gets by default: read-then-write never loses an update, on both backends."""
    await storages[0].quota.set_limits(1, 1, user_daily_seconds=0, now=0)

    async def increment(s):
        async with s.db.transaction() as conn:
            async with conn.execute("SELECT user_daily_seconds FROM quota_limits WHERE guild_id = 1") as cur:
                value = (await cur.fetchone())[0]
            await asyncio.sleep(0)  # let the others run: without the lock they would read the same value
            await conn.execute("UPDATE quota_limits SET user_daily_seconds = ? WHERE guild_id = 1", (value + 1,))

    await asyncio.gather(*(increment(s) for s in storages for _ in range(15)))
    row = (await storages[1].quota.limits(1, 1))[0]
    assert row.user_daily_seconds == 45
