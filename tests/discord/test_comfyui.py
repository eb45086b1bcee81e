"""``/video model:comfyui:…`` end to end: the real bot on the Discord emulator, its jobs on the emulated ComfyUI.

The status message shows ComfyUI's own sampling steps and the place in its queue; the result is a real MP4; a
cancel while running interrupts that prompt only; an execution error reaches the member as a short reason; a job
refused only by a spend cap runs on ``VIDEOBOT_FALLBACK_ON_SPENDCAP`` instead, saying so."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

from tests.support.discord import ephemeral_text, fields_of, is_mp4, job_id_of, mp4_of, results, wait_done, wait_result

pytestmark = pytest.mark.timeout(300)

RESULT = 150.0  # a real render with ffmpeg on a shared, loaded machine: bounded, never a speed assertion

WORKFLOWS = Path(__file__).resolve().parents[2] / "bot" / "providers" / "workflows"


def status_titles(emu, words: str) -> str:
    """The title of a progress message containing ``words``."""
    titles = [m.embeds[0].get("title", "") for m in emu.messages() if m.embeds]
    return next((t for t in titles if words in t), "")


async def test_video_on_comfyui_with_its_progress_in_the_status(emu, launch, comfyui_emulator):
    bot = await launch(COMFYUI_URL=comfyui_emulator.url)
    comfyui_emulator.hold, comfyui_emulator.hold_at = asyncio.Event(), 12
    handle = await emu.slash(
        emu.alice, "video", prompt="a red fox trotting through snow", duration=2, model="comfyui:wan2.2-ti2v", seed=5
    )
    await handle.wait_ack()
    title = await emu.wait_until(lambda: status_titles(emu, "sampling 12/30"), RESULT, "ComfyUI's steps in the status")
    assert "rendering: sampling 12/30" in title
    comfyui_emulator.hold.set()
    result = await wait_result(emu, timeout=RESULT)
    assert is_mp4(mp4_of(result))
    fields = fields_of(result)
    assert fields["Model"] == "comfyui:wan2.2-ti2v" and fields["Seed"] == "5"
    graph = comfyui_emulator.posted[0]["prompt"]
    assert graph["3"]["inputs"]["seed"] == 5 and graph["55"]["inputs"]["length"] == 49
    job = await bot.app.storage.jobs.get(job_id_of(result))
    assert job is not None and job.provider_task_id == comfyui_emulator.posted[0]["prompt_id"]


async def test_the_place_in_comfyuis_queue_shows_while_it_waits(emu, launch, comfyui_emulator):
    await launch(COMFYUI_URL=comfyui_emulator.url)
    comfyui_emulator.hold = asyncio.Event()
    graph = json.loads((WORKFLOWS / "ltx-video.json").read_text())
    body = {"prompt": graph, "client_id": "someone-else"}  # another user of the GPU: their prompt runs first
    async with aiohttp.ClientSession() as http, http.post(f"{comfyui_emulator.url}/prompt", json=body) as resp:
        assert resp.status == 200
    handle = await emu.slash(emu.alice, "video", prompt="a lighthouse", duration=2, model="comfyui:ltx-video")
    await handle.wait_ack()
    title = await emu.wait_until(lambda: status_titles(emu, "comfyui's queue"), RESULT, "the place in ComfyUI's queue")
    assert "waiting (#1 in comfyui's queue)" in title
    comfyui_emulator.hold.set()
    assert is_mp4(mp4_of(await wait_result(emu, timeout=RESULT)))


async def test_an_execution_error_is_shown_as_a_short_reason(emu, launch, comfyui_emulator):
    await launch(COMFYUI_URL=comfyui_emulator.url)
    comfyui_emulator.fail_node = ("72", "Allocation on device 0 would exceed allowed memory (out of memory)")
    handle = await emu.slash(emu.alice, "video", prompt="a lighthouse", duration=2, model="comfyui:ltx-video")
    await handle.wait_ack()
    title = await emu.wait_until(lambda: status_titles(emu, "❌"), RESULT, "the failure notice")
    status = next(m for m in emu.messages() if m.embeds and m.embeds[0].get("title") == title)
    text = status.embeds[0].get("description", "") + " ".join(
        f.get("value", "") for f in status.embeds[0].get("fields", [])
    )
    assert "The GPU server failed at its SamplerCustom step" in text and "out of memory" in text
    assert not results(emu)


async def test_cancel_while_running_interrupts_only_that_prompt(emu, launch, comfyui_emulator):
    await launch(COMFYUI_URL=comfyui_emulator.url)
    comfyui_emulator.hold = asyncio.Event()
    handle = await emu.slash(emu.alice, "video", prompt="a lighthouse", duration=2, model="comfyui:ltx-video")
    await handle.wait_ack()
    await emu.wait_until(lambda: comfyui_emulator.running is not None, RESULT, "ComfyUI to run the prompt")
    job_id = int(status_titles(emu, "#").split("#", 1)[1].split(" ", 1)[0])
    cancel = await emu.slash(emu.alice, "cancel", job=job_id)
    await cancel.wait_ack()
    await emu.wait_until(lambda: comfyui_emulator.interrupts, RESULT, "the interrupt")
    assert comfyui_emulator.interrupts == [{"prompt_id": comfyui_emulator.posted[0]["prompt_id"]}]
    comfyui_emulator.hold.set()
    await emu.wait_until(lambda: status_titles(emu, "cancelled"), RESULT, "the cancelled status")
    assert not results(emu)


async def test_a_job_refused_only_by_the_spend_cap_runs_on_the_fallback_model_saying_so(
    emu, launch, comfyui_emulator, emulator
):
    bot = await launch(
        RUNWAYML_API_SECRET=emulator.runway.api_key,
        RUNWAYML_BASE_URL=emulator.runway_url,
        COMFYUI_URL=comfyui_emulator.url,
        monthly_spend_cap=0.5,
        fallback_on_spendcap="comfyui:ltx-video",
        daily_seconds=600,
    )
    handle = await emu.slash(emu.alice, "video", prompt="a lighthouse at dawn", duration=5, model="runway:gen4.5")
    await handle.wait_ack()
    result = await wait_result(emu, timeout=RESULT)
    fields = fields_of(result)
    assert fields["Model"] == "comfyui:ltx-video" and fields["Duration"] == "4 s"  # its nearest length
    note = "The spend cap is reached, so this video is made with comfyui:ltx-video (4 s) instead of runway:gen4.5."
    assert any(note in text for text in ephemeral_text(emu, emu.alice.id))
    assert emulator.runway.create_count == 0 and len(comfyui_emulator.completed) == 1
    job = await bot.app.storage.jobs.get(job_id_of(result))
    assert job is not None and job.model == "comfyui:ltx-video"
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 4


async def test_without_a_spend_cap_fallback_the_refusal_stands(emu, launch, comfyui_emulator, emulator):
    await launch(
        RUNWAYML_API_SECRET=emulator.runway.api_key,
        RUNWAYML_BASE_URL=emulator.runway_url,
        COMFYUI_URL=comfyui_emulator.url,
        monthly_spend_cap=0.5,
    )
    handle = await emu.slash(emu.alice, "video", prompt="a lighthouse at dawn", duration=5, model="runway:gen4.5")
    await handle.wait_ack()
    await emu.wait_until(lambda: any("monthly cap" in t for t in ephemeral_text(emu, emu.alice.id)), 30, "refusal")
    assert comfyui_emulator.posted == [] and emulator.runway.create_count == 0


async def test_the_gpu_time_is_in_the_ledger_at_the_owners_rate(emu, launch, comfyui_emulator):
    bot = await launch(COMFYUI_URL=comfyui_emulator.url, comfyui_usd_per_gpu_second=2.0)
    handle = await emu.slash(emu.alice, "video", prompt="a lighthouse", duration=2, model="comfyui:ltx-video")
    await handle.wait_ack()
    result = await wait_result(emu, timeout=RESULT)
    prompt_id = comfyui_emulator.posted[0]["prompt_id"]
    messages = dict(comfyui_emulator.history[prompt_id]["status"]["messages"])
    seconds = (messages["execution_success"]["timestamp"] - messages["execution_start"]["timestamp"]) / 1000
    await wait_done(bot, job_id_of(result), timeout=RESULT)  # settled just after the result is posted
    summary = await bot.app.spend.usage(None, 7)
    line = next(m for m in summary.report.by_model if m.key == "comfyui:ltx-video")
    assert (line.jobs, line.unit) == (1, "GPU s") and line.units == pytest.approx(seconds, abs=0.002)
    assert line.usd == pytest.approx(seconds * 2.0, abs=0.01) and summary.report.usd == pytest.approx(line.usd)
    row = await bot.app.storage.costs.job_cost(job_id_of(result))
    assert row is not None and row["state"] == "settled"
