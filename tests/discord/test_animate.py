"""/animate: images only (judged from the bytes), a size cap checked before downloading."""

from __future__ import annotations

import pytest

from emulators.discord import Upload
from tests.support.discord import fields_of, is_mp4, mp4_of, png_bytes, results, wait_result

pytestmark = pytest.mark.timeout(90)


async def test_animate_an_image(emu, launch):
    await launch()
    image = Upload("cat.png", png_bytes((120, 90)), "image/png")
    handle = await emu.slash(
        emu.alice, "animate", prompt="the cat turns its head", camera="orbit", duration=1, attachments={"image": image}
    )
    assert await handle.wait_ack() == 5 and handle.ack_latency < 3.0
    result = await wait_result(emu)
    fields = fields_of(result)
    assert fields["Model"] == "local:motion" and fields["Camera"] == "orbit"
    assert is_mp4(mp4_of(result))
    assert len(emu.cdn_downloads) == 1  # read once, from the URL in Discord's payload


async def test_a_file_that_is_not_an_image_is_refused_without_a_job_or_a_charge(emu, launch):
    bot = await launch()
    fake = Upload("holiday.png", b"#!/bin/sh\necho this is not a picture\n" * 20, "image/png")
    handle = await emu.slash(emu.alice, "animate", prompt="make it move", attachments={"image": fake})
    await handle.wait_ack()
    refusal = await emu.wait_for_message(lambda m: m.ephemeral and bool(m.content), timeout=30)
    assert "image" in refusal.content.lower()
    assert handle.original is None or handle.original.deleted
    assert not results(emu)
    assert await bot.app.service.active_jobs(emu.alice.id) == []
    assert await bot.app.service.history(emu.alice.id) == []
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 0


async def test_an_image_over_the_cap_is_refused_before_it_is_downloaded(emu, launch):
    bot = await launch(max_image_bytes=20_000)
    big = Upload("huge.png", png_bytes((400, 400)) + b"\0" * 30_000, "image/png")
    handle = await emu.slash(emu.alice, "animate", attachments={"image": big})
    assert await handle.wait_ack() == 4  # answered at once, privately: nothing public was started
    refusal = await handle.wait_response()
    assert refusal.ephemeral and "MiB" in refusal.content
    assert emu.cdn_downloads == []
    assert await bot.app.service.active_jobs(emu.alice.id) == []
