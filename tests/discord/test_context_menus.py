"""Right-click → Apps: "Animate this image", "Remix this video", "Extend" end to end (a short form prefilled
from the message, then the matching command's job), and the wrong message refused privately and for free."""

from __future__ import annotations

import pytest

from tests.support.discord import job_id_of, png_bytes, refused_privately, wait_result
from tests.support.video import make_clip

pytestmark = pytest.mark.timeout(150)
MENUS = {"Animate this image", "Remix this video", "Extend"}


async def test_the_menus_are_message_commands(emu, launch):
    await launch()
    synced = {c["name"]: c for c in emu.synced_commands(emu.guild)}
    assert set(synced) >= MENUS
    assert all(synced[name]["type"] == 3 for name in MENUS)
    assert "Add sound" not in synced  # offline there is no sound model: no menu, as there is no /sound


async def test_animate_this_image(emu, launch):
    bot = await launch()
    image = png_bytes((120, 90), (30, 160, 90))
    posted = await emu.post_user_message(emu.admin, content="my cat <@1> wags its tail", files={"cat.png": image})
    handle = await emu.message_command(emu.alice, "Animate this image", posted)
    assert await handle.wait_ack() == 9
    assert handle.modal["components"][0]["component"]["value"] == "my cat wags its tail"  # prefilled
    submit = await emu.submit_modal(handle)
    assert await submit.wait_ack() == 5
    result = await wait_result(emu)
    job = await bot.app.service.get(job_id_of(result))
    assert job.owner_id == emu.alice.id and job.spec["subject"] == "my cat wags its tail"
    assert job.inputs.image and job.model == "local:motion"
    assert len(emu.cdn_downloads) == 1


async def test_remix_this_video(emu, launch, tmp_path):
    bot = await launch()
    clip = make_clip(tmp_path / "src.mp4", seconds=2, size="160x96", source="testsrc2")
    posted = await emu.post_user_message(emu.admin, files={"dance.mp4": clip.read_bytes()})
    handle = await emu.message_command(emu.alice, "Remix this video", posted)
    assert await handle.wait_ack() == 9
    submit = await emu.submit_modal(handle, prompt="a watercolour painting")
    assert await submit.wait_ack() == 5
    result = await wait_result(emu, timeout=90)
    job = await bot.app.service.get(job_id_of(result))
    assert job.kind == "remix" and job.spec["subject"] == "a watercolour painting" and job.spec["duration"] == 2


async def test_extend_a_result(emu, launch):
    bot = await launch()
    await (await emu.slash(emu.alice, "video", prompt="a kite over a beach", duration=2)).wait_ack()
    first = await wait_result(emu)
    parent = job_id_of(first)
    handle = await emu.message_command(emu.alice, "Extend", first)
    assert await handle.wait_ack() == 9
    assert handle.modal["components"][0]["component"]["value"] == "a kite over a beach"
    submit = await emu.submit_modal(handle, prompt="the kite flies away")
    assert await submit.wait_ack() == 5
    result = await wait_result(emu, after=first.id)
    job = await bot.app.service.get(job_id_of(result))
    assert job.kind == "extend" and job.parent_job_id == parent and job.spec["subject"] == "the kite flies away"


@pytest.mark.parametrize(
    ("menu", "words"),
    [("Animate this image", ("no image",)), ("Remix this video", ("no attached video",)), ("Extend", ("not one of",))],
)
async def test_a_message_without_the_right_thing_is_refused_privately(emu, launch, menu, words):
    bot = await launch()
    posted = await emu.post_user_message(emu.admin, content="just words", files={"notes.txt": b"hello\n"})
    handle = await emu.message_command(emu.alice, menu, posted)
    emu.message_store.pop(posted.id)  # the refusal check below looks at the bot's public messages only
    await refused_privately(emu, bot, handle, *words)


async def test_extend_of_someone_elses_result_is_refused_privately(emu, launch):
    bot = await launch()
    await (await emu.slash(emu.admin, "video", prompt="a kite over a beach", duration=1)).wait_ack()
    first = await wait_result(emu)
    handle = await emu.message_command(emu.alice, "Extend", first)
    assert await handle.wait_ack() == 4
    refusal = await handle.wait_response()
    assert refusal.ephemeral and "someone else" in refusal.content
    assert handle.modal is None
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 0
    assert await bot.app.service.active_jobs(emu.alice.id) == []


async def test_animate_an_image_link_read_through_discords_media_proxy(emu, launch):
    bot = await launch()
    image = png_bytes((120, 90), (200, 40, 160))
    link = "https://example.invalid/pictures/sunset.png"  # never fetched: only Discord's proxied copy is
    posted = await emu.post_user_message(emu.admin, content=f"look {link}", unfurl={link: image})
    handle = await emu.message_command(emu.alice, "Animate this image", posted)
    assert await handle.wait_ack() == 9
    submit = await emu.submit_modal(handle, prompt="the sun sets")
    assert await submit.wait_ack() == 5
    result = await wait_result(emu)
    job = await bot.app.service.get(job_id_of(result))
    assert job.inputs.image and job.spec["subject"] == "the sun sets"
    assert len(emu.cdn_downloads) == 1
