"""Latency benchmark: the time from "the provider finished" to "the result message is posted", and polls per job,
for each poll schedule on the same emulated jobs.  Run: ``python bench/bench_latency.py`` (a few minutes).

The real bot (``VideoBot`` with its worker and ``DeliveryRouter``, in this process, default limits: 4 jobs at
once, 2 per user) runs against the loopback Discord emulator and the provider emulators in their wall-clock mode
(``Script(run_seconds=…)``: a task finishes that long after its create however often it is polled, and the
emulator records the moment).  Each scenario sends its jobs at once, one user each, and reads two records:

* *finished*: the provider emulator's ``Task.finished_at`` (create + run time);
* *posted*: the Discord emulator's ``created_at`` of the job's result message.

*Lag* is posted − finished per job (median and p99; of 20 jobs the p99 is the slowest); *polls* are the status
reads the provider answered per job (the re-read before the download included); *all delivered* is the first
command to the last result.  Modes (``--schedule``):

* ``old``: today's backoff (``VIDEOBOT_POLL_ADAPTIVE=false``: poll at once, then 7.5 s, 11.25 s, … up to 30 s);
* ``adaptive``: the learned schedule, measured after a warm-up round of the same jobs taught the models their run
  times (``--warmup`` rounds, on the same database);
* ``push``: the bot's web server on a loopback port is its public URL, so Replicate, Luma and fal call it back
  when a task finishes (the emulators sign the calls as the real services do); Runway, which has no callbacks,
  is polled on the adaptive schedule (warmed up as above).

Another mode is one more :class:`Mode` in ``MODES`` (its settings, a ``prepare`` hook if the emulators need
telling); :func:`table` takes any rows.  Replaces the "## Latency" section of BENCHMARKS.md
(``--output``), or prints only with ``--print``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import re
import socket
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import discord.gateway  # noqa: E402
import discord.http  # noqa: E402

from bot.edge.client import VideoBot, start_bot  # noqa: E402
from bot.settings import Settings  # noqa: E402
from emulators.discord import DiscordEmulator, Message  # noqa: E402
from emulators.providers import EmulatorServer, Script, VideoFactory  # noqa: E402


@dataclass(frozen=True)
class Job:
    """One emulated job of a scenario."""

    model: str
    duration: int
    run_seconds: float  # how long the provider emulator takes (wall clock)


@dataclass(frozen=True)
class Scenario:
    """Jobs sent at once."""

    name: str
    jobs: tuple[Job, ...]


@dataclass(frozen=True)
class Mode:
    """A poll schedule (settings for the bot), and whether it needs a warm-up round to learn the run times."""

    name: str
    settings: dict[str, Any]
    warm: bool = False
    prepare: Callable[[EmulatorServer, Settings], Awaitable[None]] | None = None  # e.g. point webhooks at the bot


@dataclass
class Row:
    """One scenario under one mode."""

    scenario: str
    mode: str
    lags: list[float] = field(default_factory=list)
    polls: list[int] = field(default_factory=list)
    drain: float = 0.0
    problems: list[str] = field(default_factory=list)


LUMA = Job("luma:ray-2", 5, 8.0)
SCENARIOS = {
    "luma": Scenario("20 × Luma ray-2, 8 s each", (LUMA,) * 20),
    "mix": Scenario(
        "mix: 8 Luma 8 s, 6 Runway 12 s, 6 Replicate 20 s",
        (LUMA,) * 8 + (Job("runway:gen4.5", 5, 12.0),) * 6 + (Job("replicate:zeroscope", 3, 20.0),) * 6,
    ),
}
MODES = {
    "old": Mode("old", {"poll_adaptive": False}),
    "adaptive": Mode("adaptive", {"poll_adaptive": True}, warm=True),
    # the web server takes the completion calls (Replicate, Luma, fal); Runway has none and is polled adaptively
    "push": Mode("push", {"poll_adaptive": True, "file_server_port": -1}, warm=True),
}
TIMEOUT = 900.0


def free_port() -> int:
    """A free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def quantile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def footer_job(message: Message) -> int | None:
    """The job id of a result message, else None: its footer ``job #N · …`` with its actions, in the first embed
    (a plain or grouped result) or as the last line of a result card's text (a Components V2 message)."""
    if message.deleted:
        return None
    footers = [(embed.get("footer") or {}).get("text", "") for embed in message.embeds[:1]]
    stack = list(message.components or [])
    while stack:
        item = stack.pop()
        if item.get("type") == 10:  # a Text Display
            footers += [line.removeprefix("-# ") for line in str(item.get("content") or "").splitlines()]
        stack.extend(item.get("components") or [])
    for footer in footers:
        match = re.match(r"job #(\d+) ·", footer)
        if match and "extend" in footer:
            return int(match.group(1))
    return None


