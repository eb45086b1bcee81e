"""Load benchmark: the real bot process under many users.  Run: ``python bench/bench_load.py`` (about 2 minutes).

Runs the scenario of ``tests/faults/test_load.py`` (see :mod:`tests.support.load`) at a few sizes against
``videobot run`` with the Discord and provider emulators on loopback, each on a fresh data dir:

1. 50 users x 5 ``/video`` commands, 20 ms apart (the CI test): 200 jobs, 50 refused by quota;
2. the same 250 commands at once (a burst);
3. 100 users (500 commands, 400 jobs), 10 ms apart;
4. 50 users with the bot SIGKILLed 3 s after every command was answered, then restarted.

Reports interaction ack latency (as the emulator measures it: dispatch to the bot's first callback), job time
(created to finished, from the job table) and when the last job finished.  Replaces the "## Load" section of
BENCHMARKS.md (``--output``), or prints only with ``--print``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulators.discord import DiscordEmulator  # noqa: E402
from emulators.providers import EmulatorServer, VideoFactory  # noqa: E402
from tests.support.harness import BotProcess, JobDb, bot_env  # noqa: E402
from tests.support.load import LoadPlan, LoadReport, build_world, run_load  # noqa: E402

SCENARIOS = [  # (label, plan, kill the bot mid-way)
    ("50 users, 20 ms apart", LoadPlan(), False),
    ("50 users, all at once", LoadPlan(stagger=0.0), False),
    ("100 users, 10 ms apart", LoadPlan(users=100, stagger=0.01), False),
    ("50 users, SIGKILL + restart mid-load", LoadPlan(seed=11), True),
]


async def run_one(plan: LoadPlan, kill: bool, clips: VideoFactory, folder: Path) -> LoadReport:
    """One scenario on fresh emulators and a fresh bot process."""
    providers = await EmulatorServer(clips).start()
    try:
        async with DiscordEmulator() as emu:
            users = build_world(emu, providers, plan)
            bot = BotProcess(bot_env(folder / "data", emu, providers, **plan.bot_env()), folder, "bench")
            try:
                await bot.start(emu)
                db = JobDb(folder / "data" / "videobot.sqlite3")
                return await run_load(emu, db, users, plan, crash=bot if kill else None, kill_delay=3.0, timeout=240)
            finally:
                bot.kill()
                if bot.proc is not None:
                    await bot.reap()
    finally:
        await providers.stop()


def row(label: str, r: LoadReport) -> str:
    """One markdown table row."""
    ms = [f"{r.quantile(r.acks, q) * 1000:.0f} ms" for q in (0.5, 0.95)] + [f"{max(r.acks) * 1000:.0f} ms"]
    jobs = ", ".join(f"{k} {v}" for k, v in sorted(r.by_provider.items()))
    job_times = f"{r.quantile(r.job_seconds, 0.5):.1f} / {r.quantile(r.job_seconds, 0.95):.1f} s"
    extra = f"; killed with {r.in_flight()} in flight, {r.lost_creates} lost Runway creates" if r.killed_in else ""
    outcome = "ok" if not r.problems else f"{len(r.problems)} problems"
    return (
        f"| {label} | {r.plan.requests} | {len(r.jobs)} ({jobs}) | {r.refused} | {' | '.join(ms)} | "
        f"{job_times} | {r.drain_seconds:.1f} s | {outcome}{extra} |"
    )


async def main() -> None:
    """Run every scenario and write the section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--print", action="store_true", help="print the section, do not write it")
    args = parser.parse_args()
    rows, loads = [], [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        clips = VideoFactory(Path(tmp) / "clips")
        for n, (label, plan, kill) in enumerate(SCENARIOS):
            report = await run_one(plan, kill, clips, Path(tmp) / f"run{n}")
            loads.append(os.getloadavg()[0])
            rows.append(row(label, report))
            print(rows[-1], *report.problems[:10], sep="\n", flush=True)
    section = TEMPLATE.format(
        date=time.strftime("%Y-%m-%d"),
        cores=os.cpu_count(),
        python=platform.python_version(),
        load=max(loads),
        rows="\n".join(rows),
    )
    if args.print:
        print(section)
        return
    text = args.output.read_text(encoding="utf-8") if args.output.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## Load\n.*?(?=^## |\Z)", re.M | re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote the Load section of {args.output}")


TEMPLATE = """## Load

Measured on {date} on {cores} cores, Python {python} (highest 1-minute load average during the run: {load:.1f}).
Rerun with `python bench/bench_load.py` (about 2 minutes; `--print` to only print this section).

The real bot process (`videobot run`) against the loopback Discord and provider emulators: each user sends 5
`/video` commands (2 Runway gen4.5 2 s, 2 Luma ray-flash-2 5 s, 1 Replicate zeroscope 3 s) worth 20.9 s of
quota against a 20 s daily limit, so exactly one per user is refused.  The providers hold every create for
0.1-0.4 s and every poll for 0.02-0.15 s, and each task takes 5 polls (queued, 3 x running, done); the bot polls
every 0.3-1.0 s, runs up to 2 jobs per user and 64 per provider.  *Ack* is the time from the emulator
dispatching the interaction to the bot's first callback (Discord allows 3 s); *job* is created to finished in
the job table; *all done* is from the first command to the last job finished.  Every row also checks that
each job ended done with exactly one result message (or, killed in SUBMITTING at Runway, failed and refunded)
and that no user was charged over the limit.

| scenario | commands | jobs | refused | ack p50 | ack p95 | ack max | job p50 / p95 | all done | outcome |
|---|---|---|---|---|---|---|---|---|---|
{rows}
"""


if __name__ == "__main__":
    asyncio.run(main())
