"""Kill -9 at every step: ``videobot run`` (a real process) is SIGKILLed while a paid job is in each state, restarted
on the same data dir, and must still finish the job exactly once.

For each provider one job is killed at every step in turn, with the slow parts made slow on purpose so the kill
lands inside them: QUEUED (behind another job, provider concurrency 1), SUBMITTING (the provider emulator holds the
create's answer after making the task: ``hang_create``), RUNNING (many polls), DOWNLOADING (the output is served
after ``output_delay``), POSTPROCESSING (an ffmpeg wrapper holds the probe of the raw file; not for the local
renderer, which has nothing to probe there), DELIVERING while Discord refuses the upload (500s), and DELIVERING
right after Discord stored the result message but before the bot heard back (the kill is made inside the Discord
emulator). Afterwards: the job is DONE, Discord shows exactly one result for it (with the MP4), the provider made
exactly one task for it, and its quota ledger row is ``committed`` once. Runway cannot list tasks, so a Runway job
killed in SUBMITTING ends FAILED with its charge ``refunded`` once and is never created twice (its own test).

The random loop kills the bot at random moments while one job per provider is in flight and reports
"survived X/N".  CI runs N=6; by hand, for example::

    VIDEOBOT_KILL_LOOP=200 .venv/bin/pytest tests/faults/test_kill.py -k loop -s

(``VIDEOBOT_KILL_SEED`` replays a run; the seed is printed).
"""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter
from dataclasses import dataclass

import pytest

from emulators.discord import DiscordEmulator
from emulators.providers import Script
from emulators.providers._core import ApiState
from tests.support.harness import FINISHED, MODELS, LiveRig, kill_on_result, mp4_attached, results_for, tasks_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]  # bot processes killed with SIGKILL
OUTPUT_DELAY = 1.0  # seconds the provider emulator holds each download of an output (DOWNLOADING)
LOOP_ROUNDS = int(os.environ.get("VIDEOBOT_KILL_LOOP", "6"))  # CI: 6 rounds (about 30 s)


def task_polls(api: ApiState, tag: str) -> int:
    """How often the provider was polled for the tagged task."""
    return sum(t.polls for t in api.tasks.values() if t.id in tasks_for(api, tag))


@pytest.mark.parametrize("provider", ["replicate", "luma", "runway", "local"])
async def test_a_job_killed_at_every_step_finishes_once(live_rig: LiveRig, provider: str) -> None:
    rig = live_rig
    emu, api = rig.emu, rig.api(provider)
    tag, blocker_tag = f"kill-{provider}-chain", f"kill-{provider}-blocker"
    can_find_lost_create = provider in ("replicate", "luma")  # Runway can't list tasks; local is instant
    held = Script(queued=0, running=6, outcome="hang")  # the blocker runs until the QUEUED kill is done
    if api is not None:
        api.rule(blocker_tag, held)
        api.rule(
            tag,
            Script(queued=1, running=14, hang_create=30.0 if can_find_lost_create else 0.0, output_delay=OUTPUT_DELAY),
        )

    renders = rig.renders
    assert renders is not None
    if api is None:
        renders.close()  # each offline render waits for the pass this test gives it (the blocker's, the job's)

    # QUEUED: another user's job holds the provider's only slot.
    blocker = await rig.video(emu.admin, provider, "a lighthouse in fog", blocker_tag)
    await rig.db.wait_state(blocker["id"], ["running"], timeout=20)
    job = await rig.video(emu.alice, provider, "a paper boat on a stream", tag)
    job_id = job["id"]
    await rig.crash(job_id, "queued")
    held.outcome = "succeed"
    await rig.restart()

    if can_find_lost_create:  # SUBMITTING: the task exists at the provider, its id never reached us
        assert api is not None
        await rig.crash(job_id, "submitting", ready=lambda: tasks_for(api, tag))
        await rig.restart()

    # RUNNING: a few polls in (the local renderer: into the render).
    if api is not None:
        await rig.crash(job_id, "running", ready=lambda: task_polls(api, tag) >= 3)
    else:  # the blocker's render goes; the job's starts after it and waits
        renders.allow()
        await rig.crash(job_id, "running", ready=lambda: renders.used >= 1 and renders.waiting >= 1)
        renders.open()

    if api is not None:
        await rig.restart()
        # DOWNLOADING: the output download is in flight (the emulator holds it).
        started = lambda: sum(api.downloads[t] for t in tasks_for(api, tag))  # noqa: E731
        await rig.crash(job_id, "downloading", ready=started)
        await rig.restart()
        # POSTPROCESSING: ffmpeg is probing the downloaded file (the wrapper holds the probe).  A local render
        # has nothing to probe there (the process that made it knows its facts): its POSTPROCESSING is a few
        # milliseconds with nothing to hold, so it is not killed in it here; test_kill_remix's local:restyle
        # job is, by way of the probe.
        await rig.crash(job_id, "postprocessing")
    outage = emu.server_error_next("POST /webhooks/*", count=10_000)  # Discord refuses the upload
    await rig.restart()

    # DELIVERING, the upload refused so far: the bot is retrying it.
    await rig.crash(job_id, "delivering", ready=lambda: outage.hits >= 1)
    outage.remaining = 0
    assert not results_for(emu, job_id)

    # DELIVERING, Discord has stored the result and the bot dies before it hears back.
    with kill_on_result(emu, rig.bot, job_id) as fired:
        await rig.restart()
        await rig.db.wait(lambda: fired, 40, "the result upload (and the kill inside it)", every=0.01)
    await rig.bot.reap()
    row = rig.db.job(job_id)
    assert row is not None and row["state"] == "delivering" and len(results_for(emu, job_id)) == 1
    rig.kills.append("delivering (posted)")

    await rig.restart()
    await rig.finished(job_id)
    await rig.finished(blocker["id"])
    await asyncio.sleep(0.5)  # anything that would post a second copy has had its chance
    rig.assert_done_once(job_id, provider, tag)
    rig.assert_done_once(blocker["id"], provider, blocker_tag)
    expected = [
        "queued",
        *(["submitting"] if can_find_lost_create else []),
        "running",
        *(["downloading", "postprocessing"] if api is not None else []),
        "delivering",
        "delivering (posted)",
    ]
    assert rig.kills == expected


