"""/sequence end to end on the Discord emulator: the command opens a modal (title and shots), its submit starts
the film (offline shots, one status message, the film posted once); a refusal is private and stores nothing."""

from __future__ import annotations

import httpx
import pytest

from emulators.providers import Script
from storage import JobState
from tests.support.discord import (
    fields_of,
    free_port,
    job_id_of,
    listed_of,
    mp4_of,
    runway_bot,
    wait_done,
    wait_result,
)
from tests.support.video import audio_codec, ffmpeg_streams, stream_seconds

pytestmark = pytest.mark.timeout(240)


async def test_the_modal_starts_a_film_posted_once(emu, launch, tmp_path):
    port = free_port()
    bot = await launch(file_server_port=port, public_base_url=f"http://127.0.0.1:{port}")
    opened = await emu.slash(emu.alice, "sequence", model="local:storyboard", transition="crossfade", aspect="1:1")
    assert await opened.wait_ack() == 9  # the modal
    inputs = {c["custom_id"] for row in opened.modal["components"] for c in row["components"]}
    assert inputs == {"sequence:title", "sequence:shots"}
    shots = "a paper boat sets sail | 2s\nthe boat meets a duck | 1s\nthe boat reaches the bank | 1s"
    submitted = await emu.submit_modal(opened, {"sequence:title": "The boat", "sequence:shots": shots})
    assert await submitted.wait_ack() == 5
    film = await wait_result(emu, timeout=180)
    await wait_done(bot, job_id_of(film))
    job = await bot.app.service.get(job_id_of(film))
    assert job.kind == "sequence" and job.state is JobState.DONE
    assert job.spec["subject"] == "The boat" and len(await bot.app.storage.jobs.children(job.id)) == 3
    listed = listed_of(film, "Shots")
    assert len(listed) == 3 and listed[1].startswith("2. [the boat meets a duck](")  # each shot's own page
    async with httpx.AsyncClient() as client:  # the links lead to the shots' pages
        for line in listed:
            url = line[line.index("](") + 2 : -1]
            assert (await client.get(url)).status_code == 200
    path = tmp_path / "film.mp4"
    path.write_bytes(mp4_of(film))
    assert abs((await bot.app.media.probe(path)).duration - (4 - 2 * 0.5)) < 0.2  # the sum minus the overlaps
    posted = [m for m in emu.messages(ephemeral=False) if m.attachments]
    assert posted == [film]  # the film only: its shots are never posted on their own
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 4


async def test_a_refused_film_is_private_and_stores_nothing(emu, launch):
    bot = await launch()
    opened = await emu.slash(emu.alice, "sequence", model="local:storyboard", continuity=True)
    assert await opened.wait_ack() == 9
    submitted = await emu.submit_modal(opened, {"sequence:shots": "a kite\na kite falls"})
    await submitted.wait_ack()
    refusal = await emu.wait_for_message(lambda m: m.ephemeral and "takes no image" in m.content, timeout=20)
    assert refusal.ephemeral and not [m for m in emu.messages(ephemeral=False) if m.attachments]
    assert await bot.app.service.recent(limit=10) == []
    with pytest.raises(ValueError):  # Discord's client does not send a shot list past the input's 4000 characters
        await emu.submit_modal(opened, {"sequence:shots": "x" * 4001})


async def test_a_shot_that_fails_twice_asks_with_two_buttons(emu, launch, emulator):
    emulator.runway.rule("storm", Script(outcome="fail", failure="blocked", failure_code="SAFETY.OUTPUT"))
    bot = await runway_bot(launch, emulator)
    opened = await emu.slash(emu.alice, "sequence", model="runway:gen4.5", duration=2)
    assert await opened.wait_ack() == 9
    shots = "a ship leaves port\nthe ship meets a storm"
    await (await emu.submit_modal(opened, {"sequence:shots": shots})).wait_ack()
    question = await emu.wait_for_message(lambda m: m.ephemeral and "failed twice" in m.content, timeout=60)
    labels = [c["label"] for row in question.components for c in row["components"]]
    assert labels == ["Finish without shot 2", "Cancel the rest"]
    assert emulator.runway.creates["text_to_video"] == 3  # shot 1, and shot 2 with its one retry
    clicked = await emu.click_button(emu.alice, question, label="Finish without shot 2")
    await clicked.wait_ack()
    film = await wait_result(emu, timeout=120)
    await wait_done(bot, job_id_of(film))
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 2  # shot 2's seconds refunded
    answered = emu.get_message(question.id)  # the question became the answer: no button left to click twice
    assert "without shot 2" in answered.content and not answered.components
    assert len([m for m in emu.messages(ephemeral=False) if m.attachments]) == 1


