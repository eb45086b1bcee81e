"""Kill -9 in the middle of a fallback: Runway refuses the create (503), the job moves to Luma and waits for a
Luma slot; the bot (a real process) is SIGKILLed there and again while the Luma task runs, restarted on the same
data dir each time, and the job finishes once on Luma: Runway never got a second create, one Luma task, one
result with the note, one charge."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from emulators.discord import DiscordEmulator
from emulators.providers import EmulatorServer, Fault, Script
from tests.support.discord import fields_of
from tests.support.harness import RAW_PROBE_DELAY, JobDb, LiveRig, MakeBot, results_for, slow_ffmpeg, tasks_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(200)]  # bot processes killed with SIGKILL


async def test_a_fallback_killed_midway_resumes_without_a_second_create(
    live_discord: DiscordEmulator, live_providers: EmulatorServer, bot_process: MakeBot, tmp_path: Path
) -> None:
    bot = await bot_process(
        VIDEOBOT_PROVIDER_CONCURRENCY="1",
        VIDEOBOT_FALLBACK_TEXT="luma:ray-flash-2",
        VIDEOBOT_FFMPEG=str(slow_ffmpeg(tmp_path / "bin", RAW_PROBE_DELAY)),
    )
    rig = LiveRig(live_discord, live_providers, bot, JobDb(bot.workdir / "data" / "videobot.sqlite3"))
    emu, runway, luma = rig.emu, live_providers.runway, live_providers.luma
    tag, blocker_tag = "kill-fallback-job", "kill-fallback-blocker"
    luma.rule(blocker_tag, Script(queued=0, running=12))
    luma.rule(tag, Script(queued=1, running=14))
    blocker = await rig.video(emu.admin, "luma", "a lighthouse in fog", blocker_tag)  # holds the one Luma slot
    await rig.db.wait_state(blocker["id"], ["running"], timeout=20)
    runway.fail_creates(*[Fault(503)] * 100)  # Runway is down
    handle = await emu.slash(emu.alice, "video", prompt=f"a paper boat {tag}", model="runway:gen4.5", duration=5)
    assert await handle.wait_ack(timeout=10) == 5
    job_id = (await rig.db.wait_tagged(tag))["id"]

    def moved() -> bool:
        row = rig.db.job(job_id)
        return row is not None and row["fallback_from"] == "runway:gen4.5" and row["model"] == "luma:ray-flash-2"

    await rig.crash(job_id, "queued", ready=moved)  # switched, waiting for Luma: killed
    assert runway.create_count == 1 and tasks_for(runway, tag) == []
    await rig.restart()
    luma_polls = lambda: sum(t.polls for t in luma.tasks.values() if t.id in tasks_for(luma, tag))  # noqa: E731
    await rig.crash(job_id, "running", ready=lambda: luma_polls() >= 3)  # killed while Luma renders
    await rig.restart()
    await rig.finished(job_id, timeout=60)
    await rig.finished(blocker["id"], timeout=60)
    await asyncio.sleep(0.5)  # anything that would post a second copy has had its chance
    row = rig.db.job(job_id)
    assert row is not None and row["state"] == "done", row
    posted = results_for(emu, job_id)
    assert len(posted) == 1 and rig.db.ledger(job_id) == ["committed"]
    assert fields_of(posted[0]).get("Fallback") == "Runway is unavailable; made with Luma ray-flash-2"
    assert runway.create_count == 1  # the first provider got exactly one create, never a second after a restart
    assert len(tasks_for(luma, tag)) == 1  # and the fallback one task
    rig.assert_done_once(blocker["id"], "luma", blocker_tag)