async def test_a_runway_create_lost_in_a_crash_is_refunded_and_never_sent_twice(live_rig: LiveRig) -> None:
    rig = live_rig
    emu, api = rig.emu, rig.providers.runway
    tag = "kill-runway-lost-create"
    api.rule(tag, Script(hang_create=30.0))
    job = await rig.video(emu.alice, "runway", "a kite over dunes", tag)
    await rig.crash(job["id"], "submitting", ready=lambda: tasks_for(api, tag))
    await rig.restart()
    row = await rig.finished(job["id"])
    assert row["state"] == "failed" and rig.db.ledger(job["id"]) == ["refunded"]
    assert len(tasks_for(api, tag)) == 1 and api.create_count == 1  # not resubmitted: it may be running
    assert not results_for(emu, job["id"])
    await emu.wait_until(lambda: failure_notice(emu, job["id"]), 30, "the failure notice")


async def test_a_result_posted_just_before_a_crash_in_a_busy_channel_is_not_posted_twice(live_rig: LiveRig) -> None:
    rig = live_rig
    emu, api = rig.emu, rig.providers.luma
    tag = "kill-busy-channel"
    api.rule(tag, Script(queued=1, running=12))
    job = await rig.video(emu.alice, "luma", "rain on a tin roof", tag)
    for i in range(150):  # the channel is busy while the job runs: its status message scrolls far up
        await emu.post_user_message(emu.admin, content=f"chatter {i}")
    with kill_on_result(emu, rig.bot, job["id"]) as fired:
        await rig.db.wait(lambda: fired, 40, "the result upload (and the kill inside it)", every=0.01)
    await rig.bot.reap()
    assert rig.db.job(job["id"])["state"] == "delivering"  # type: ignore[index]
    await rig.restart()
    await rig.finished(job["id"])
    await asyncio.sleep(0.5)
    rig.assert_done_once(job["id"], "luma", tag)


async def test_a_channel_result_posted_before_a_crash_is_deduplicated_by_its_nonce(live_rig: LiveRig) -> None:
    rig = live_rig
    emu, api = rig.emu, rig.providers.replicate
    tag = "kill-channel-nonce"
    api.rule(tag, Script(queued=1, running=10))
    model, duration = MODELS["replicate"]
    handle = await emu.slash(emu.alice, "video", prompt=f"a heron fishing {tag}", model=model, duration=duration)
    await handle.wait_ack(timeout=30)
    job = await rig.db.wait_tagged(tag)
    emu.expire_token(handle)  # the token died (a long job): the result goes to the channel, with a nonce
    with kill_on_result(emu, rig.bot, job["id"]) as fired:
        await rig.db.wait(lambda: fired, 40, "the result upload (and the kill inside it)", every=0.01)
    await rig.bot.reap()
    first = emu.get_message(fired[0])
    assert first.webhook_id is None and first.nonce and rig.db.job(job["id"])["state"] == "delivering"  # type: ignore[index]
    # After the restart the search for the earlier result fails; the nonce must still stop a second copy.
    blind = emu.fail_next("GET /channels/*/messages", 403, code=50001, message="Missing Access", count=100)
    await rig.restart()
    await rig.finished(job["id"])
    await asyncio.sleep(0.5)
    assert blind.hits >= 1
    sends = [r for r in emu.rest.log if r.method == "POST" and r.path == f"/channels/{emu.channel.id}/messages"]
    assert len(sends) >= 2  # the result was sent again ...
    rig.assert_done_once(job["id"], "replicate", tag)  # ... and Discord answered with the first message


