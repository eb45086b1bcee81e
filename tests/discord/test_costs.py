"""What it really costs (issue 10, part 3), end to end: jobs on the Runway and Replicate emulators through the
Discord emulator, then /admin usage, whose figures must equal what the emulators' own task records say they
billed (Runway credits, Replicate predict time); and a server's monthly spend cap, refused privately."""

from __future__ import annotations

import asyncio
import re

import pytest

from emulators.providers import Script
from emulators.providers.replicate import ReplicateEmulator
from storage import JobState
from tests.support.discord import ephemeral_text

pytestmark = pytest.mark.timeout(240)

ZEROSCOPE_GPU_USD = 0.00115  # bot/providers/prices.py, read 2026-11


def cloud(emulator) -> dict[str, str]:
    return {
        "RUNWAYML_API_SECRET": emulator.runway.api_key,
        "RUNWAYML_BASE_URL": emulator.runway_url,
        "REPLICATE_API_TOKEN": emulator.replicate.api_key,
        "REPLICATE_BASE_URL": emulator.replicate_url,
    }


async def run_job(emu, bot, user, **options) -> int:
    """Submit /video and wait until the job has ended (delivered or failed); its id."""
    before = {j.id for j in await bot.app.service.recent(100)}
    handle = await emu.slash(user, "video", **options)
    await handle.wait_ack()
    async with asyncio.timeout(120):
        while True:
            new = [j for j in await bot.app.service.recent(100) if j.id not in before]
            if new and new[0].state.finished:
                return new[0].id
            await asyncio.sleep(0.1)


def usage_lines(message) -> list[str]:
    return str(message.embeds[0]["description"]).replace("\\", "").splitlines()


def model_line(lines: list[str], model: str) -> tuple[int, float, str, float]:
    """(jobs, units, unit, dollars) from '  runway:gen4.5: 3 jobs, 168 credits, $1.68'."""
    line = next(line for line in lines if line.strip().startswith(f"{model}:"))
    match = re.search(r": (\d+) jobs, ([\d,.]+) (credits|GPU s|output s), \$([\d,.]+)", line)
    assert match, line
    return int(match[1]), float(match[2].replace(",", "")), match[3], float(match[4].replace(",", ""))


