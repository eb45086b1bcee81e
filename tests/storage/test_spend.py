"""Money reservations and the monthly spend caps, on both backends: checked in the quota's transaction, freed
by refunds, settled at the provider's figure; concurrent submits (several storages on one database, as several
processes have) never pass a cap."""

import asyncio

import pytest

from storage import Charge, Cost, JobState, NewJob, QuotaRefused, Spend

NOW = 1_800_000_000.0
MONTH = NOW - 86_400  # "the month started yesterday"


def new_job(owner=1, guild=10, model="runway:gen4.5"):
    return NewJob("generate", owner, guild, 5, model, {"subject": "x", "duration": 5}, 5, owner_name=f"user{owner}")


def charge(usd, *, guild_cap=None, bot_cap=None, model="runway:gen4.5", units=None):
    cost = Cost(units if units is not None else usd * 100, "credits", usd)
    spend = Spend(model, cost, MONTH, guild_cap_usd=guild_cap, bot_cap_usd=bot_cap)
    return Charge(seconds=5, window_start=NOW - 86_400, user_limit=10_000, spend=spend)


async def job_count(storage):
    return len(await storage.jobs.search(limit=1000))


async def test_a_server_cap_refuses_what_would_pass_it_and_charges_nothing(storage):
    for _ in range(3):
        await storage.jobs.create(new_job(), charge=charge(0.30, guild_cap=1.0), now=NOW)
    with pytest.raises(QuotaRefused) as refused:
        await storage.jobs.create(new_job(), charge=charge(0.30, guild_cap=1.0), now=NOW)
    assert refused.value.scope == "spend_guild" and refused.value.limit == 1.0
    assert refused.value.usage.used == pytest.approx(0.9)
    assert await job_count(storage) == 3  # no job, no quota reservation, no money reservation
    assert (await storage.quota.usage(user_id=1, since=NOW - 86_400)).used == 15
    assert await storage.costs.spent_since(10, MONTH) == pytest.approx(0.9)
    # what fits still fits; another server is not affected; last month's spend does not count
    await storage.jobs.create(new_job(), charge=charge(0.10, guild_cap=1.0), now=NOW)
    await storage.jobs.create(new_job(guild=11), charge=charge(0.90, guild_cap=1.0), now=NOW)
    assert await storage.costs.spent_since(10, NOW + 1) == 0.0


async def test_refunds_free_reserved_dollars_and_settled_jobs_count_what_was_billed(storage):
    first = await storage.jobs.create(new_job(), charge=charge(0.50, guild_cap=1.0), now=NOW)
    second = await storage.jobs.create(new_job(), charge=charge(0.50, guild_cap=1.0), now=NOW)
    with pytest.raises(QuotaRefused):
        await storage.jobs.create(new_job(), charge=charge(0.50, guild_cap=1.0), now=NOW)
    # a failure the provider did not bill: its reservation is freed
    await storage.jobs.finish(first.id, JobState.FAILED, now=NOW, ledger="refunded")
    assert await storage.costs.spent_since(10, MONTH) == pytest.approx(0.5)
    third = await storage.jobs.create(new_job(), charge=charge(0.50, guild_cap=1.0), now=NOW)
    # a failure the provider billed (Runway keeps a moderated input's credits): quota refunded, dollars spent
    await storage.costs.record_actual(second.id, Cost(20, "credits", 0.20))
    await storage.jobs.finish(second.id, JobState.FAILED, now=NOW, ledger="refunded")
    # a success settles at the provider's figure, not the estimate
    await storage.costs.record_actual(third.id, Cost(70, "credits", 0.70))
    await storage.jobs.finish(third.id, JobState.DONE, now=NOW, ledger="committed")
    assert await storage.costs.spent_since(10, MONTH) == pytest.approx(0.9)
    row = await storage.costs.job_cost(second.id)
    assert row is not None and row["state"] == "settled" and row["spent_usd"] == pytest.approx(0.2)
    assert await storage.quota.ledger_state(second.id) == "refunded"
    with pytest.raises(QuotaRefused):
        await storage.jobs.create(new_job(), charge=charge(0.20, guild_cap=1.0), now=NOW)


async def test_the_bot_wide_cap_counts_every_server_and_free_jobs_always_pass(storage):
    await storage.jobs.create(new_job(guild=10), charge=charge(0.60, bot_cap=1.0), now=NOW)
    await storage.jobs.create(new_job(guild=None), charge=charge(0.30, bot_cap=1.0), now=NOW)
    with pytest.raises(QuotaRefused) as refused:
        await storage.jobs.create(new_job(guild=12), charge=charge(0.20, bot_cap=1.0), now=NOW)
    assert refused.value.scope == "spend_bot" and refused.value.usage.used == pytest.approx(0.9)
    free = charge(0.0, bot_cap=1.0, model="local:motion", units=0)
    await storage.jobs.create(new_job(guild=12, model="local:motion"), charge=free, now=NOW)


async def test_reprice_moves_the_reservation_to_the_model_that_ran(storage):
    job = await storage.jobs.create(new_job(), charge=charge(0.60, guild_cap=1.0), now=NOW)
    assert await storage.costs.reprice(job.id, "luma:ray-2", Cost(5, "output s", 0.71))
    row = await storage.costs.job_cost(job.id)
    assert row is not None and (row["model"], row["unit"], row["reserved_usd"]) == ("luma:ray-2", "output s", 0.71)
    with pytest.raises(QuotaRefused):
        await storage.jobs.create(new_job(), charge=charge(0.30, guild_cap=1.0), now=NOW)
    await storage.jobs.finish(job.id, JobState.DONE, now=NOW, ledger="committed")
    assert not await storage.costs.reprice(job.id, "runway:gen4.5", Cost(1, "credits", 0.01))  # settled: kept
    assert await storage.costs.spent_since(10, MONTH) == pytest.approx(0.71)


