"""Worker scaling benchmark: jobs per second and ack p99 with 1, 2 and 4 worker processes on PostgreSQL, against
one SQLite process.  Run: ``python bench/bench_workers.py`` (a few minutes; needs a PostgreSQL server).

Every configuration gets the same workload (the scenario of :mod:`tests.support.load`: 15 users x 5 ``/video``,
60 jobs and 15 quota refusals, the same seeded provider delays) on fresh loopback emulators:

* ``sqlite``: one ``videobot run`` (gateway and worker in one process) on a fresh data dir;
* ``postgresql, N workers``: one gateway ``videobot run --no-worker`` plus N ``videobot worker`` (REST-only)
  processes sharing ``VIDEOBOT_DATABASE_URL``, a fresh schema of the server per configuration.

Each process runs at most ``--slots`` jobs at once (``VIDEOBOT_MAX_CONCURRENT_JOBS``, the per-process limit),
so added workers add slots.  *Jobs/s* is the jobs that ended done divided by the time from the first command
to the last job finished; *ack* is the emulator's dispatch-to-first-callback time of every command.  Replaces
the "## Workers" section of BENCHMARKS.md (``--output``), or prints only with ``--print``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from emulators.discord import DiscordEmulator  # noqa: E402
from emulators.providers import EmulatorServer, VideoFactory  # noqa: E402
from tests.support.harness import BotProcess, JobDb, bot_env  # noqa: E402
from tests.support.load import PER_USER, LoadPlan, LoadReport, build_world, run_load  # noqa: E402
from tests.support.pg_jobdb import PgJobDb  # noqa: E402

PG_URL = os.environ.get("VIDEOBOT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
CONFIGS = [("sqlite", 0), ("postgresql", 1), ("postgresql", 2), ("postgresql", 4)]  # (backend, workers)


async def pg_execute(sql: str) -> None:
    """One statement on the server (schema setup and teardown)."""
    conn = await asyncpg.connect(PG_URL, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def run_config(
    backend: str, workers: int, plan: LoadPlan, env: dict[str, str], clips: VideoFactory, folder: Path
) -> LoadReport:
    """One configuration on fresh emulators, a fresh database and fresh processes; its report."""
    schema = f"bench_{secrets.token_hex(4)}"
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}search_path={schema}&application_name={schema}"
    providers = await EmulatorServer(clips).start()
    procs: list[BotProcess] = []
    db: JobDb | None = None
    try:
        async with DiscordEmulator() as emu:
            users = build_world(emu, providers, plan)
            common = {**plan.bot_env(), **env}
            if backend == "sqlite":
                procs.append(BotProcess(bot_env(folder / "data", emu, providers, **common), folder, "bot"))
                db = JobDb(folder / "data" / "videobot.sqlite3")
            else:
                await pg_execute(f'CREATE SCHEMA "{schema}"')
                common["VIDEOBOT_DATABASE_URL"] = url
                gateway = ("gateway", ["run", "--no-worker"])
                for name, args in [gateway, *((f"worker{n}", ["worker"]) for n in range(workers))]:
                    e = bot_env(folder / "data", emu, providers, **common, VIDEOBOT_WORKER_ID=name)
                    procs.append(BotProcess(e, folder, name, args))
                db = PgJobDb(url)
            try:
                for proc in procs:
                    await proc.start(emu, timeout=120, gateway=proc.args[0] == "run")
                return await run_load(emu, db, users, plan, timeout=600)
            finally:  # while the emulators still answer, so the processes shut down cleanly
                for proc in procs:
                    await proc.stop()
    finally:
        if isinstance(db, PgJobDb):
            db.close()
        await providers.stop()
        if backend != "sqlite":
            ended = f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{schema}'"
            await pg_execute(f'{ended}; DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def row(backend: str, workers: int, r: LoadReport) -> str:
    """One markdown table row."""
    done = sum(j["state"] == "done" for j in r.jobs)
    label = (
        "SQLite, one `videobot run`"
        if backend == "sqlite"
        else f"PostgreSQL, gateway + {workers} worker{'s' if workers > 1 else ''}"
    )
    ack = " | ".join(f"{r.quantile(r.acks, q) * 1000:.0f} ms" for q in (0.5, 0.99))
    outcome = "ok" if not r.problems else f"{len(r.problems)} problems"
    return (
        f"| {label} | {done}/{len(r.jobs)} | {done / r.drain_seconds:.2f} | {ack} | "
        f"{r.quantile(r.job_seconds, 0.5):.1f} / {r.quantile(r.job_seconds, 0.95):.1f} s | "
        f"{r.drain_seconds:.1f} s | {outcome} |"
    )


def machine() -> tuple[str, str]:
    """The CPU model (``/proc/cpuinfo``) and what else was running (other ``pytest -q`` processes)."""
    model = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    found = subprocess.run(["pgrep", "-f", "pytest -q"], capture_output=True, text=True, check=False).stdout.split()
    return model, f"{len(found)} `pytest -q` run{'s' if len(found) > 1 else ''}" if found else "no test runs"


async def main() -> None:
    """Run every configuration and write the section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--print", action="store_true", help="print the section, do not write it")
    parser.add_argument("--jobs", type=int, default=60, help="jobs per configuration (a multiple of 4)")
    parser.add_argument("--slots", type=int, default=4, help="jobs one process runs at once (the default)")
    args = parser.parse_args()
    plan = LoadPlan(users=args.jobs // (len(PER_USER) - 1), channels=3, seed=21)
    env = {"VIDEOBOT_MAX_CONCURRENT_JOBS": str(args.slots)}
    cpu, others_before = machine()
    rows, loads = [], [os.getloadavg()[0]]
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        clips = VideoFactory(Path(tmp) / "clips")
        for n, (backend, workers) in enumerate(CONFIGS):
            report = await run_config(backend, workers, plan, env, clips, Path(tmp) / f"run{n}")
            loads.append(os.getloadavg()[0])
            rows.append(row(backend, workers, report))
            print(rows[-1], *report.problems[:10], sep="\n", flush=True)
    _, others_after = machine()
    busy = others_before != "no test runs" or others_after != "no test runs"
    note = (
        f"Other work was running on the machine at the time ({others_before} at the start, {others_after} "
        "at the end), so these numbers are lower and noisier than on an idle machine."
        if busy
        else "Nothing else was running on the machine."
    )
    section = TEMPLATE.format(
        date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        cores=os.cpu_count(),
        cpu=cpu,
        python=platform.python_version(),
        load=max(loads),
        minutes=(time.monotonic() - started) / 60,
        note=note,
        commands=plan.requests,
        jobs=plan.requests - plan.users,
        users=plan.users,
        slots=args.slots,
        rows="\n".join(rows),
    )
    if args.print:
        print(section)
        return
    text = args.output.read_text(encoding="utf-8") if args.output.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## Workers\n.*?(?=^## |\Z)", re.M | re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote the Workers section of {args.output}")


TEMPLATE = """## Workers (PostgreSQL) against one SQLite process

Measured on {date} on {cores} cores ({cpu}), Python {python}; highest 1-minute load
average during the run {load:.1f}, the whole run {minutes:.1f} minutes.
{note}
Rerun with `python bench/bench_workers.py` (needs PostgreSQL; `--jobs`, `--slots`, `--print`).

Each configuration gets the same workload on fresh loopback emulators and a fresh database: {users} users send
5 `/video` commands each ({commands} commands, {jobs} jobs, {users} refused by quota), the providers hold every
create 0.1-0.4 s and every poll 0.02-0.15 s with the same seeded delays, and each task takes 5 polls.  *SQLite*
is one `videobot run` (gateway and worker in one process); *PostgreSQL* is one gateway `videobot run
--no-worker` plus N REST-only `videobot worker` processes on one database.  Every process runs at most {slots}
jobs at once (`VIDEOBOT_MAX_CONCURRENT_JOBS`, per process) and each user at most 2 (counted over all
processes).  *Jobs/s* is jobs done divided by the time from the first command to the last job finished (*all
done*); *ack* is the emulator's dispatch-to-first-callback time (Discord allows 3 s; with {commands} commands
p99 is the second slowest).  Every row also checks each job was delivered once with one result message and
nobody was charged over the limit.

| configuration | done | jobs/s | ack p50 | ack p99 | job p50 / p95 | all done | outcome |
|---|---|---|---|---|---|---|---|
{rows}
"""


if __name__ == "__main__":
    asyncio.run(main())