async def send_round(
    emu: DiscordEmulator, bot: VideoBot, providers: EmulatorServer, scenario: Scenario, users: list[Any], tag: str
) -> Row:
    """Send every job of the scenario at once and wait for every result; the row of what was measured."""
    row = Row(scenario.name, tag)
    for api in providers.apis.values():  # a task with a completion URL calls back when it finishes
        run = next((j.run_seconds for j in scenario.jobs if j.model.startswith(f"{api.name}:")), 8.0)
        api.default = Script(run_seconds=run, push_after=run)
    seen = {footer_job(m) for m in emu.messages()} - {None}
    started = time.time()
    handles = [
        emu.slash(user, "video", prompt=f"{tag} lighthouse {n}", duration=job.duration, model=job.model)
        for n, (job, user) in enumerate(zip(scenario.jobs, users, strict=False))
    ]
    for handle in await asyncio.gather(*handles):
        await handle.wait_ack()

    def results() -> dict[int, Message] | None:
        found = {j: m for m in emu.messages() if (j := footer_job(m)) is not None and j not in seen}
        return found if len(found) >= len(scenario.jobs) else None

    posted = await emu.wait_until(results, TIMEOUT, "every result")
    row.drain = max(m.created_at for m in posted.values()) - started
    for job_id, message in posted.items():
        job = await bot.app.service.get(job_id)
        api = providers.apis[job.provider]
        task = api.tasks.get(str(job.provider_task_id))
        if task is None or task.finished_at is None:
            row.problems.append(f"job #{job_id}: no emulated task")
            continue
        row.lags.append(message.created_at - task.finished_at)
        row.polls.append(task.polls)
    return row


async def run(mode: Mode, scenario: Scenario, clips: VideoFactory, folder: Path, warmup: int) -> Row:
    """One scenario under one mode, on fresh emulators, a fresh database and a fresh bot."""
    old_globals = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    providers = await EmulatorServer(clips).start()
    try:
        async with DiscordEmulator() as emu:
            users = []
            for n in range(len(scenario.jobs)):
                users.append(user := emu.add_user(f"bench{n}"))
                emu.add_member(emu.guild, user)
            env = {k: v for k, v in providers.env().items() if not k.startswith(("FAL", "SSL"))}
            extra = dict(mode.settings)
            if extra.get("file_server_port") == -1:  # a free loopback port, which is also the public URL
                extra["file_server_port"] = port = free_port()
                extra["public_base_url"] = f"http://127.0.0.1:{port}"
            settings = Settings(
                data_dir=folder / "data",
                DISCORD_TOKEN=emu.token,
                DISCORD_API_BASE=emu.api_base,
                DISCORD_GATEWAY_URL=emu.gateway_url,
                guild_ids=[emu.guild.id],
                default_model=None,
                daily_seconds=86_400,
                log_level="WARNING",
                **env,
                **extra,
            )
            if mode.prepare is not None:
                await mode.prepare(providers, settings)
            bot = await start_bot(settings, ready_timeout=30, guild_ready_timeout=0.1)
            try:
                for n in range(warmup if mode.warm else 0):
                    warm = await send_round(emu, bot, providers, scenario, users, f"warmup{n}")
                    print(f"  warm-up {n + 1}: lag p50 {quantile(warm.lags, 0.5):.2f} s", flush=True)
                row = await send_round(emu, bot, providers, scenario, users, mode.name)
                learned = await bot.app.storage.timings.all()
                print(
                    "  learned: "
                    + ", ".join(
                        f"{t.model} {t.mean_seconds:.1f}±{t.spread_seconds:.1f} s ({t.samples})" for t in learned
                    ),
                    flush=True,
                )
                return row
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(bot.close(), 30)
    finally:
        await providers.stop()
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_globals


