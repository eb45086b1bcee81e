"""The load scenario shared by ``tests/faults/test_load.py`` (asserts) and ``bench/bench_load.py`` (numbers).

Many users spread over a few channels send ``/video`` through the Discord emulator to the real bot process
(``videobot run``), mixing Runway, Replicate and Luma.  The provider emulators answer like busy services: every
create and poll is held for a small random delay, and each task takes a few polls.  Every user asks for a bit
more than their daily quota in total, so exactly one request per user is refused whatever the order.
"""

from __future__ import annotations

import asyncio
import random
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from emulators.discord import DiscordEmulator, InteractionHandle, Message, User
from emulators.providers import EmulatorServer, Fault, Script
from tests.support.harness import FINISHED, BotProcess, JobDb, mp4_attached, results_for

# Each user's requests: (model, duration, quota seconds = seconds of video).  17 s in all against a 16 s limit:
# any four fit (at most 15 s), all five never do, so every user gets exactly one refusal whatever the order.
PER_USER = (
    ("runway:gen4.5", 2, 2.0),
    ("runway:gen4.5", 2, 2.0),
    ("luma:ray-flash-2", 5, 5.0),
    ("luma:ray-flash-2", 5, 5.0),
    ("replicate:zeroscope", 3, 3.0),
)
DAILY_SECONDS = 16
TAG = re.compile(r"load-\d+-\d+")
# The load's real bound is progress: it fails when no job changes state for this long (jobs stuck), however
# slowly a busy machine moves them.  Generous: a task takes 5 polls at most 1 s apart.
STALL_SECONDS = 120.0


@dataclass
class LoadPlan:
    """How big and how fast."""

    users: int = 50
    channels: int = 5
    stagger: float = 0.02  # seconds between two users' commands
    seed: int = 7

    @property
    def requests(self) -> int:
        """Commands sent in all."""
        return self.users * len(PER_USER)

    @property
    def jobs(self) -> int:
        """Jobs made: every command but one refusal per user."""
        return self.requests - self.users

    def drain_bound(self) -> float:
        """Safety net for first command → last job finished, growing with the jobs: a minute plus 2 s per job,
        over 20 times what an idle 2-core machine takes (BENCHMARKS.md "Load": 200 jobs in 20 s)."""
        return 60.0 + 2.0 * self.jobs

    def bot_env(self) -> dict[str, str]:
        """Settings for the bot process: enough slots to drain the queue, realistic polling."""
        return {
            "VIDEOBOT_DAILY_SECONDS": str(DAILY_SECONDS),
            "VIDEOBOT_MAX_CONCURRENT_JOBS": "128",
            "VIDEOBOT_PROVIDER_CONCURRENCY": "64",
            "VIDEOBOT_MAX_RUNNING_PER_USER": "2",
            "VIDEOBOT_POLL_INTERVAL_SECONDS": "0.3",
            "VIDEOBOT_POLL_MAX_INTERVAL_SECONDS": "1.0",
            "VIDEOBOT_PROGRESS_EDIT_INTERVAL": "2",
            "VIDEOBOT_LOG_LEVEL": "WARNING",
        }


@dataclass
class Sent:
    """One command and what became of it."""

    user: User
    model: str
    tag: str
    handle: InteractionHandle


@dataclass
class LoadReport:
    """What the run measured."""

    plan: LoadPlan
    acks: list[float] = field(default_factory=list)  # seconds, per command
    submit_seconds: float = 0.0  # first command to last command sent
    drain_seconds: float = 0.0  # first command to the last job finished
    jobs: list[dict] = field(default_factory=list)  # final job rows
    refused: int = 0  # commands answered with the quota refusal
    late: int = 0  # commands whose ack came past Discord's 3 s window (refused by the emulator): must leave nothing
    job_seconds: list[float] = field(default_factory=list)  # created → finished, per job
    problems: list[str] = field(default_factory=list)
    by_provider: dict[str, int] = field(default_factory=dict)
    killed_in: dict[int, str] = field(default_factory=dict)  # job id -> state when the bot was SIGKILLed
    lost_creates: int = 0  # Runway jobs killed in SUBMITTING: refunded, never resubmitted

    def quantile(self, values: list[float], q: float) -> float:
        """The q-quantile (0..1) of ``values``."""
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")

    def summary(self) -> str:
        """One paragraph for the test log."""
        a, j = self.acks, self.job_seconds
        return (
            f"{self.plan.requests} commands from {self.plan.users} users: {len(self.jobs)} jobs "
            f"({', '.join(f'{k} {v}' for k, v in sorted(self.by_provider.items()))}), {self.refused} refused, "
            f"{self.late} acknowledged too late; "
            f"acks p50 {self.quantile(a, 0.5) * 1000:.0f} ms, p95 {self.quantile(a, 0.95) * 1000:.0f} ms, "
            f"max {max(a, default=0) * 1000:.0f} ms; job p50 {self.quantile(j, 0.5):.1f} s, "
            f"p95 {self.quantile(j, 0.95):.1f} s; sent in {self.submit_seconds:.1f} s, "
            f"all done after {self.drain_seconds:.1f} s"
            + (
                f"; killed with {self.in_flight()} jobs in flight ({self.kill_states()}), "
                f"{self.lost_creates} lost Runway creates"
                if self.killed_in
                else ""
            )
        )

    def kill_states(self) -> str:
        """How many jobs each state had when the bot was killed."""
        counts = Counter(self.killed_in.values())
        return ", ".join(f"{state} {n}" for state, n in counts.most_common())

    def in_flight(self) -> int:
        """Jobs that were not finished when the bot was killed."""
        return sum(state not in FINISHED for state in self.killed_in.values())


