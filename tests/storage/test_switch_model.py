"""The fallback's storage on both backends: ``jobs.switch_model`` (the move and the re-priced reservation in one
transaction) and the per-provider circuit breakers."""

import asyncio
import time

import pytest

from storage import Charge, JobInputs, JobState, NewJob, StaleJob


def runway_job(owner=1, seconds=5.0):
    return NewJob(
        kind="generate",
        owner_id=owner,
        guild_id=10,
        channel_id=5,
        model="runway:gen4.5",
        spec={"subject": "a fox", "duration": 5, "aspect": "16:9"},
        cost_seconds=seconds,
        fingerprint=f"fp-{owner}-{seconds}",
    )


def charge(seconds=5.0, limit=60.0):
    return Charge(seconds=seconds, window_start=0.0, user_limit=limit)


async def ledger(storage, job_id):
    return await storage.db.fetchall("SELECT seconds, state FROM quota_ledger WHERE job_id = ?", (job_id,))


async def test_switch_moves_the_job_and_reprices_its_one_reservation(storage):
    now = time.time()
    job = await storage.jobs.create(runway_job(), charge=charge(), now=now)
    job = await storage.jobs.update(job.id, state=JobState.SUBMITTING, started_at=now, attempts=2)
    moved = await storage.jobs.switch_model(
        job.id,
        "luma:ray-2",
        seconds=4.0,
        reason="Runway is unavailable",
        expect=[JobState.SUBMITTING],
        now=now,
        spec={**job.spec, "duration": 4, "model": "luma:ray-2"},
        inputs=JobInputs(fallback_tried=("runway:gen4.5",)),
    )
    assert (moved.model, moved.fallback_from, moved.fallback_reason) == (
        "luma:ray-2",
        "runway:gen4.5",
        "Runway is unavailable",
    )
    assert moved.state is JobState.QUEUED and moved.provider_task_id is None and moved.attempts == 0
    assert moved.started_at is None and moved.fingerprint is None  # a fresh deadline; not cached as the original
    assert moved.spec["duration"] == 4 and moved.inputs == JobInputs(fallback_tried=("runway:gen4.5",))
    assert moved.cost_seconds == 4.0
    rows = await ledger(storage, job.id)
    assert [(float(r[0]), r[1]) for r in rows] == [(4.0, "reserved")]  # re-priced, still one row

    # a second move keeps the first model asked for
    again = await storage.jobs.switch_model(
        job.id, "fal:kling", seconds=4.0, reason="Luma is unavailable", expect=[JobState.QUEUED], now=now
    )
    assert (again.model, again.fallback_from) == ("fal:kling", "runway:gen4.5")
    assert again.spec["duration"] == 4  # spec/inputs are kept when not given

    finished = await storage.jobs.finish(job.id, JobState.DONE, now=now, ledger="committed")
    assert finished.state is JobState.DONE
    assert [(float(r[0]), r[1]) for r in await ledger(storage, job.id)] == [(4.0, "committed")]


async def test_switch_refuses_a_job_that_moved_on(storage):
    now = time.time()
    job = await storage.jobs.create(runway_job(), charge=charge(), now=now)
    await storage.jobs.update(job.id, state=JobState.RUNNING, provider_task_id="t-1")
    with pytest.raises(StaleJob):
        await storage.jobs.switch_model(job.id, "luma:ray-2", seconds=5.0, reason="x", expect=[JobState.SUBMITTING])
    fresh = await storage.jobs.get(job.id)
    assert fresh.model == "runway:gen4.5" and fresh.provider_task_id == "t-1" and fresh.fallback_from is None
    with pytest.raises(StaleJob):
        await storage.jobs.switch_model(9999, "luma:ray-2", seconds=5.0, reason="x", expect=[JobState.QUEUED])


async def test_concurrent_switches_move_a_job_once(storage):
    """Two processes that both saw the create fail: one switch wins, the other is stale (no double re-price)."""
    now = time.time()
    job = await storage.jobs.create(runway_job(), charge=charge(), now=now)
    await storage.jobs.update(job.id, state=JobState.SUBMITTING)
    results = await asyncio.gather(
        *(
            storage.jobs.switch_model(job.id, model, seconds=3.0, reason="r", expect=[JobState.SUBMITTING])
            for model in ("luma:ray-2", "fal:kling")
        ),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["Job", "StaleJob"]
    assert len(await ledger(storage, job.id)) == 1


async def test_breaker_opens_at_the_threshold_and_closes_on_success(storage):
    b = storage.breakers
    t0 = 1000.0
    for i in range(2):
        state = await b.failed("runway", now=t0 + i, threshold=3, cooldown=60, reason="HTTP 503")
        assert state.failures == i + 1 and not state.is_open(t0 + i)
    assert await b.open_providers(now=t0 + 2) == set()
    opened = await b.failed("runway", now=t0 + 2, threshold=3, cooldown=60, reason="HTTP 503: down")
    assert opened.is_open(t0 + 2) and opened.open_until == t0 + 62 and opened.opened_at == t0 + 2
    assert await b.open_providers(now=t0 + 10) == {"runway"}
    assert await b.open_providers(now=t0 + 63) == set()  # the cool-down passed: new jobs try it again
    more = await b.failed("runway", now=t0 + 20, threshold=3, cooldown=60, reason="again")
    assert more.open_until == t0 + 62  # failing while open does not extend it
    await b.failed("luma", now=t0, threshold=3, cooldown=60, reason="x")
    assert [x.provider for x in await b.all()] == ["luma", "runway"]
    await b.succeeded("runway", now=t0 + 30)
    healed = {x.provider: x for x in await b.all()}["runway"]
    assert healed.failures == 0 and healed.open_until is None and not healed.is_open(t0 + 30)
    assert await b.open_providers(now=t0 + 30) == set()