async def test_admin_usage_equals_what_the_emulators_billed(emu, launch, emulator):
    bot = await launch(**cloud(emulator), daily_seconds=600)
    bob = emu.add_user("bob")
    emu.add_member(emu.guild, bob)
    emulator.runway.rule("forbidden", Script(outcome="fail", failure_code="SAFETY.INPUT.TEXT"))  # billed
    emulator.runway.rule("glitch", Script(outcome="fail", failure_code="INTERNAL.BAD_OUTPUT"))  # refunded
    emulator.replicate.rule("wobble", Script(outcome="fail", failure="CUDA out of memory"))  # GPU time billed

    jobs = [
        await run_job(emu, bot, emu.alice, prompt="a lighthouse at dawn", duration=5, model="runway:gen4.5"),
        await run_job(emu, bot, emu.alice, prompt="a paper boat", duration=3, model="replicate:zeroscope"),
        await run_job(emu, bot, bob, prompt="a forbidden door", duration=4, model="runway:gen4.5"),
        await run_job(emu, bot, bob, prompt="a glitch in the sky", duration=6, model="runway:gen4.5"),
        await run_job(emu, bot, bob, prompt="a wobble of jelly", duration=2, model="replicate:zeroscope"),
        await run_job(emu, bot, bob, prompt="a fox in snow", duration=2, model="replicate:zeroscope"),
        # the same request again: served from the cache, nothing spent, what it saved counted
        await run_job(emu, bot, emu.alice, prompt="a lighthouse at dawn", duration=5, model="runway:gen4.5"),
    ]
    states = [(await bot.app.service.get(j)).state.value for j in jobs]
    assert states == ["done", "done", "failed", "failed", "failed", "done", "done"]
    assert emulator.runway.create_count == 3 and emulator.replicate.create_count == 3

    # what the emulators' own records say they billed (the final figure each task reported)
    credits = sum(emulator.runway.reported.values())
    gpu_seconds = sum(emulator.replicate.reported.values())
    assert len(emulator.runway.reported) == 3 and len(emulator.replicate.reported) == 3
    assert credits == 12 * 5 + 12 * 4  # the success and the moderated input are billed; the glitch is not
    failed_gpu = sum(
        ReplicateEmulator.predict_time(t) for t in emulator.replicate.tasks.values() if t.script.outcome == "fail"
    )
    assert 0 < failed_gpu < gpu_seconds

    handle = await emu.slash(emu.admin, "admin usage", days=7)
    assert await handle.wait_ack() == 5
    message = await handle.wait_response(timeout=30)
    assert message.ephemeral
    lines = usage_lines(message)
    assert model_line(lines, "runway:gen4.5") == (3, pytest.approx(credits), "credits", pytest.approx(credits * 0.01))
    jobs_r, units_r, unit_r, usd_r = model_line(lines, "replicate:zeroscope")
    assert (jobs_r, unit_r) == (3, "GPU s") and units_r == pytest.approx(gpu_seconds, abs=0.01)
    assert usd_r == pytest.approx(gpu_seconds * ZEROSCOPE_GPU_USD, abs=0.006)
    total = credits * 0.01 + gpu_seconds * ZEROSCOPE_GPU_USD
    text = "\n".join(lines)
    assert f"${total:,.2f} on 6 jobs" in text
    failed_usd = 12 * 4 * 0.01 + failed_gpu * ZEROSCOPE_GPU_USD
    assert f"Failures refunded: 3 (providers still billed ${failed_usd:,.2f})" in text
    assert "cache hits: 1 (saved $0.60)" in text  # 5 s of gen4.5 at 12 credits/s
    members = [line for line in lines if line.startswith("  ") and "(" in line and "jobs" in line]
    assert str(emu.alice.id) in "".join(members) and str(bob.id) in "".join(members)
    # the storage's own record agrees, job by job
    for job_id in jobs[:6]:
        row = await bot.app.storage.costs.job_cost(job_id)
        assert row is not None and row["state"] == "settled"

    # the command line says the same, bot-wide
    summary = await bot.app.spend.usage(None, 7)
    assert summary.report.usd == pytest.approx(total, abs=1e-5) and summary.report.jobs == 6


