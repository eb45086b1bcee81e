"""Kill -9 at every step of a sound job (🔊 / /sound: Runway video_to_audio made for a finished clip, laid under
it): the bot (a real process) is SIGKILLed in each state, restarted on the same data dir, and the sound job still
finishes exactly once: one provider task, delivered once, its quota reservation committed once and its cost
recorded once (see test_kill_remix.py, whose steps it walks)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from emulators.providers import Script
from tests.support.harness import LiveRig, results_for, tasks_for, walk_the_steps
from tests.support.video import audio_codec, stream_seconds, video_stream_md5

pytestmark = [pytest.mark.slow, pytest.mark.timeout(200)]  # bot processes killed with SIGKILL


async def test_a_sound_job_killed_at_every_step_finishes_once(live_rig: LiveRig, tmp_path: Path) -> None:
    rig = live_rig
    emu, api = rig.emu, rig.providers.runway
    clip_tag, tag, blocker_tag = "kill-sound-clip", "kill-sound-job", "kill-sound-blocker"
    clip = await rig.video(emu.alice, "runway", "a kettle on a stove", clip_tag)
    assert (await rig.finished(clip["id"]))["state"] == "done"
    api.rule(blocker_tag, Script(queued=0, running=6))
    api.rule(tag, Script(queued=1, running=14, output_delay=0.6))
    blocker = await rig.video(emu.admin, "runway", "a lighthouse in fog", blocker_tag)
    await rig.db.wait_state(blocker["id"], ["running"], timeout=20)
    handle = await emu.slash(emu.alice, "sound", job=clip["id"], prompt=f"a whistling kettle {tag}")
    assert await handle.wait_ack(timeout=10) == 5
    job_id = (await rig.db.wait_tagged(tag))["id"]
    await walk_the_steps(rig, "runway", job_id, tag)
    await rig.finished(blocker["id"])
    await asyncio.sleep(0.5)  # anything that would post a second copy has had its chance
    row = rig.db.job(job_id)
    assert row is not None and row["state"] == "done" and (row["kind"], row["parent_job_id"]) == ("sound", clip["id"])
    posted = results_for(emu, job_id)
    assert len(posted) == 1 and row["message_id"] == posted[0].id  # delivered once
    (task,) = [api.tasks[i] for i in tasks_for(api, tag)]  # one provider task, never resubmitted
    assert task.endpoint == "video_to_audio"
    # charged once: free of the seconds quota (no reservation), its money settled once at Runway's own figure
    assert rig.db.ledger(job_id) == []
    costs = rig.db.rows("SELECT * FROM job_costs WHERE job_id = ?", (job_id,))
    assert len(costs) == 1 and costs[0]["state"] == "settled", costs
    assert costs[0]["spent_units"] == api.reported[task.id] > 0
    rig.assert_done_once(blocker["id"], "runway", blocker_tag)
    made, original = Path(row["result_path"]), Path(clip["result_path"] or rig.db.job(clip["id"])["result_path"])
    assert video_stream_md5(made) == video_stream_md5(original) and audio_codec(made) == "aac"
    assert abs(stream_seconds(made, "a") - stream_seconds(original, "v")) < 0.1
