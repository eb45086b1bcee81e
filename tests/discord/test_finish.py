"""⬆️ Finish and /finish end to end: a private quote, nothing charged before **Finish**, the finished version as a
new result in the lineage; a stale quote is quoted again; a stranger's ⬆️ and bad options are refused privately."""

from __future__ import annotations

import time

import pytest

from tests.support.discord import fields_of, job_id_of, mp4_of, results, runway_bot, wait_done, wait_result

pytestmark = pytest.mark.timeout(240)


async def _make(emu, prompt: str = "a red kite over a beach") -> tuple[int, int]:
    """A finished 1 s /video result of alice: (job id, message id)."""
    newest = max(emu.message_store, default=0)
    await (await emu.slash(emu.alice, "video", prompt=prompt, duration=1)).wait_ack()
    result = await wait_result(emu, after=newest, timeout=90)
    return job_id_of(result), result.id


def _quotes(emu, job_id: int) -> list:
    return [m for m in emu.messages() if m.ephemeral and m.embeds and m.embeds[0]["title"] == f"⬆️ Finish #{job_id}?"]


async def _quote(emu, job_id: int, count: int = 1):
    await emu.wait_until(lambda: len(_quotes(emu, job_id)) >= count, 30, "the private quote")
    return _quotes(emu, job_id)[count - 1]


def _fields(message) -> dict[str, str]:
    """A private quote's fields (an embed; results are cards: fields_of)."""
    return {f["name"]: f["value"] for f in message.embeds[0]["fields"]}


def _go(quote) -> str:
    return next(b["custom_id"] for b in quote.buttons() if b["custom_id"].startswith("videobot:finish-go:"))