async def test_a_server_spend_cap_is_refused_privately_and_charges_nothing(emu, launch, emulator):
    bot = await launch(**cloud(emulator), daily_seconds=600)
    answer = await (await emu.slash(emu.admin, "admin spendcap", dollars=1.0)).wait_response(timeout=15)
    assert "$1.00 a month" in answer.content and answer.ephemeral
    await run_job(emu, bot, emu.alice, prompt="a lighthouse at dawn", duration=5, model="runway:gen4.5")  # $0.60
    used = (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used
    jobs_before = len(await bot.app.service.recent(100))

    handle = await emu.slash(emu.alice, "video", prompt="a second lighthouse", duration=5, model="runway:gen4.5")
    await handle.wait_ack()
    await emu.wait_until(lambda: any("monthly cap" in t for t in ephemeral_text(emu, emu.alice.id)), 30, "refusal")
    refusal = next(t for t in ephemeral_text(emu, emu.alice.id) if "monthly cap" in t)
    assert "This server has spent $0.60 of its $1.00 monthly cap; it resets on 1 " in refusal
    assert "Nothing was charged" in refusal
    assert len(await bot.app.service.recent(100)) == jobs_before and emulator.runway.create_count == 1
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == used
    assert not [m for m in emu.messages(ephemeral=False) if "monthly cap" in m.content]

    # a shorter clip still fits ($0.24); clearing the cap lifts it
    await run_job(emu, bot, emu.alice, prompt="a short lighthouse", duration=2, model="runway:gen4.5")
    cleared = await (await emu.slash(emu.admin, "admin spendcap", dollars=0)).wait_response(timeout=15)
    assert "no monthly spend cap" in cleared.content
    await run_job(emu, bot, emu.alice, prompt="a third lighthouse", duration=5, model="runway:gen4.5")
    assert emulator.runway.create_count == 3


async def test_the_bot_wide_cap_refuses_privately_what_would_pass_it(emu, launch, emulator):
    bot = await launch(**cloud(emulator), daily_seconds=600, monthly_spend_cap=0.5)
    handle = await emu.slash(emu.alice, "video", prompt="a lighthouse at dawn", duration=5, model="runway:gen4.5")
    await handle.wait_ack()
    await emu.wait_until(lambda: any("monthly cap" in t for t in ephemeral_text(emu, emu.alice.id)), 30, "refusal")
    refusal = next(t for t in ephemeral_text(emu, emu.alice.id) if "monthly cap" in t)
    assert "The bot has spent $0.00 of its $0.50 monthly cap; it resets on 1 " in refusal
    assert "would cost about $0.60" in refusal
    assert await bot.app.service.recent(10) == [] and emulator.runway.create_count == 0
    # the offline renderer is free: never refused for money
    await run_job(emu, bot, emu.alice, prompt="a lighthouse at dawn", model="local:storyboard")
    assert (await bot.app.service.recent(1))[0].state is JobState.DONE


async def test_variations_that_together_pass_the_cap_are_refused_at_once(emu, launch, emulator):
    bot = await launch(**cloud(emulator), daily_seconds=600)
    await (await emu.slash(emu.admin, "admin spendcap", dollars=1.0)).wait_response(timeout=15)
    handle = await emu.slash(emu.alice, "variations", prompt="a lantern", count=2, duration=5, model="runway:gen4.5")
    await handle.wait_ack()
    await emu.wait_until(lambda: any("monthly cap" in t for t in ephemeral_text(emu, emu.alice.id)), 30, "refusal")
    refusal = next(t for t in ephemeral_text(emu, emu.alice.id) if "monthly cap" in t)
    assert "spent $0.00 of its $1.00 monthly cap" in refusal and "would cost about $1.20" in refusal
    assert await bot.app.service.recent(10) == [] and emulator.runway.create_count == 0
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 0


async def test_model_menus_show_prices_not_a_quota_weight(emu, launch, emulator):
    await launch(**cloud(emulator))
    choices = await (await emu.autocomplete(emu.alice, "variations", "model", "gen4.5", prompt="x")).wait_choices()
    assert [c["name"] for c in choices] == ["runway:gen4.5 · 12 credits/s ($0.12/s)"]
    remix = await (await emu.autocomplete(emu.alice, "remix", "model", "zeroscope")).wait_choices()
    assert [c["name"] for c in remix] == ["replicate:zeroscope · up to 3 s · $0.00115/s of GPU"]


async def test_a_job_moved_by_a_fallback_is_priced_for_the_model_that_ran(emu, launch, emulator):
    bot = await launch(**cloud(emulator), daily_seconds=600, fallback_text=["replicate:zeroscope"])
    emulator.runway.rule("glitch", Script(outcome="fail", failure_code="INTERNAL.BAD_OUTPUT"))  # Runway's fault
    job_id = await run_job(emu, bot, emu.alice, prompt="a glitch in the harbour", duration=2, model="runway:gen4.5")
    job = await bot.app.service.get(job_id)
    assert job.state is JobState.DONE and job.model == "replicate:zeroscope", job.error
    assert list(emulator.runway.reported.values()) == [0]  # Runway refunded its own failure
    [gpu] = emulator.replicate.reported.values()
    row = await bot.app.storage.costs.job_cost(job_id)
    assert row is not None and (row["model"], row["unit"], row["state"]) == ("replicate:zeroscope", "GPU s", "settled")
    assert row["spent_units"] == gpu and row["spent_usd"] == pytest.approx(gpu * ZEROSCOPE_GPU_USD, abs=1e-6)

    handle = await emu.slash(emu.admin, "admin usage")
    lines = usage_lines(await handle.wait_response(timeout=30))
    assert model_line(lines, "replicate:zeroscope")[:3] == (1, pytest.approx(gpu, abs=0.01), "GPU s")
    assert not [line for line in lines if line.strip().startswith("runway:")]
