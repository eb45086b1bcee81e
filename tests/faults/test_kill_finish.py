"""Kill -9 at every step of a /finish (Runway's frame-rate enhancer, ``VIDEOBOT_FINISH_MODEL``): the bot (a real
process) is SIGKILLed in each state of the finished version's job, restarted on the same data dir, and the job
still finishes exactly once: one Runway task, delivered once, charged once (see test_kill_remix.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from emulators.providers import Script
from tests.support.harness import RAW_PROBE_DELAY, JobDb, LiveRig, results_for, slow_ffmpeg, walk_from_running

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]  # bot processes killed with SIGKILL


async def test_a_finish_killed_at_every_step_delivers_once_and_charges_once(
    live_discord, live_providers, bot_process, tmp_path: Path
) -> None:
    ffmpeg = slow_ffmpeg(tmp_path / "bin", RAW_PROBE_DELAY)  # a catchable POSTPROCESSING, as live_rig has
    bot = await bot_process(
        VIDEOBOT_PROVIDER_CONCURRENCY="1",
        VIDEOBOT_LOCAL_CONCURRENCY="1",
        VIDEOBOT_FFMPEG=str(ffmpeg),
        VIDEOBOT_FINISH_MODEL="runway:frame-rate",
    )
    rig = LiveRig(live_discord, live_providers, bot, JobDb(bot.workdir / "data" / "videobot.sqlite3"))
    emu, api = rig.emu, rig.providers.runway
    draft = await rig.video(emu.alice, "local", "a paper kite over a beach", "kill-finish-draft")
    await rig.finished(draft["id"], timeout=60)
    api.rule("", Script(queued=1, running=14, output_delay=0.6))  # every Runway task: long enough to kill in
    await (await emu.slash(emu.alice, "finish", job=draft["id"], fps=60)).wait_ack(timeout=10)
    quote = await emu.wait_for_message(lambda m: m.ephemeral and bool(m.embeds), timeout=30)
    assert {f["name"]: f["value"] for f in quote.embeds[0]["fields"]}["Model"] == "runway:frame-rate"
    go = next(b["custom_id"] for b in quote.buttons() if b["custom_id"].startswith("videobot:finish-go:"))
    assert await (await emu.click_button(emu.alice, quote, go)).wait_ack(timeout=10) == 5
    row = await rig.db.wait(
        lambda: next(iter(rig.db.rows("SELECT * FROM jobs WHERE kind = 'finish'")), None), 20, "the finish job"
    )
    job_id = row["id"]

    def upscales() -> list[str]:
        return [t.id for t in api.tasks.values() if t.endpoint == "video_upscale"]

    await walk_from_running(rig, job_id, polled=lambda: sum(t.polls for t in api.tasks.values()) >= 3)
    final = await rig.finished(job_id)
    await asyncio.sleep(0.5)  # anything that would post a second copy has had its chance

    assert final["state"] == "done" and final["parent_job_id"] == draft["id"], final
    assert len(results_for(emu, job_id)) == 1  # delivered once
    assert len(upscales()) == 1  # one Runway task, never resubmitted
    assert rig.db.ledger(job_id) == ["committed"]  # charged once
    assert rig.kills == ["running", "downloading", "postprocessing", "delivering"]