def build_world(emu: DiscordEmulator, providers: EmulatorServer, plan: LoadPlan) -> list[tuple[User, int]]:
    """Users (each in one of the channels) and busy providers; call before the bot starts."""
    rng = random.Random(plan.seed)
    channels = [emu.channel] + [emu.add_channel(emu.guild, f"videos-{i}") for i in range(1, plan.channels)]
    users = []
    for i in range(plan.users):
        user = emu.add_user(f"loaduser{i}")
        emu.add_member(emu.guild, user)
        users.append((user, channels[i % len(channels)].id))
    calls = plan.requests * 8  # creates, polls, re-polls before downloads, with room to spare
    for api in providers.apis.values():
        api.default = Script(queued=1, running=3)
        api.fail_creates(*(Fault(kind="hang", seconds=rng.uniform(0.1, 0.4)) for _ in range(plan.requests)))
        api.fail_polls(*(Fault(kind="hang", seconds=rng.uniform(0.02, 0.15)) for _ in range(calls)))
    return users


async def run_load(
    emu: DiscordEmulator,
    db: JobDb,
    users: list[tuple[User, int]],
    plan: LoadPlan,
    *,
    crash: BotProcess | None = None,
    kill_delay: float = 0.0,
    timeout: float | None = None,
) -> LoadReport:
    """Send every command (shuffled, staggered), wait for every job to finish, and check the outcome.

    With ``crash``, that bot is SIGKILLed ``kill_delay`` s after every command was answered, then restarted.
    Fails when the jobs stop moving (no state change for ``STALL_SECONDS``), or, as a last safety net, when they
    are not all finished ``timeout`` s after the first command (default: :meth:`LoadPlan.drain_bound`)."""
    rng = random.Random(plan.seed)
    report = LoadReport(plan)
    wanted = [(user, channel, spec, n) for user, channel in users for n, spec in enumerate(PER_USER)]
    rng.shuffle(wanted)
    sent: list[Sent] = []
    started = time.monotonic()
    for user, channel, (model, duration, _), n in wanted:
        tag = f"load-{user.id}-{n}"
        handle = await emu.slash(
            user, "video", prompt=f"a city street at night {tag}", model=model, duration=duration, in_channel=channel
        )
        sent.append(Sent(user, model, tag, handle))
        await asyncio.sleep(plan.stagger)
    report.submit_seconds = time.monotonic() - started
    for item in sent:  # acknowledged, or refused as too late (the emulator keeps Discord's 3 s window)
        answered = lambda h=item.handle: h.ack_type is not None or h.attempts  # noqa: E731
        await emu.wait_until(answered, 30, f"a first callback for {item.tag}")
        if item.handle.ack_type is not None:
            report.acks.append(float(item.handle.ack_latency or 0.0))
        # else: too late on a machine this busy (Discord showed "did not respond"): check() requires that it
        # left nothing behind; how fast acks are is measured in bench/bench_load.py, not asserted here
    await _answered(sent, bound=plan.drain_bound())
    if crash is not None:
        await asyncio.sleep(kill_delay)
        assert crash.kill()
        await crash.reap()
        report.killed_in = {int(r["id"]): str(r["state"]) for r in db.rows("SELECT id, state FROM jobs")}
        await crash.start(emu)
    bound = plan.drain_bound() if timeout is None else timeout
    # every answered command but a quota refusal made a job (a command acknowledged too late made none)
    expected = sum(1 for s in sent if s.handle.ack_type is not None and "Not enough quota" not in _texts(s))
    rows: list[dict] = []

    def drained() -> tuple[bool, object, str]:
        nonlocal rows
        rows = db.rows("SELECT * FROM jobs WHERE spec_json LIKE '%load-%'")
        states = tuple(sorted((int(r["id"]), str(r["state"])) for r in rows))
        finished = len(rows) >= expected and all(state in FINISHED for _, state in states)
        return finished, states, f"{len(rows)} jobs, {dict(Counter(state for _, state in states))}"

    await _while_moving(drained, deadline=started + bound, every=0.2, what="the jobs")
    report.drain_seconds = time.monotonic() - started
    await asyncio.sleep(1.0)  # a duplicate would have been posted by now
    report.jobs = rows
    check(emu, db, sent, report)
    return report