def failure_notice(emu: DiscordEmulator, job_id: int) -> bool:
    """Whether the requester was shown the job's failure (the ❌ status embed)."""
    for message in emu.messages(ephemeral=False):
        for embed in message.embeds:
            footer = (embed.get("footer") or {}).get("text", "")
            if footer == f"job #{job_id}" and str(embed.get("title", "")).startswith("❌"):
                return True
    return False


# --- random kill points --------------------------------------------------------------------------------------


@dataclass
class Tracked:
    """A job of the loop and where the kill found it."""

    provider: str
    tag: str
    job_id: int
    killed_in: str = ""


def random_script(rng: random.Random) -> Script:
    """Realistic but short provider behaviour, different each time."""
    return Script(
        queued=rng.randint(0, 2),
        running=rng.randint(1, 8),
        hang_create=rng.choice([0.0, 0.0, 0.4]),
        output_delay=rng.choice([0.0, 0.3]),
    )


def verdict(rig: LiveRig, job: Tracked) -> str | None:
    """None when the job ended correctly; else what went wrong."""
    row = rig.db.job(job.job_id)
    if row is None or row["state"] not in FINISHED:
        return f"not finished: {row and row['state']}"
    posted = results_for(rig.emu, job.job_id)
    api = rig.api(job.provider)
    tasks = len(tasks_for(api, job.tag)) if api is not None else 1
    ledger = rig.db.ledger(job.job_id)
    if row["state"] == "done":
        if len(posted) != 1 or not mp4_attached(posted[0]) or tasks != 1 or ledger != ["committed"]:
            return f"done with {len(posted)} results, {tasks} tasks, ledger {ledger}"
        return None
    lost_create = job.provider == "runway" and job.killed_in == "submitting"
    if row["state"] == "failed" and lost_create and not posted and tasks <= 1 and ledger == ["refunded"]:
        return None  # Runway cannot say whether the create landed: refunded, never resubmitted
    return f"{row['state']} ({row['error']}) with {len(posted)} results, {tasks} tasks, ledger {ledger}"


@pytest.mark.slow
@pytest.mark.timeout(max(150, 60 + 20 * LOOP_ROUNDS))
async def test_random_kill_loop(live_rig: LiveRig) -> None:
    rig, emu = live_rig, live_rig.emu
    rounds = LOOP_ROUNDS
    seed = int(os.environ.get("VIDEOBOT_KILL_SEED", random.randrange(1_000_000)))
    rng = random.Random(seed)
    print(f"random kill loop: {rounds} rounds, VIDEOBOT_KILL_SEED={seed}")
    users = [emu.add_member(emu.guild, emu.add_user(f"looper{i}")).user for i in range(4)]
    survived, states, failures = 0, Counter[str](), []
    for round_no in range(rounds):
        jobs: list[Tracked] = []
        for i, provider in enumerate(rng.sample(sorted(MODELS), k=len(MODELS))):
            tag = f"loop{round_no}-{provider}"
            api = rig.api(provider)
            if api is not None:
                api.rule(tag, random_script(rng))
            row = await rig.video(users[i], provider, "a marble rolling down a ramp", tag)
            jobs.append(Tracked(provider, tag, row["id"]))
            await asyncio.sleep(rng.uniform(0, 0.3))
        await asyncio.sleep(2.5 * rng.random() ** 2)  # early kills more often: the early states are short
        assert rig.bot.kill()
        await rig.bot.reap()
        for job in jobs:
            at_kill = rig.db.job(job.job_id)
            job.killed_in = str(at_kill["state"]) if at_kill else "missing"
            states[job.killed_in] += 1
        await rig.restart()
        for job in jobs:
            await rig.finished(job.job_id, timeout=60)
        await asyncio.sleep(0.3)
        problems = [f"{j.provider} job {j.job_id} killed in {j.killed_in}: {v}" for j in jobs if (v := verdict(rig, j))]
        survived += not problems
        failures += problems
        killed = ", ".join(f"{j.provider} {j.killed_in}" for j in jobs)
        print(f"round {round_no + 1}/{rounds}: killed with {killed}: {problems or 'ok'}")
    summary = ", ".join(f"{state} {count}" for state, count in states.most_common())
    print(f"survived {survived}/{rounds} kill points (seed {seed}); jobs killed in: {summary}")
    assert not failures, "\n".join(failures)