async def _state(bot, emu) -> tuple[int, float]:
    return len(await bot.app.service.recent(limit=100)), (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used


async def test_finish_button_quotes_privately_then_makes_the_finished_version(emu, launch, tmp_path):
    bot = await launch()
    job_id, message_id = await _make(emu)
    before = await _state(bot, emu)

    click = await emu.click_button(emu.alice, message_id, f"videobot:finish:{job_id}")
    await click.wait_ack()
    quote = await _quote(emu, job_id)
    fields = _fields(quote)
    assert fields["Makes"] == "1920x1080 at 60 fps" and fields["Model"] == "local:finish"
    assert fields["Price"] == "free" and fields["Quota"].startswith("none")
    assert "Nothing is charged until you press **Finish**" in quote.embeds[0]["description"]
    assert await _state(bot, emu) == before  # the quote made no job and charged nothing

    confirm = await emu.click_button(emu.alice, quote, _go(quote))
    assert await confirm.wait_ack() == 5  # a public status, like any job
    finished = await wait_result(emu, after=message_id, timeout=200)
    new_id = job_id_of(finished)
    job = await bot.app.service.get(new_id)
    assert (job.kind, job.parent_job_id, job.model) == ("finish", job_id, "local:finish")
    assert fields_of(finished)["From"] == f"finished version of #{job_id}"  # the result card's
    path = tmp_path / "finished.mp4"
    path.write_bytes(mp4_of(finished))
    info = await bot.app.media.probe(path)
    assert (info.width, info.height, info.fps) == (1920, 1080, 60)
    assert (await _state(bot, emu))[1] == before[1]  # local:finish is free of quota
    assert any(b["custom_id"] == f"videobot:finish:{new_id}" for b in finished.buttons())  # and can be finished on


async def test_a_stale_quote_is_quoted_again_and_cancel_charges_nothing(emu, launch):
    bot = await launch()
    job_id, _ = await _make(emu)
    await (await emu.slash(emu.alice, "finish", job=job_id, resolution="2k", fps=30)).wait_ack()
    quote = await _quote(emu, job_id)
    assert _fields(quote)["Makes"] == "2560x1440 at 30 fps"
    before = await _state(bot, emu)

    bot.app.finisher.clock = lambda: time.time() + 601  # ten minutes and a second later
    stale = await emu.click_button(emu.alice, quote, _go(quote))
    await stale.wait_ack()
    fresh = await _quote(emu, job_id, count=2)  # quoted again, privately, with the same asked values
    assert "10 minutes" in fresh.content and _fields(fresh)["Makes"] == "2560x1440 at 30 fps"
    assert await _state(bot, emu) == before and len(results(emu)) == 1

    cancel = next(b["custom_id"] for b in fresh.buttons() if b["custom_id"].startswith("videobot:finish-cancel:"))
    await (await emu.click_button(emu.alice, fresh, cancel)).wait_ack()
    await emu.wait_until(lambda: "nothing was charged" in fresh.content, 20, "the quote to say cancelled")
    assert fresh.buttons() == [] and await _state(bot, emu) == before


async def test_strangers_and_bad_options_are_refused_privately(emu, launch):
    bot = await launch()
    synced = {c["name"]: c for c in emu.synced_commands(emu.guild)}
    options = {o["name"]: o for o in synced["finish"]["options"]}
    assert list(options) == ["job", "resolution", "fps"] and options["job"]["required"]
    assert [c["value"] for c in options["resolution"]["choices"]] == ["1080p", "2k", "4k"]
    assert [c["value"] for c in options["fps"]["choices"]] == [30, 60]
    job_id, message_id = await _make(emu)
    before = await _state(bot, emu)
    bob = emu.add_user("bob")
    emu.add_member(emu.guild, bob)

    click = await emu.click_button(bob, message_id, f"videobot:finish:{job_id}")
    await click.wait_ack()
    refusal = await emu.wait_for_message(lambda m: m.ephemeral and "someone else" in m.content, timeout=20)
    assert refusal.ephemeral and _quotes(emu, job_id) == []

    handle = await emu.slash(emu.alice, "finish", job=9999)
    await handle.wait_ack()
    await emu.wait_for_message(lambda m: m.ephemeral and "no job #9999" in m.content, timeout=20)
    assert await _state(bot, emu) == before and len(results(emu)) == 1
    assert not [m for m in emu.messages(ephemeral=False) if "Finish" in str(m.embeds)]  # nothing public


async def test_a_paid_finish_is_quoted_then_charged_only_on_finish(emu, launch, emulator):
    bot = await runway_bot(launch, emulator)
    await (await emu.slash(emu.alice, "video", prompt="a red kite", model="runway:gen4.5", duration=2)).wait_ack()
    draft = await wait_result(emu, after=0, timeout=90)
    job_id = job_id_of(draft)
    await wait_done(bot, job_id)
    before = await _state(bot, emu)

    await (await emu.slash(emu.alice, "finish", job=job_id, fps=60)).wait_ack()
    quote = await _quote(emu, job_id)
    fields = _fields(quote)  # a frame rate only: Runway's enhancer, 5 credits/s, 2 s of quota by the clip's length
    assert fields["Model"] == "runway:frame-rate" and fields["Makes"].endswith("at 60 fps")
    assert fields["Price"] == "about $0.10" and fields["Quota"] == "2 s"
    assert await _state(bot, emu) == before  # nothing charged by the quote

    assert await (await emu.click_button(emu.alice, quote, _go(quote))).wait_ack() == 5
    finished = await wait_result(emu, after=draft.id, timeout=90)
    new_id = job_id_of(finished)
    await wait_done(bot, new_id)
    job = await bot.app.service.get(new_id)
    assert (job.model, job.parent_job_id) == ("runway:frame-rate", job_id)
    (task,) = [t for t in emulator.runway.tasks.values() if t.endpoint == "video_upscale"]  # held to the SDK's law
    assert task.body["model"] == "enhance_frame_rate" and task.body["targetFramerate"] == "60"
    assert (await _state(bot, emu))[1] == before[1] + 2  # charged on Finish: the clip's seconds
    assert await bot.app.storage.quota.ledger_state(new_id) == "committed"