async def _answered(sent: list[Sent], *, bound: float) -> None:
    """Wait until every acknowledged command has its first answer (the others are problems already: too late)."""
    acked = [s for s in sent if s.handle.ack_type is not None]

    def answered() -> tuple[bool, object, str]:
        done = sum(1 for s in acked if s.handle.responses)
        waiting = [f"{s.tag} (ack {s.handle.ack_type})" for s in acked if not s.handle.responses][:10]
        return done == len(acked), done, f"{done} of {len(acked)} commands answered; waiting for {waiting}"

    await _while_moving(answered, deadline=time.monotonic() + bound, every=0.1, what="the answers")


async def _while_moving(
    look: Callable[[], tuple[bool, object, str]], *, deadline: float, every: float, what: str
) -> None:
    """Look until ``look`` says done.  Fails when what it sees stops changing for ``STALL_SECONDS`` (stuck), or,
    as a last safety net, at ``deadline``: a busy machine moves slowly but keeps moving, so the bound measures
    progress, not the machine's speed.  ``look`` returns (done, what it saw, a description for the failure)."""
    seen: object = None
    moved = time.monotonic()
    while True:
        done, state, told = look()
        if done:
            return
        now = time.monotonic()
        if state != seen:
            seen, moved = state, now
        if now - moved > STALL_SECONDS:
            raise TimeoutError(f"{what}: nothing changed for {STALL_SECONDS:.0f}s: {told}")
        if now > deadline:
            raise TimeoutError(f"{what}: not done by the safety net, still moving: {told}")
        await asyncio.sleep(every)


def _texts(item: Sent) -> str:
    return " ".join(m.content for m in item.handle.responses)


def check(emu: DiscordEmulator, db: JobDb, sent: list[Sent], report: LoadReport) -> None:
    """Fill in the report's counts and every broken promise in ``problems``."""
    rows = {m.group(0): r for r in report.jobs if (m := TAG.search(str(r["spec_json"])))}
    late_users: set[int] = set()
    for item in sent:
        row = rows.get(item.tag)
        if item.handle.ack_type is None:  # never acknowledged: no job, no charge, nothing posted
            report.late += 1
            late_users.add(item.user.id)
            if row is not None:
                report.problems.append(f"{item.tag}: acknowledged too late, yet job {row['id']} was made")
            continue
        if row is None:
            texts = " ".join(m.content for m in item.handle.responses)
            if "Not enough quota" in texts:
                report.refused += 1
            else:
                report.problems.append(f"{item.tag}: no job and no quota refusal ({texts[:120]!r})")
            continue
        provider = str(row["model"]).split(":", 1)[0]
        report.by_provider[provider] = report.by_provider.get(provider, 0) + 1
        posted: list[Message] = results_for(emu, row["id"])
        ledger = db.ledger(row["id"])
        lost_create = provider == "runway" and report.killed_in.get(row["id"]) == "submitting"
        if row["state"] == "failed" and lost_create and not posted and ledger == ["refunded"]:
            report.lost_creates += 1  # Runway can't tell whether the create landed: refunded, not resent
        elif row["state"] != "done" or len(posted) != 1 or not mp4_attached(posted[0]) or ledger != ["committed"]:
            report.problems.append(f"{item.tag}: job {row['id']} {row['state']}, {len(posted)} results, {ledger}")
        else:
            report.job_seconds.append(float(row["finished_at"]) - float(row["created_at"]))
    used = db.rows("SELECT user_id, SUM(seconds) AS used FROM quota_ledger WHERE state != 'refunded' GROUP BY 1")
    for entry in used:
        if entry["used"] > DAILY_SECONDS + 1e-9:
            report.problems.append(f"user {entry['user_id']}: {entry['used']} s charged, over {DAILY_SECONDS}")
    # every user whose five commands all got through is refused exactly once (17 s asked against 16 s)
    want = report.plan.users - len(late_users)
    refused_full = sum(
        1
        for item in sent
        if item.user.id not in late_users and item.tag not in rows and "Not enough quota" in _texts(item)
    )
    if refused_full != want:
        report.problems.append(f"{refused_full} refusals for {want} users who sent all five (want one each)")
    if statistics.fmean(report.acks or [0.0]) <= 0:
        report.problems.append("no ack latencies measured")
