"""Result pages and galleries in a real headless Chromium, served by the real bot after real deliveries
through the Discord emulator (local provider): the video plays, the poster and the prompt parts show, the
galleries list the right results for a member and for an admin, paginate, and drop a deleted result."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from tests.support.discord import ephemeral_text, free_port, job_id_of, text_of, wait_done, wait_result

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]  # slow: a real Chromium
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
WAIT_MS = 90_000  # a safety net on a loaded machine; every wait is for a condition


async def make(emu, user, after: int, **options: Any):
    handle = await emu.slash(user, "video", duration=2, **options)
    await handle.wait_ack()
    return await wait_result(emu, after=after, timeout=120)


async def link_from(emu, user, command: str) -> str:
    before = len(ephemeral_text(emu, user.id))
    handle = await emu.slash(user, command)
    await handle.wait_response(timeout=30)
    text = ephemeral_text(emu, user.id)[before:]
    return next(m.group(0) for t in text for m in [re.search(r"http://\S+/g/\S+", t)] if m)


async def card_ids(page) -> list[int]:
    return [int(x) for x in await page.locator("li.card").evaluate_all("cards => cards.map(c => c.dataset.job)")]


@pytest.fixture
async def delivered(emu, launch):
    """Alice makes three videos (the first too large to upload: it is posted as its page's link), Bob one."""
    port = free_port()
    bot = await launch(file_server_port=port, public_base_url=f"http://127.0.0.1:{port}", gallery_page_size=2)
    bob = emu.add_user("bob", global_name="Bob Builder")
    emu.add_member(emu.guild, bob)
    first = await make(
        emu,
        emu.alice,
        0,
        prompt="a paper boat on a rainy street",
        camera="dolly_in",
        style="cinematic",
        lighting="overcast",
        attachment_size_limit=2000,
    )
    jobs = [job_id_of(first)]
    last = first
    for user, prompt in (
        (emu.alice, "a lighthouse at night"),
        (bob, "a tractor in a field"),
        (emu.alice, "a hot air balloon at dawn"),
    ):
        last = await make(emu, user, last.id, prompt=prompt)
        jobs.append(job_id_of(last))
    for job_id in jobs:
        await wait_done(bot, job_id, timeout=30)
    return bot, first, jobs, bob


async def test_a_delivered_result_page_plays_with_its_poster_and_parts(browser, artifacts, emu, delivered):
    bot, first, jobs, _ = delivered
    url = next(word for word in text_of(first).split() if "/r/" in word)
    assert url == bot.app.gallery.links.page_url(jobs[0])  # the oversized result was posted as its page
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = await browser.new_page(viewport=viewport)
        errors: list[str] = []
        page.on("console", lambda msg, errors=errors: errors.append(msg.text) if msg.type == "error" else None)
        response = await page.goto(url)
        assert response is not None and response.status == 200
        await page.wait_for_function(
            "() => { const p = new Image(); p.src = document.querySelector('video').poster;"
            " return document.querySelector('video').poster !== '' && p.complete && p.naturalWidth > 0 }",
            timeout=WAIT_MS,
        )
        parts = await page.locator("#parts").inner_text()
        for shown in ("a paper boat on a rainy street", "dolly in", "cinematic", "overcast"):
            assert shown in parts
        assert "alice" in (await page.locator(".facts").inner_text()).lower()
        await page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play() }")
        await page.wait_for_function(
            "() => { const v = document.querySelector('video'); return !v.error && v.currentTime > 0.3 }",
            timeout=WAIT_MS,
        )
        assert await page.evaluate("() => document.querySelector('video').error") is None
        await page.screenshot(path=str(artifacts / f"result-{name}.png"))
        assert errors == []  # no CSP violations or failed loads
        await page.close()


async def test_galleries_list_the_right_results_paginate_and_drop_a_deleted_one(browser, artifacts, emu, delivered):
    bot, first, jobs, bob = delivered
    alice_jobs = [jobs[3], jobs[1], jobs[0]]  # newest first
    mine = await link_from(emu, emu.alice, "gallery")
    page = await browser.new_page(viewport=PHONE)
    await page.goto(mine)
    assert await card_ids(page) == alice_jobs[:2]  # two per page here
    await page.screenshot(path=str(artifacts / "gallery-phone.png"))
    await page.click("a[rel=next]")
    assert await card_ids(page) == alice_jobs[2:]
    assert await page.locator("a[rel=next]").count() == 0
    await page.close()

    theirs = await link_from(emu, bob, "gallery")
    page = await browser.new_page(viewport=DESKTOP)
    await page.goto(theirs)
    assert await card_ids(page) == [jobs[2]]
    everyone = await link_from(emu, emu.admin, "admin gallery")
    await page.goto(everyone)
    seen = await card_ids(page)
    await page.click("a[rel=next]")
    assert seen + await card_ids(page) == [jobs[3], jobs[2], jobs[1], jobs[0]]
    await page.goto(everyone)
    await page.select_option("select[name=member]", str(bob.id))
    await page.click("form.filters button")
    await page.wait_for_url(re.compile(rf"member={bob.id}"), timeout=WAIT_MS)
    assert await card_ids(page) == [jobs[2]]
    await page.goto(everyone)
    await page.hover(f"li.card[data-job='{jobs[3]}'] a")  # the hover preview plays the clip in the card
    await page.wait_for_function(
        f"() => {{ const v = document.querySelector(\"li.card[data-job='{jobs[3]}'] video\");"
        " return v && !v.error && v.currentTime > 0.2 }",
        timeout=WAIT_MS,
    )
    await page.screenshot(path=str(artifacts / "gallery-desktop.png"))

    await emu.add_reaction(emu.alice, None, first, "❌")  # deleted in Discord
    async with asyncio.timeout(60):  # until the bot has recorded the deletion (a safety net, not a pace)
        while (await bot.app.service.get(jobs[0])).removed_at is None:
            await asyncio.sleep(0.1)
    assert first.deleted
    await page.goto(mine)  # the deleted one was the only card on page 2: now everything fits on page 1
    assert await card_ids(page) == alice_jobs[:2] and await page.locator("a[rel=next]").count() == 0
    await page.goto(everyone)
    seen = await card_ids(page)
    await page.click("a[rel=next]")
    assert seen + await card_ids(page) == [jobs[3], jobs[2], jobs[1]]
    response = await page.goto(bot.app.gallery.links.page_url(jobs[0]))
    assert response is not None and response.status == 410
    await page.close()
