"""``JobRepository.create_many``: several jobs and their reservations in one transaction (the takes of one
/variations request), on both backends, also raced by several storages (processes) on one database."""

import asyncio
import time

import pytest

from storage import Charge, Cost, JobInputs, JobState, NewJob, QuotaRefused, Spend

WINDOW = 24 * 3600.0


def take(owner: int = 1, guild: int | None = 10, n: int = 1) -> NewJob:
    return NewJob(
        "variation",
        owner,
        guild,
        5,
        "local:storyboard",
        {"subject": "x", "seed": n},
        0.0,
        inputs=JobInputs(variation=n, of=3),
    )


def charge(seconds: float, *, limit: float = 100.0, budget: float | None = None, queued: int | None = None) -> Charge:
    return Charge(
        seconds=seconds, window_start=time.time() - WINDOW, user_limit=limit, guild_budget=budget, max_queued=queued
    )


async def everything(storage) -> tuple[int, float]:
    jobs = await storage.jobs.search(limit=100)
    return len(jobs), (await storage.quota.usage(user_id=1, since=0)).used


async def test_all_or_nothing_with_a_ledger_row_each(storages):
    s = storages[0]
    now = time.time()
    jobs = await s.jobs.create_many([take(n=n) for n in (1, 2, 3)], [charge(4, limit=12)] * 3, now, link_to_first=True)
    assert [j.parent_job_id for j in jobs] == [None, jobs[0].id, jobs[0].id]
    assert [j.cost_seconds for j in jobs] == [4, 4, 4] and all(j.state is JobState.QUEUED for j in jobs)
    assert [await s.quota.ledger_state(j.id) for j in jobs] == ["reserved"] * 3
    assert await everything(s) == (3, 12)
    # one of them fails: refunded alone
    await s.jobs.finish(jobs[1].id, JobState.FAILED, now=now, ledger="refunded")
    assert [await s.quota.ledger_state(j.id) for j in jobs] == ["reserved", "refunded", "reserved"]
    assert (await s.quota.usage(user_id=1, since=0)).used == 8
    # 8 used of 12: two more 4 s takes do not fit together, although one would; nothing is stored
    with pytest.raises(QuotaRefused) as refused:
        await s.jobs.create_many([take(n=1), take(n=2)], [charge(4, limit=12)] * 2, now)
    assert refused.value.scope == "user"
    assert await everything(s) == (3, 8)


async def test_the_guild_budget_and_the_queue_cap_count_the_whole_batch(storages):
    s = storages[0]
    now = time.time()
    await s.jobs.create(take(owner=2), charge=charge(5, budget=12), now=now)
    with pytest.raises(QuotaRefused) as refused:  # 5 + 2 * 4 > 12
        await s.jobs.create_many([take(), take()], [charge(4, budget=12)] * 2, now)
    assert refused.value.scope == "guild"
    await s.jobs.create(take(), charge=charge(1, queued=3), now=now)
    with pytest.raises(QuotaRefused) as refused:  # 1 unfinished + 3 > 3
        await s.jobs.create_many([take(), take(), take()], [charge(1, queued=3)] * 3, now)
    assert refused.value.scope == "queue"
    jobs = await s.jobs.create_many([take(), take()], [charge(1, queued=3)] * 2, now)
    assert len(jobs) == 2 and len(await s.jobs.search(owner_id=1, limit=10)) == 3


async def test_a_free_take_among_charged_ones(storages):
    """A take served from the cache is created DELIVERING without a charge; the others are charged."""
    s = storages[0]
    cached = NewJob(
        "variation",
        1,
        10,
        5,
        "local:storyboard",
        {"subject": "x"},
        0.0,
        state=JobState.DELIVERING,
        result_path="/tmp/x.mp4",
    )
    jobs = await s.jobs.create_many([take(), cached], [charge(3, limit=3), None], time.time())
    assert jobs[1].state is JobState.DELIVERING and jobs[1].cost_seconds == 0
    assert await s.quota.ledger_state(jobs[1].id) is None
    assert await everything(s) == (2, 3)


async def test_concurrent_requests_never_overspend(storages):
    """Nine requests of 3 x 2 s from three storages against a 20 s limit: exactly three fit (18 s), each
    refused one leaves no job and no ledger row."""
    now = time.time()

    async def request(s):
        try:
            return await s.jobs.create_many([take(n=n) for n in (1, 2, 3)], [charge(2, limit=20)] * 3, now)
        except QuotaRefused:
            return None

    outcomes = await asyncio.gather(*(request(storages[i % 3]) for i in range(9)))
    made = [o for o in outcomes if o is not None]
    assert len(made) == 3
    jobs, used = await everything(storages[1])
    assert (jobs, used) == (9, 18)
    for batch in made:
        assert [await storages[2].quota.ledger_state(j.id) for j in batch] == ["reserved"] * 3


async def test_the_spend_caps_count_the_whole_batch_and_every_take_gets_its_money_row(storages):
    """Three takes of $0.40 against a $1 monthly server cap: refused as a whole (one would fit), nothing kept;
    two fit, each with its own money reservation."""
    s = storages[0]
    now = time.time()
    spend = Spend("runway:gen4.5", Cost(40, "credits", 0.40), now - 86_400, guild_cap_usd=1.0)
    priced = Charge(seconds=2, window_start=now - WINDOW, user_limit=100, spend=spend)
    with pytest.raises(QuotaRefused) as refused:
        await s.jobs.create_many([take(n=n) for n in (1, 2, 3)], [priced] * 3, now)
    assert refused.value.scope == "spend_guild"
    assert await everything(s) == (0, 0) and await s.costs.spent_since(10, now - 86_400) == 0
    jobs = await s.jobs.create_many([take(n=1), take(n=2)], [priced] * 2, now)
    assert await s.costs.spent_since(10, now - 86_400) == pytest.approx(0.80)
    assert all([await s.costs.job_cost(j.id) for j in jobs])