def table(rows: list[Row]) -> str:
    """The markdown table of any rows (any modes)."""
    lines = [
        "| jobs | schedule | lag p50 | lag p99 | polls per job (mean, max) | all delivered | outcome |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        polls = f"{statistics.fmean(r.polls):.1f}, {max(r.polls)}" if r.polls else "-"
        outcome = "ok" if not r.problems else f"{len(r.problems)} problems"
        lag = " | ".join(f"{quantile(r.lags, q):.2f} s" for q in (0.5, 0.99))
        lines.append(f"| {r.scenario} | {r.mode} | {lag} | {polls} | {r.drain:.1f} s | {outcome} |")
    return "\n".join(lines)


def machine() -> tuple[str, int]:
    """The CPU model (``/proc/cpuinfo``) and ``nproc``."""
    model = "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return model, len(os.sched_getaffinity(0))


async def main() -> None:
    """Run every scenario under every mode asked for and write the section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedule", nargs="+", choices=sorted(MODES), default=["old", "adaptive", "push"])
    parser.add_argument("--scenario", nargs="+", choices=sorted(SCENARIOS), default=["luma", "mix"])
    parser.add_argument("--jobs", type=int, default=0, help="only the first N jobs of each scenario (a quick try)")
    parser.add_argument("--warmup", type=int, default=2, help="rounds that teach the run times (adaptive)")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--print", action="store_true", help="print the section, do not write it")
    args = parser.parse_args()
    cpu, cores = machine()
    loads, rows = [os.getloadavg()], []
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        clips = VideoFactory(Path(tmp) / "clips")
        for s_name in args.scenario:
            for m_name in args.schedule:
                print(f"{s_name} / {m_name} …", flush=True)
                folder = Path(tmp) / f"{s_name}-{m_name}"
                scenario = SCENARIOS[s_name]
                if args.jobs:
                    scenario = Scenario(f"{scenario.name} (first {args.jobs})", scenario.jobs[: args.jobs])
                rows.append(await run(MODES[m_name], scenario, clips, folder, args.warmup))
                loads.append(os.getloadavg())
                print(table(rows[-1:]).splitlines()[-1], *rows[-1].problems[:5], sep="\n", flush=True)
    peak = max(x[0] for x in loads)
    about = (
        f"Measured on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {cores} cores (`nproc`; {cpu}), "
        f"Python {platform.python_version()}; load average (1/5/15 min) at the start "
        f"{' / '.join(f'{x:.1f}' for x in loads[0])}, highest 1-minute load during the run {peak:.1f}; the whole "
        f"run {(time.monotonic() - started) / 60:.1f} minutes.  "
        + (
            f"A load above {cores} means other work competed for the CPU, so the lags include some scheduling noise.  "
            if peak > cores
            else "The machine was otherwise quiet.  "
        )
        + f"Rerun with `{' '.join(['python bench/bench_latency.py', *sys.argv[1:]])}` (`--schedule old adaptive push`, "
        "`--scenario luma mix`, `--warmup N`, `--jobs N`, `--print`)."
    )
    section = TEMPLATE.format(machine=textwrap.fill(about, 115), warmup=args.warmup, table=table(rows))
    if args.print:
        print(section)
        return
    text = args.output.read_text(encoding="utf-8") if args.output.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## Latency\b.*?(?=^## |\Z)", re.M | re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote the Latency section of {args.output}")


TEMPLATE = """## Latency: provider finished → result posted

{machine}

The real bot (gateway, worker and `DeliveryRouter` in one process, the default limits: 4 jobs at once, 2 per user,
4 per provider) against the loopback Discord emulator and the provider emulators in their wall-clock mode: a task
finishes a fixed time after its create however often it is polled, and the emulator records that moment.  Each
row sends its jobs at once (one user each) and measures, per job, *lag* = the result message's creation in the
Discord emulator − the task's finish in the provider emulator (download, check and upload of the clip included),
and the status reads the provider answered (the re-read before the download included).  *old* is the backoff
(`VIDEOBOT_POLL_ADAPTIVE=false`: poll at once, then after 7.5 s, 11.25 s, … up to 30 s); *adaptive* is measured
after {warmup} warm-up round(s) of the same jobs on the same database taught the models their run times (it sleeps
until the learned run time minus a lead, then polls every second; Runway at most every 5 s, its own guidance);
*push* has the bot's web server take Replicate's, Luma's and fal's completion calls (signed as the real services
sign them, over loopback), polling only as the safety net, and Runway (no callbacks) adaptive after the warm-up.
*All delivered* is the first command to the last result (with 4 jobs at once, the jobs run in waves).

{table}
"""


if __name__ == "__main__":
    asyncio.run(main())
