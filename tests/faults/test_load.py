"""Load: 250 ``/video`` commands from 50 users (200 jobs in flight, 50 refused by quota) through the Discord
emulator against the real bot process, with Runway, Replicate and Luma answering like busy services.

Every accepted job ends DONE with exactly one result, no user's committed quota exceeds the limit, every
command gets its refusal or its job, and the bot stays responsive: every interaction is acknowledged within
Discord's 3 s, which the emulator enforces (p50/p95/max printed with ``-s``; a bound below that would measure
the CI machine, not the bot).  ``bench/bench_load.py`` runs the same scenario for the numbers in
BENCHMARKS.md ("Load").
"""

from __future__ import annotations

import pytest

from emulators.discord import DiscordEmulator
from emulators.providers import EmulatorServer
from tests.support.harness import JobDb, MakeBot
from tests.support.load import LoadPlan, build_world, run_load

# The drain's bound grows with the jobs (LoadPlan.drain_bound); starting the bot, sending and checking on top.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(LoadPlan().drain_bound() + 300)]


async def test_200_jobs_from_50_users_all_finish_within_quota_and_a_late_ack_loses_nothing(
    live_discord: DiscordEmulator, live_providers: EmulatorServer, bot_process: MakeBot
) -> None:
    plan = LoadPlan()
    users = build_world(live_discord, live_providers, plan)
    bot = await bot_process("load", **plan.bot_env())
    report = await run_load(live_discord, JobDb(bot.workdir / "data" / "videobot.sqlite3"), users, plan)
    print(report.summary())
    assert not report.problems, "\n".join(report.problems[:20])
    assert len(report.jobs) + report.refused + report.late == plan.requests and report.refused <= 50
    assert set(report.by_provider) == {"runway", "replicate", "luma"}
    assert len(report.acks) + report.late == plan.requests, report.summary()


async def test_a_kill_in_the_middle_of_the_load_loses_no_job(
    live_discord: DiscordEmulator, live_providers: EmulatorServer, bot_process: MakeBot
) -> None:
    plan = LoadPlan(users=30, seed=11)
    users = build_world(live_discord, live_providers, plan)
    bot = await bot_process("load-kill", **plan.bot_env())
    db = JobDb(bot.workdir / "data" / "videobot.sqlite3")
    report = await run_load(live_discord, db, users, plan, crash=bot, kill_delay=3.0)
    print(report.summary())
    assert not report.problems, "\n".join(report.problems[:20])
    assert report.in_flight() >= 20 and len(report.jobs) + report.refused + report.late == plan.requests
