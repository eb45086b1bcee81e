"""Real OS processes, each with its own connection pool, against the real PostgreSQL server."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from storage import JobState, NewJob, open_storage

pytestmark = pytest.mark.slow  # several Python processes, one of them killed

SUBMITTER = textwrap.dedent("""
    import asyncio, json, sys, time
    from storage import Charge, NewJob, QuotaRefused, open_storage
    async def main(url, count, window_start):
        s = await open_storage(url)
        print("ready", flush=True)
        sys.stdin.readline()  # every process is connected: start together
        async def one(n):
            user = 1 + n % 5  # five users of one server share its budget; user 1 also has a limit of their own
            job = NewJob("generate", user, 10, None, "local:motion", {}, 3)
            charge = Charge(3, window_start, user_limit=21 if user == 1 else 600, guild_budget=90)
            try:
                await s.jobs.create(job, charge=charge, now=time.time())
                return user
            except QuotaRefused as refused:
                return refused.scope
        print(json.dumps(await asyncio.gather(*(one(n) for n in range(count)))), flush=True)
        await s.close()
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))
""")

HOLDER = textwrap.dedent("""
    import asyncio, sys, time
    from storage import open_storage
    async def main(url, job_id):
        s = await open_storage(url)
        assert await s.hold_worker_id("main")
        claimed = await s.jobs.claim(job_id, worker_id="main", now=time.time(), lease_seconds=60)
        print("claimed" if claimed else "refused", flush=True)
        await asyncio.sleep(3600)  # until SIGKILLed
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
""")


def spawn(script, *args):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_fifty_submits_from_three_processes_never_overspend(pg_url):
    window_start = time.time() - 86_400
    procs = [spawn(SUBMITTER, pg_url, count, window_start) for count in (17, 17, 16)]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        outcomes = [o for p in procs for o in json.loads(p.communicate(timeout=90)[0].strip())]
    finally:
        for p in procs:
            p.kill()
    granted = [o for o in outcomes if isinstance(o, int)]
    # the server's budget (90 s = 30 jobs of 3 s) and user 1's own limit (21 s = 7 jobs) are both exact
    assert len(outcomes) == 50 and len(granted) == 30
    assert granted.count(1) <= 7 and set(outcomes) - {1, 2, 3, 4, 5} <= {"user", "guild"}
    assert "guild" in outcomes


async def test_ledger_agrees_with_the_processes(pg_url):
    """The same race, read back: what the ledger holds is exactly the budget."""
    test_fifty_submits_from_three_processes_never_overspend(pg_url)
    s = await open_storage(pg_url)
    try:
        usage = await s.quota.usage(guild_id=10, since=time.time() - 86_400)
        user1 = await s.quota.usage(user_id=1, since=time.time() - 86_400)
        assert usage.used == 90 and user1.used <= 21
    finally:
        await s.close()


@pytest.mark.timeout(180)
async def test_a_killed_process_leaves_its_id_and_jobs_to_the_next(pg_url):
    s = await open_storage(pg_url)
    try:
        now = time.time()
        job = await s.jobs.create(NewJob("generate", 1, None, None, "local:motion", {}, 3), charge=None, now=now)
        holder = spawn(HOLDER, pg_url, job.id)
        try:
            assert holder.stdout.readline().strip() == "claimed"
            assert not await s.hold_worker_id("main")  # a live process on another "machine" holds it
            assert await s.jobs.claim(job.id, worker_id="other", now=time.time(), lease_seconds=60) is None
        finally:
            holder.send_signal(signal.SIGKILL)
            holder.wait(timeout=60)
        # the dead process's session lock goes when the server notices its connection closed
        deadline = time.monotonic() + 120
        while not await s.hold_worker_id("main"):
            assert time.monotonic() < deadline, "the killed process's worker id was never freed"
            await asyncio.sleep(0.2)
        # its job: held until the lease expires, then taken over
        assert await s.jobs.claim(job.id, worker_id="other", now=time.time() + 30, lease_seconds=60) is None
        taken = await s.jobs.claim(job.id, worker_id="other", now=time.time() + 61, lease_seconds=60)
        assert taken is not None and taken.lease_owner == "other" and taken.state is JobState.QUEUED
    finally:
        await s.close()