async def test_a_task_billed_before_a_fallback_still_counts(storage):
    """A provider-side failure that was billed (Replicate's GPU time), then the job moves to another model."""
    job = await storage.jobs.create(
        new_job(model="replicate:zeroscope"), now=NOW, charge=charge(0.05, guild_cap=1.0, model="replicate:zeroscope")
    )
    await storage.costs.record_actual(job.id, Cost(20, "GPU s", 0.023))  # the first task failed, billed
    assert await storage.costs.reprice(job.id, "runway:gen4.5", Cost(60, "credits", 0.60))  # the fallback's task
    assert await storage.costs.spent_since(10, MONTH) == pytest.approx(0.623)  # both count while it runs
    await storage.costs.record_actual(job.id, Cost(60, "credits", 0.60))
    await storage.jobs.finish(job.id, JobState.DONE, now=NOW, ledger="committed")
    row = await storage.costs.job_cost(job.id)
    assert row is not None and (row["model"], row["spent_units"]) == ("runway:gen4.5", 60)
    assert row["spent_usd"] == pytest.approx(0.623) and await storage.costs.spent_since(10, MONTH) == pytest.approx(
        0.623
    )
    assert (await storage.costs.report(10, MONTH)).usd == pytest.approx(0.623)


async def test_spend_caps_are_set_and_cleared(storage):
    assert await storage.costs.spend_cap(10) is None
    await storage.costs.set_spend_cap(10, 25.0, now=NOW)
    await storage.costs.set_spend_cap(10, 30.0, now=NOW)
    assert await storage.costs.spend_cap(10) == 30.0 and await storage.costs.spend_cap(11) is None
    await storage.costs.set_spend_cap(10, None, now=NOW)
    assert await storage.costs.spend_cap(10) is None


async def test_the_report_adds_up_by_model_member_failures_and_cache_hits(storage):
    a = await storage.jobs.create(new_job(owner=1), charge=charge(0.60, units=60), now=NOW)
    b = await storage.jobs.create(new_job(owner=2), charge=charge(0.60, units=60), now=NOW)
    c = await storage.jobs.create(
        new_job(owner=2, model="replicate:zeroscope"), now=NOW, charge=charge(0.03, model="replicate:zeroscope")
    )
    await storage.costs.record_actual(a.id, Cost(60, "credits", 0.60))
    await storage.jobs.finish(a.id, JobState.DONE, now=NOW, ledger="committed")
    await storage.costs.record_actual(b.id, Cost(60, "credits", 0.60))  # billed although it failed
    await storage.jobs.finish(b.id, JobState.FAILED, now=NOW, ledger="refunded")
    await storage.costs.record_actual(c.id, Cost(12.5, "GPU s", 0.014375))
    await storage.jobs.finish(c.id, JobState.DONE, now=NOW, ledger="committed")
    unfinished = await storage.jobs.create(new_job(owner=3), charge=charge(0.25, units=25), now=NOW)
    hit = await storage.jobs.create(new_job(owner=3), charge=None, now=NOW)
    await storage.costs.record_cached(hit.id, new_job(owner=3), Cost(60, "credits", 0.60), now=NOW)
    other = await storage.jobs.create(new_job(owner=4, guild=99), charge=charge(5.0), now=NOW)

    report = await storage.costs.report(10, NOW - 60)
    assert report.jobs == 4 and report.unfinished == 1
    assert report.usd == pytest.approx(0.60 + 0.60 + 0.014375 + 0.25) and report.reserved_usd == pytest.approx(0.25)
    assert (report.failures_refunded, report.failures_usd) == (1, pytest.approx(0.60))
    assert (report.cache_hits, report.cache_saved_usd) == (1, pytest.approx(0.60))
    models = {(m.key, m.unit): (m.jobs, m.units, m.usd) for m in report.by_model}
    assert models == {
        ("runway:gen4.5", "credits"): (3, 145.0, pytest.approx(1.45)),
        ("replicate:zeroscope", "GPU s"): (1, 12.5, pytest.approx(0.014375)),
    }
    members = [(m.key, m.label, m.jobs, round(m.usd, 6)) for m in report.by_member]
    assert members == [("2", "user2", 2, 0.614375), ("1", "user1", 1, 0.6), ("3", "user3", 1, 0.25)]
    everyone = await storage.costs.report(None, NOW - 60)
    assert everyone.jobs == 5 and everyone.usd == pytest.approx(report.usd + 5.0)
    assert (await storage.costs.report(10, NOW + 60)).jobs == 0
    assert unfinished.id and other.id


@pytest.mark.timeout(120)
@pytest.mark.parametrize("scope", ["spend_guild", "spend_bot"])
async def test_concurrent_submits_never_pass_a_cap(storages, scope):
    """45 submits of $0.10 at once from three storages against a $2.00 cap: exactly 20 get through."""

    async def submit(s, n):
        guild = 10 if scope == "spend_guild" else 10 + n % 5  # the bot-wide cap: five servers share it
        caps = {"guild_cap": 2.0} if scope == "spend_guild" else {"bot_cap": 2.0}
        try:
            await s.jobs.create(new_job(owner=n % 7, guild=guild), charge=charge(0.10, **caps), now=NOW)
            return "ok"
        except QuotaRefused as refused:
            return refused.scope

    outcomes = await asyncio.gather(*(submit(s, n) for n in range(15) for s in storages))
    assert outcomes.count("ok") == 20 and set(outcomes) == {"ok", scope}
    spent = await storages[0].costs.spent_since(10 if scope == "spend_guild" else None, MONTH)
    assert spent == pytest.approx(2.0) and len(await storages[1].jobs.search(limit=100)) == 20
