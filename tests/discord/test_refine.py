"""✏️ Refine: a button on the result opens a one-line form; the words make a new version of the result from the
result itself through a video-to-video model (offline: local:restyle), recorded as "refined from #N".  Someone
else's job, a deleted result and an expired form are refused privately, with nothing charged."""

from __future__ import annotations

import pytest

from tests.support.discord import fields_of, job_id_of, mp4_of, results, texts_of, wait_result
from tests.support.video import ffmpeg

pytestmark = pytest.mark.timeout(150)


def middle_frame(video) -> bytes:
    """The frame at 1 s, 48x27 RGB."""
    return ffmpeg(
        "-ss", "1", "-i", str(video), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "48x27", "-"
    )


async def _result(emu, user, prompt="a lighthouse at dusk"):
    await (await emu.slash(user, "video", prompt=prompt, duration=2)).wait_ack()
    return await wait_result(emu)


async def _refused(emu, bot, handle, words, *, used, count=1):
    assert await handle.wait_ack() == 4
    refusal = await handle.wait_response()
    assert refusal.ephemeral and all(w in refusal.content for w in words), refusal.content
    assert len(results(emu)) == count
    assert [j for j in await bot.app.service.recent() if j.kind == "refine"] == []
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == used


async def test_refine_makes_a_new_version_in_the_lineage(emu, launch):
    bot = await launch()
    first = await _result(emu, emu.alice)
    parent = job_id_of(first)
    assert texts_of(first)[-1].endswith("✏️ refine · ❌ delete")
    click = await emu.click_button(emu.alice, first, f"videobot:refine:{parent}")
    assert await click.wait_ack() == 9
    modal = click.modal
    assert modal is not None and modal["title"] == f"Refine #{parent}"
    [field] = modal["components"]
    assert field["label"] == "What to change" and field["component"]["style"] == 1  # one line
    submit = await emu.submit_modal(click, change="make it night, in anime style")
    assert await submit.wait_ack() == 5
    refined = await wait_result(emu, after=first.id, timeout=90)
    job = await bot.app.service.get(job_id_of(refined))
    assert job.kind == "refine" and job.parent_job_id == parent and job.owner_id == emu.alice.id
    assert job.model == "local:restyle" and job.spec["subject"] == "make it night, in anime style"
    assert job.spec["style"] == "anime" and job.spec["duration"] == 2
    assert mp4_of(refined) != mp4_of(first)
    assert fields_of(refined)["From"] == f"refined from #{parent}"
    assert texts_of(refined)[0].startswith(f"### 🎬 Refinement #{job.id}")
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 4  # 2 s, then 2 s more
    # a refine of the refine continues the lineage
    history = await emu.slash(emu.alice, "history", job=job.id)
    assert f"#{parent}" in str((await history.wait_response()).embeds)


async def test_refine_of_someone_elses_result_is_refused(emu, launch):
    bot = await launch()
    first = await _result(emu, emu.admin)
    used = (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used
    click = await emu.click_button(emu.alice, first, f"videobot:refine:{job_id_of(first)}")
    await _refused(emu, bot, click, ["someone else"], used=used)
    assert click.modal is None


async def test_refine_of_a_deleted_result_is_refused(emu, launch):
    bot = await launch()
    first = await _result(emu, emu.alice)
    job_id = job_id_of(first)
    click = await emu.click_button(emu.alice, first, f"videobot:refine:{job_id}")
    assert await click.wait_ack() == 9
    delete = await emu.click_button(emu.alice, first, f"videobot:delete:{job_id}")
    await delete.wait_response()
    await emu.wait_until(lambda: first.deleted, 15, "the result to be deleted")
    submit = await emu.submit_modal(click, change="make it night")
    await _refused(emu, bot, submit, ["deleted"], used=2, count=0)


async def test_an_expired_refine_form_is_refused(emu, launch):
    bot = await launch()
    first = await _result(emu, emu.alice)
    click = await emu.click_button(emu.alice, first, f"videobot:refine:{job_id_of(first)}")
    assert await click.wait_ack() == 9
    bot.forms.ttl = 0.0
    submit = await emu.submit_modal(click, change="slower camera")
    await _refused(emu, bot, submit, ["expired"], used=2)


async def test_refine_through_runway_sends_the_result_and_the_words(emu, launch, emulator, tmp_path):
    bot = await launch(RUNWAYML_API_SECRET=emulator.runway.api_key, RUNWAYML_BASE_URL=emulator.runway_url)
    await (await emu.slash(emu.alice, "video", prompt="a harbour", model="local:storyboard", duration=2)).wait_ack()
    first = await wait_result(emu)
    parent = job_id_of(first)
    click = await emu.click_button(emu.alice, first, f"videobot:refine:{parent}")
    assert await click.wait_ack() == 9
    await (await emu.submit_modal(click, change="make it night")).wait_ack()
    refined = await wait_result(emu, after=first.id, timeout=120)
    job = await bot.app.service.get(job_id_of(refined))
    assert job.kind == "refine" and job.parent_job_id == parent and job.model == "runway:aleph2"
    [task] = emulator.runway.tasks.values()
    assert task.endpoint.endswith("video_to_video") and task.body["promptText"] == "make it night"
    sent, original = tmp_path / "sent.mp4", tmp_path / "original.mp4"
    sent.write_bytes(emulator.runway.uploaded[task.body["videoUri"]])
    original.write_bytes(mp4_of(first))
    a, b = middle_frame(sent), middle_frame(original)
    assert sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a) < 8  # the result itself, decoded at Runway
