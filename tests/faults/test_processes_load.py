"""Load over processes: two gateway processes with two shards each plus one REST worker, 300 ``/video`` from 60
users in 8 servers (two per shard), one gateway SIGKILLed mid-load and restarted.

Every job ends delivered once or refused (one quota refusal per user), exactly one provider task per job, no
user over the limit (``tests/support/load.py`` checks), the logins keep Discord's identify spacing, and the
result buttons are answered by whichever gateway holds the server's shard.

Runs against the real PostgreSQL server: the three processes share ``VIDEOBOT_DATABASE_URL`` (the test's own
schema, ``pg_url``), and the test reads the job table through :class:`tests.support.pg_jobdb.PgJobDb`.  Without a
server it skips, unless ``VIDEOBOT_TEST_DATABASE_URL`` is set (CI), where it fails.  The same scenario also
runs on SQLite (one data dir shared by the three processes): both together take about 90 s.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulators.discord import DiscordEmulator, User
from emulators.discord.models import Guild
from emulators.discord.shards import shard_of
from emulators.providers import EmulatorServer, Fault, Script
from tests.support.harness import BotProcess, JobDb, bot_env, results_for
from tests.support.load import LoadPlan, run_load
from tests.support.pg_jobdb import PgJobDb

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
COUNT = 4
TAG = re.compile(r"load-\d+-\d+")


@pytest.fixture(params=["postgresql", "sqlite"])
def shared_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[dict[str, str], JobDb]]:
    """The processes' extra environment and the test's reader of their database, per backend."""
    if request.param == "sqlite":  # the SQLite file in the shared data dir
        yield {}, JobDb(tmp_path / "data" / "videobot.sqlite3")
        return
    url = request.getfixturevalue("pg_url")  # fails instead of skipping when VIDEOBOT_TEST_DATABASE_URL is set
    db = PgJobDb(url)
    try:
        yield {"VIDEOBOT_DATABASE_URL": url}, db
    finally:
        db.close()


def sharded_world(emu: DiscordEmulator, providers: EmulatorServer, plan: LoadPlan) -> tuple[list[Guild], list]:
    """Eight servers, two on each of the four shards; users spread over them; busy providers."""
    per_shard: dict[int, list[Guild]] = {s: [] for s in range(COUNT)}
    for n in range(10_000):
        if all(len(g) == 2 for g in per_shard.values()):
            break
        guild = emu.add_guild(f"Load guild {n}")
        if len(per_shard[shard_of(guild.id, COUNT)]) < 2:
            per_shard[shard_of(guild.id, COUNT)].append(guild)
    guilds = [g for shard in sorted(per_shard) for g in per_shard[shard]]
    assert len(guilds) == 8
    users: list[tuple[User, int]] = []
    for i in range(plan.users):
        guild = guilds[i % len(guilds)]
        user = emu.add_user(f"loaduser{i}")
        emu.add_member(guild, user)
        users.append((user, next(iter(guild.channels.values())).id))
    rng = random.Random(plan.seed)
    for api in providers.apis.values():
        api.default = Script(queued=1, running=3)
        api.fail_creates(*(Fault(kind="hang", seconds=rng.uniform(0.1, 0.4)) for _ in range(plan.requests)))
        api.fail_polls(*(Fault(kind="hang", seconds=rng.uniform(0.02, 0.15)) for _ in range(plan.requests * 8)))
    return guilds, users


async def test_two_gateways_and_a_worker_take_300_commands_and_a_kill(
    live_discord: DiscordEmulator,
    live_providers: EmulatorServer,
    tmp_path: Path,
    shared_db: tuple[dict[str, str], JobDb],
) -> None:
    emu = live_discord
    database_env, db = shared_db
    emu.configure_sharding(recommended_shards=COUNT, enforce_identify_limit=True)
    plan = LoadPlan(users=60, seed=12)
    guilds, users = sharded_world(emu, live_providers, plan)
    common = {**plan.bot_env(), **database_env, "VIDEOBOT_GUILD_IDS": ",".join(str(g.id) for g in guilds)}
    data = tmp_path / "data"
    procs = [
        BotProcess(bot_env(data, emu, live_providers, **common, VIDEOBOT_WORKER_ID=name), tmp_path, name, args)
        for name, args in (
            ("gw-a", ["run", "--shards", "0,1", "--shard-count", str(COUNT)]),
            ("gw-b", ["run", "--shards", "2,3", "--shard-count", str(COUNT)]),
            ("worker", ["worker"]),
        )
    ]
    try:
        await procs[0].start(emu, timeout=90)
        await procs[1].start(emu, timeout=90)
        await procs[2].start(emu, timeout=90, gateway=False)
        live = lambda: sorted(s.shard for s in emu.gateway.sessions.values() if s.conn and not s.invalidated)  # noqa: E731
        await emu.wait_until(lambda: len(live()) == COUNT, 120, "four shards to connect")
        report = await run_load(emu, db, users, plan, crash=procs[1], kill_delay=3.0, timeout=420.0)
        print(report.summary())
        assert not report.problems, "\n".join(report.problems[:20])
        assert len(report.jobs) + report.refused + report.late == plan.requests and report.refused <= plan.users
        await emu.wait_until(lambda: len(live()) == COUNT, 120, "the restarted gateway's shards")
        assert not emu.gateway.shards.refused() and emu.gateway.shards.min_spacing(0) >= 5.0
        tasks = Counter(
            m.group(0)
            for api in live_providers.apis.values()
            for t in api.tasks.values()
            if (m := TAG.search(json.dumps(t.body)))
        )
        assert max(tasks.values()) == 1 and len(tasks) >= len(report.jobs) - report.lost_creates
        for guild in (guilds[0], guilds[-1]):  # shard 0 (gateway A) and shard 3 (gateway B, restarted)
            done = [r for r in report.jobs if r["state"] == "done" and int(r["guild_id"] or 0) == guild.id]
            [message] = results_for(emu, done[0]["id"])
            since = len(emu.gateway.events)
            click = await emu.click_button(int(done[0]["owner_id"]), message, label="Delete")
            assert await click.wait_ack(timeout=30) == 5
            await emu.wait_until(lambda m=message: m.deleted, 30, "the Delete button to work")
            got = {emu.gateway.sessions[s].shard for s, _, e in emu.gateway.events[since:] if e == "INTERACTION_CREATE"}
            assert got == {(shard_of(guild.id, COUNT), COUNT)}
    finally:
        for proc in procs:
            await proc.stop()
