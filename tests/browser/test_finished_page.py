"""A 4K finished version's result page in a real headless Chromium: /finish of a draft (offline, local:finish),
delivered through the Discord emulator; its page plays the full 3840x2160 file and offers it for download."""

from __future__ import annotations

import pytest

from tests.support.discord import free_port, job_id_of, wait_done, wait_result

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]  # slow: a 4K render and a real Chromium
WAIT_MS = 120_000  # a safety net on a loaded machine; every wait is for a condition


async def test_a_4k_finished_result_page_plays_at_full_size(browser, artifacts, emu, launch):
    port = free_port()
    bot = await launch(file_server_port=port, public_base_url=f"http://127.0.0.1:{port}")
    await (await emu.slash(emu.alice, "video", prompt="a paper kite over a beach", duration=1)).wait_ack()
    draft = await wait_result(emu, after=0, timeout=120)
    await (await emu.slash(emu.alice, "finish", job=job_id_of(draft), resolution="4k", fps=30)).wait_ack()
    quote = await emu.wait_for_message(lambda m: m.ephemeral and bool(m.embeds), timeout=30)
    go = next(b["custom_id"] for b in quote.buttons() if b["custom_id"].startswith("videobot:finish-go:"))
    await (await emu.click_button(emu.alice, quote, go)).wait_ack()
    finished = await wait_result(emu, after=draft.id, timeout=300)
    await wait_done(bot, job_id_of(finished), timeout=60)
    job = await bot.app.service.get(job_id_of(finished))
    assert (job.result_width, job.result_height) == (3840, 2160)

    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    response = await page.goto(bot.app.gallery.links.page_url(job.id))
    assert response is not None and response.status == 200
    await page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play() }")
    await page.wait_for_function(
        "() => { const v = document.querySelector('video'); return !v.error && v.currentTime > 0.2 }",
        timeout=WAIT_MS,
    )
    size = await page.evaluate(
        "() => [document.querySelector('video').videoWidth, document.querySelector('video').videoHeight]"
    )
    assert size == [3840, 2160]  # the full file plays, not a fitted copy
    download = page.locator("a[download]")
    assert await download.count() == 1
    full = bot.app.gallery.links.video_path(job.id)  # the stored result itself, never a fitted copy
    assert (await download.get_attribute("href")).startswith(full)
    assert (await page.evaluate("() => document.querySelector('video source').getAttribute('src')")) == full
    await page.screenshot(path=str(artifacts / "finished-4k.png"))
    assert errors == []
    await page.close()