async def test_reroll_on_a_film_picks_a_shot_and_joins_a_new_version(emu, launch):
    bot = await launch()
    opened = await emu.slash(emu.alice, "sequence", model="local:storyboard", duration=1)
    assert await opened.wait_ack() == 9
    shots = "a red kite rises\na red kite loops\na red kite lands"
    await (await emu.submit_modal(opened, {"sequence:shots": shots})).wait_ack()
    film = await wait_result(emu, timeout=180)
    first = job_id_of(film)
    await wait_done(bot, first)

    bob = emu.add_user("bob")
    emu.add_member(emu.guild, bob)
    stranger = await emu.click_button(bob, film, label="Re-roll")
    await stranger.wait_ack()
    await emu.wait_for_message(lambda m: m.ephemeral and "belongs to someone else" in m.content, timeout=20)

    click = await emu.click_button(emu.alice, film, label="Re-roll")
    await click.wait_ack()
    picker = await emu.wait_for_message(lambda m: m.ephemeral and "Which shot" in m.content, timeout=20)
    options = [o["value"] for row in picker.components for c in row["components"] for o in c["options"]]
    assert options == ["1", "2", "3"]
    picked = await emu.select(emu.alice, picker, f"videobot:reshoot:{first}", ["2"])
    assert await picked.wait_ack() == 5
    again = await wait_result(emu, after=film.id, timeout=180)
    second = job_id_of(again)
    await wait_done(bot, second)
    job = await bot.app.service.get(second)
    assert job.kind == "sequence" and job.parent_job_id == first  # a new version of the film: lineage
    origin = fields_of(again)["From"]
    assert origin == f"film of 3 shots, a new version of #{first}"
    old = {s.inputs.shot: s for s in await bot.app.storage.jobs.children(first) if s.kind == "shot"}
    new = {s.inputs.shot: s for s in await bot.app.storage.jobs.children(second) if s.kind == "shot"}
    assert new[1].result_path == old[1].result_path and new[2].result_path != old[2].result_path
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 3 + 1  # only shot 2 again


async def test_sound_offline_is_refused_privately_before_the_modal(emu, launch):
    bot = await launch()  # the local renderer only: no sound model
    opened = await emu.slash(emu.alice, "sequence", model="local:storyboard", sound="waves on a beach")
    assert await opened.wait_ack() == 4  # a private answer instead of the modal
    refusal = await opened.wait_response()
    assert refusal.ephemeral and "no offline sound generator" in refusal.content
    assert await bot.app.service.recent(limit=10) == []
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 0


async def test_sound_puts_one_soundtrack_under_the_film(emu, launch, emulator, tmp_path):
    bot = await runway_bot(launch, emulator)
    opened = await emu.slash(emu.alice, "sequence", model="runway:gen4.5", duration=2, sound="a music box melody")
    assert await opened.wait_ack() == 9
    await (await emu.submit_modal(opened, {"sequence:shots": "a toy train\nthe train enters a tunnel"})).wait_ack()
    film = await wait_result(emu, timeout=180)
    await wait_done(bot, job_id_of(film))
    [task] = [t for t in emulator.runway.tasks.values() if t.endpoint == "sound_effect"]
    assert task.body["promptText"] == "a music box melody"
    made = tmp_path / "film.mp4"
    made.write_bytes(mp4_of(film))
    assert ffmpeg_streams(made) == ["video", "audio"] and audio_codec(made) == "aac"
    assert abs(stream_seconds(made, "a") - stream_seconds(made, "v")) < 0.1 and abs(task.body["duration"] - 4) < 0.2
    assert [m for m in emu.messages(ephemeral=False) if m.attachments] == [film]  # the soundtrack is not posted
