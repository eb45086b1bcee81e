"""Quota arithmetic, limits, refusals and races, on both backends (real SQLite file, real PostgreSQL schema)."""

import asyncio
import subprocess
import sys
import textwrap
import time

import pytest

from bot.errors import QuotaExceeded
from bot.services.money.quota import WINDOW, QuotaService, when_enough_frees
from bot.settings import Settings
from storage import JobState, NewJob, QuotaRefused, SqliteStorage, Usage


class Clock:
    def __init__(self, now=1_800_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def quota(storage, clock, tmp_path):
    settings = Settings(data_dir=tmp_path, daily_seconds=60, max_queued_per_user=100)
    return QuotaService(storage, settings, clock)


async def reserve(storage, quota, user, seconds, guild=None):
    charge = await quota.charge(guild, user, seconds)
    job = NewJob(
        kind="generate",
        owner_id=user,
        guild_id=guild,
        channel_id=None,
        model="local:motion",
        spec={},
        cost_seconds=seconds,
    )
    try:
        return await storage.jobs.create(job, charge=charge, now=quota.clock())
    except QuotaRefused as refused:
        raise quota.refusal(refused, seconds) from None


async def test_usage_is_a_rolling_24h_window(storage, quota, clock):
    await reserve(storage, quota, 1, 20)
    clock.now += 3600
    await reserve(storage, quota, 1, 30)
    assert (await quota.status(1)).remaining == 10
    clock.now += WINDOW - 3600 + 1  # the first charge left the window
    status = await quota.status(1)
    assert status.used == 30 and status.remaining == 30


async def test_refusal_says_what_is_left_and_when_it_frees(storage, quota, clock):
    await reserve(storage, quota, 1, 40)
    clock.now += 600
    await reserve(storage, quota, 1, 15)
    with pytest.raises(QuotaExceeded) as refused:
        await reserve(storage, quota, 1, 10)
    err = refused.value
    assert err.remaining == 5
    # 10 needed, 5 left: the first charge (40 s) must leave the window, 24 h after it was made
    assert err.resets_at == pytest.approx(clock.now - 600 + WINDOW)
    assert "5 s of video left" in err.user_message and "needs 10 s" in err.user_message
    assert "23 h 50 min" in err.user_message


async def test_refund_gives_the_seconds_back(storage, quota):
    job = await reserve(storage, quota, 1, 60)
    with pytest.raises(QuotaExceeded):
        await reserve(storage, quota, 1, 1)
    await storage.jobs.finish(job.id, JobState.FAILED, now=quota.clock(), ledger="refunded")
    assert (await quota.status(1)).remaining == 60
    await reserve(storage, quota, 1, 60)


async def test_overrides_from_most_specific_to_default(storage, quota):
    assert await quota.limits_for(10, 1) == (60, None)
    await storage.quota.set_limits(10, None, user_daily_seconds=30, guild_daily_budget=100, now=0)
    assert await quota.limits_for(10, 1) == (30, 100)
    assert await quota.limits_for(11, 1) == (60, None)  # another guild keeps the default
    await storage.quota.set_limits(None, 1, user_daily_seconds=90, now=0)
    assert await quota.limits_for(11, 1) == (90, None)
    await storage.quota.set_limits(10, 1, user_daily_seconds=5, now=0)
    assert await quota.limits_for(10, 1) == (5, 100)
    await storage.quota.set_limits(10, 1, user_daily_seconds=None, now=0)  # cleared → falls through
    assert await quota.limits_for(10, 1) == (90, 100)


async def test_guild_budget_caps_all_members_together(storage, quota):
    await storage.quota.set_limits(10, None, guild_daily_budget=25, now=0)
    await reserve(storage, quota, 1, 10, guild=10)
    await reserve(storage, quota, 2, 10, guild=10)
    with pytest.raises(QuotaExceeded, match="server's daily video budget"):
        await reserve(storage, quota, 3, 10, guild=10)
    await reserve(storage, quota, 3, 10, guild=11)  # other guilds are unaffected


async def test_fifty_concurrent_reservations_never_overspend(storage, quota):
    results = await asyncio.gather(*(reserve(storage, quota, 1, 7) for _ in range(50)), return_exceptions=True)
    granted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, QuotaExceeded)]
    assert len(granted) == 8 and len(refused) == 42  # 8 x 7 = 56 <= 60 < 63
    assert (await quota.status(1)).used == 56


