"""Kill -9 at every step of a /remix (an attached clip restyled by Runway aleph2 or offline by local:restyle)
and of a /variations job: the bot (a real process) is SIGKILLed in each state, restarted on the same data
dir, and every job still finishes exactly once: delivered once, charged once (see test_kill.py).  The two
takes of the /variations request are posted together, in one message, once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from emulators.discord import Upload
from emulators.providers import Script
from tests.support.harness import LiveRig, kill_on_result, results_for, tasks_for, walk_the_steps
from tests.support.video import make_clip

pytestmark = [pytest.mark.slow, pytest.mark.timeout(200)]  # bot processes killed with SIGKILL
REMIX_MODELS = {"runway": "runway:aleph2", "local": "local:restyle"}


@pytest.mark.parametrize("provider", ["runway", "local"])
async def test_a_remix_killed_at_every_step_finishes_once(live_rig: LiveRig, provider: str, tmp_path: Path) -> None:
    rig = live_rig
    emu, api = rig.emu, rig.api(provider)
    tag, blocker_tag = f"kill-remix-{provider}-job", f"kill-remix-{provider}-blocker"
    if api is not None:
        api.rule(blocker_tag, Script(queued=0, running=6))
        api.rule(tag, Script(queued=1, running=14, output_delay=0.6))
    blocker = await rig.video(emu.admin, provider, "a lighthouse in fog", blocker_tag)
    await rig.db.wait_state(blocker["id"], ["running"], timeout=20)
    clip = make_clip(tmp_path / "clip.mp4", seconds=6, size="640x360", source="testsrc2")
    handle = await emu.slash(
        emu.alice,
        "remix",
        prompt=f"a watercolour {tag}",
        model=REMIX_MODELS[provider],
        attachments={"video": Upload("clip.mp4", clip.read_bytes(), "video/mp4")},
    )
    assert await handle.wait_ack(timeout=10) == 5
    job_id = (await rig.db.wait_tagged(tag))["id"]
    await walk_the_steps(rig, provider, job_id, tag)
    await rig.finished(blocker["id"])
    await asyncio.sleep(0.5)  # anything that would post a second copy has had its chance
    rig.assert_done_once(job_id, provider, tag)
    rig.assert_done_once(blocker["id"], provider, blocker_tag)


async def test_variations_killed_at_every_step_finish_once_each(live_rig: LiveRig) -> None:
    rig = live_rig
    emu, api = rig.emu, rig.providers.runway
    tag, blocker_tag = "kill-variations-job", "kill-variations-blocker"
    api.rule(blocker_tag, Script(queued=0, running=6))
    api.rule(tag, Script(queued=1, running=14, output_delay=0.6))
    blocker = await rig.video(emu.admin, "runway", "a lighthouse in fog", blocker_tag)
    await rig.db.wait_state(blocker["id"], ["running"], timeout=20)
    handle = await emu.slash(
        emu.alice, "variations", prompt=f"a paper boat {tag}", count=2, duration=2, model="runway:gen4.5"
    )
    assert await handle.wait_ack(timeout=10) == 5
    rows = await rig.db.wait(lambda: found if len(found := rig.db.tagged(tag)) == 2 else None, 20, "2 jobs")
    first, second = sorted(r["id"] for r in rows)
    await walk_the_steps(rig, "runway", first, tag)
    await rig.finished(second, timeout=80)
    await rig.finished(blocker["id"])
    await asyncio.sleep(0.5)
    for job_id in (first, second):
        row = rig.db.job(job_id)
        assert row is not None and row["state"] == "done", row
        assert len(results_for(emu, job_id)) == 1 and rig.db.ledger(job_id) == ["committed"]
    assert len(tasks_for(api, tag)) == 2  # one provider task per variation, never resubmitted
    group = results_for(emu, first)[0]  # delivered together: one message holds both takes, posted once
    assert results_for(emu, second) == [group] and len(group.attachments) == 2
    assert [(rig.db.job(i) or {}).get("message_id") for i in (first, second)] == [group.id, group.id]


async def test_variations_posted_in_the_channel_are_posted_once_across_a_kill(live_rig: LiveRig) -> None:
    """The interaction token is dead, so the group goes to the channel (with the poster's nonce): the bot is
    SIGKILLed the instant Discord stored the group message, and the restart finds it instead of posting again.
    One local render at a time (VIDEOBOT_LOCAL_CONCURRENCY=1): a take that waits for its sibling holds no slot."""
    rig = live_rig
    emu = rig.emu
    tag = "kill-variations-channel"
    handle = await emu.slash(
        emu.alice, "variations", prompt=f"a kite {tag}", count=2, duration=1, model="local:storyboard"
    )
    assert await handle.wait_ack(timeout=10) == 5
    emu.expire_token(handle)
    rows = await rig.db.wait(lambda: found if len(found := rig.db.tagged(tag)) == 2 else None, 20, "2 jobs")
    first, second = sorted(r["id"] for r in rows)
    with kill_on_result(emu, rig.bot, first) as fired:
        await rig.db.wait(lambda: fired, 120, "the group upload (and the kill inside it)", every=0.01)
    await rig.bot.reap()
    assert {(rig.db.job(i) or {}).get("state") for i in (first, second)} == {"delivering"}
    await rig.restart()
    for job_id in (first, second):
        assert (await rig.finished(job_id, timeout=60))["state"] == "done"
    await asyncio.sleep(0.5)  # anything that would post a second copy has had its chance
    group = results_for(emu, first)
    assert len(group) == 1 and results_for(emu, second) == group and len(group[0].attachments) == 2
    assert group[0].interaction_id is None and group[0].nonce  # a channel message, sent with the nonce
    assert [(rig.db.job(i) or {}).get("message_id") for i in (first, second)] == [group[0].id] * 2
    assert rig.db.ledger(first) == rig.db.ledger(second) == ["committed"]
