"""/variations end to end: several seeds, quota checked for all at once, each delivered as its own result."""

from __future__ import annotations

import pytest

from tests.discord.conftest import job_id_of, mp4_of, results, wait_done

pytestmark = pytest.mark.timeout(180)


async def test_variations_make_one_result_per_seed(emu, launch):
    bot = await launch()
    handle = await emu.slash(emu.alice, "variations", prompt="a paper lantern rising", count=3, duration=1)
    assert await handle.wait_ack() == 5
    await emu.wait_until(lambda: len(results(emu)) == 3, 150, "three results")
    jobs = sorted([await bot.app.service.get(job_id_of(m)) for m in results(emu)], key=lambda j: j.id)
    assert [j.kind for j in jobs] == ["variation"] * 3
    assert len({j.spec["seed"] for j in jobs}) == 3  # three different seeds
    assert len({mp4_of(m) for m in results(emu)}) == 3  # three different videos
    first = jobs[0].id
    lineage = {}
    for message in results(emu):
        fields = {f["name"]: f["value"] for f in message.embeds[0]["fields"]}
        lineage[job_id_of(message)] = fields["From"]
    assert lineage[first] == "variation 1/3"
    assert lineage[jobs[2].id] == f"variation 3/3 of #{first}"
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 3
    note = await emu.wait_for_message(lambda m: m.ephemeral and "3 variations" in m.content, timeout=20)
    assert f"#{first}" in note.content


async def test_variations_that_do_not_fit_the_quota_are_refused_at_once(emu, launch):
    bot = await launch(daily_seconds=5)
    handle = await emu.slash(emu.alice, "variations", prompt="a paper lantern rising", count=3, duration=2)
    await handle.wait_ack()
    refusal = await emu.wait_for_message(lambda m: m.ephemeral and "Not enough quota" in m.content, timeout=20)
    assert "needs 6 s" in refusal.content
    assert handle.original is None or handle.original.deleted
    assert await bot.app.service.recent() == [] and not results(emu)
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 0


async def test_a_variation_count_or_model_limit_is_refused_privately(emu, launch):
    bot = await launch()
    handle = await emu.slash(emu.alice, "variations", prompt="a lantern", count=2, model="local:motion")
    assert await handle.wait_ack() == 4
    assert "cannot do text-to-video" in (await handle.wait_response()).content
    assert await bot.app.service.recent() == []


async def test_a_failed_variation_is_refunded_alone(emu, launch, emulator):
    from emulators.providers import Script

    bot = await launch(RUNWAYML_API_SECRET=emulator.runway.api_key, RUNWAYML_BASE_URL=emulator.runway_url,
                       daily_seconds=100)  # fmt: skip
    emulator.runway.script_next(Script(outcome="fail"), Script())
    handle = await emu.slash(emu.alice, "variations", prompt="a lantern", count=2, duration=4, model="runway:gen4.5")
    assert await handle.wait_ack() == 5
    await emu.wait_until(lambda: len(results(emu)) == 1, 150, "the surviving variation")
    jobs = [j for j in await bot.app.service.recent() if j.kind == "variation"]
    for job in jobs:
        await wait_done(bot, job.id, timeout=60)
    states = [(await bot.app.service.get(j.id)).state.value for j in jobs]
    assert sorted(states) == ["done", "failed"]
    ledger = sorted([await bot.app.storage.quota.ledger_state(j.id) for j in jobs])
    assert ledger == ["committed", "refunded"]
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == pytest.approx(
        4.0
    )  # the surviving 4 s variation, one for one