def test_two_processes_racing_on_one_file_never_overspend(tmp_path):
    """BEGIN IMMEDIATE makes the check-and-reserve atomic across processes too."""
    db = tmp_path / "shared.db"
    script = textwrap.dedent(f"""
        import asyncio, time
        from storage import Charge, NewJob, QuotaRefused, SqliteStorage
        async def main():
            s = await SqliteStorage.open(__import__("pathlib").Path({str(db)!r}))
            ok = 0
            async def one():
                nonlocal ok
                job = NewJob("generate", 1, None, None, "local:motion", {{}}, 3)
                try:
                    await s.jobs.create(job, charge=Charge(3, time.time() - 86400, 60), now=time.time())
                    ok += 1
                except QuotaRefused:
                    pass
            await asyncio.gather(*(one() for _ in range(25)))
            await s.close()
            print(ok)
        asyncio.run(main())
    """)
    asyncio.run(_init(db))
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    granted = [int(p.communicate(timeout=60)[0].strip()) for p in procs]
    assert sum(granted) == 20  # 20 x 3 = 60: exactly the limit, never more


async def _init(db):
    s = await SqliteStorage.open(db)
    await s.close()


def test_when_enough_frees_walks_the_oldest_charges():
    usage = Usage(used=50, oldest_at=100, entries=((100, 20), (200, 20), (300, 10)))
    assert when_enough_frees(usage, 60, 30) == 100 + WINDOW  # 20 must go: the first entry
    assert when_enough_frees(usage, 60, 40) == 200 + WINDOW  # 30 must go: two entries
    assert when_enough_frees(usage, 60, 61) is None  # more than the whole limit


async def test_cache_round_trip(storage):
    now = time.time()
    job = await storage.jobs.create(NewJob("generate", 1, None, None, "local:motion", {}, 0), charge=None, now=now)
    assert await storage.cache.get("fp") is None
    await storage.cache.put("fp", job.id, "/x.mp4", now=now)
    hit = await storage.cache.get("fp")
    assert hit is not None and hit.job_id == job.id and hit.result_path == "/x.mp4"
    await storage.cache.drop("fp")
    assert await storage.cache.get("fp") is None


async def test_the_user_install_pool_has_its_own_limit_and_ignores_server_rules(storage, clock, tmp_path):
    settings = Settings(data_dir=tmp_path, daily_seconds=60, user_install_daily_seconds=30, max_queued_per_user=100)
    quota = QuotaService(storage, settings, clock)
    await quota.set_user_limit(None, 1, 5)  # a server-wide override for this member: not the user-install pool's
    outside = await quota.charge(None, 1, 10, user_install=True)
    assert outside.user_limit == 30 and outside.guild_budget is None and outside.user_install
    job = NewJob("video", 1, None, None, "local:motion", {}, 10)
    await storage.jobs.create(job, charge=outside, now=clock())
    await storage.jobs.create(job, charge=await quota.charge(None, 1, 20, user_install=True), now=clock())
    with pytest.raises(QuotaRefused) as refused:
        await storage.jobs.create(job, charge=await quota.charge(None, 1, 1, user_install=True), now=clock())
    assert "limit 30 s per 24 h" in quota.refusal(refused.value, 1).user_message
    assert (await quota.status(1, user_install=True)).remaining == 0
    assert (await quota.status(1)).used == 0  # the server pool is untouched
