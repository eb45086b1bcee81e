"""The delivery ladder end to end: attach → re-encode to fit → link to the result page on the built-in web server.

Big files are not rendered for this: the same request is made again (a free cache hit of the same
result) under a smaller upload limit, which the emulator enforces like Discord (413, code 40005)."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import pytest

from tests.support.discord import free_port, is_mp4, job_id_of, mp4_of, text_of, videos_of, wait_done, wait_result

pytestmark = pytest.mark.timeout(120)

PROMPT = {"prompt": "a spinning top on a wooden table", "duration": 2, "seed": 4242}


async def ask(emu, after: int = 0, **extra):
    handle = await emu.slash(emu.alice, "video", **PROMPT, **extra)
    await handle.wait_ack()
    return await wait_result(emu, after=after)


async def test_reencode_then_link_then_the_link_works(emu, launch):
    port = free_port()
    bot = await launch(file_server_port=port, local_scale=1)  # a full-size clip: one that re-encoding can shrink
    first = await ask(emu)
    size = len(mp4_of(first))

    limit = int(size * 0.6)
    second = await ask(emu, after=first.id, attachment_size_limit=limit)
    data = mp4_of(second)
    assert is_mp4(data) and len(data) <= limit
    assert "Re-encoded" in text_of(second)
    assert [r.status for r in emu.rest.log if r.method == "POST" and r.path.startswith("/webhooks/")].count(413) == 0

    third = await ask(emu, after=second.id, attachment_size_limit=2000)
    assert videos_of(third) == []
    url = next(word for word in text_of(third).split() if word.startswith("http://"))
    assert url.startswith(f"http://127.0.0.1:{port}/r/{job_id_of(third)}/")  # the result page, not the bare file
    await wait_done(bot, job_id_of(third))
    job = await bot.app.service.get(job_id_of(third))
    assert job.result_url == url
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:  # the page plays the video from its own signed link
            assert response.status == 200 and response.headers["Content-Type"].startswith("text/html")
            found = re.search(rf'"(/v/{job.id}/[A-Za-z0-9_-]+\.mp4)"', await response.text())
        assert found is not None, "the result page links no video of this job"
        async with session.get(f"http://127.0.0.1:{port}{found[1]}") as response:
            assert response.status == 200 and response.headers["Content-Type"] == "video/mp4"
            assert await response.read() == Path(str(job.result_path)).read_bytes()
        forged = url.rsplit("/", 1)[0] + "/" + "A" * 32
        async with session.get(forged) as response:
            assert response.status == 404
        other = url.replace(f"/r/{job.id}/", f"/r/{job.id + 1}/")
        async with session.get(other) as response:
            assert response.status == 404


async def test_a_413_drops_one_rung_and_never_resends_the_same_size(emu, launch):
    await launch(local_scale=1)  # a full-size clip: a quarter-size one at CRF 23 is too small to re-encode smaller
    first = await ask(emu)
    size = len(mp4_of(first))
    emu.fail_next("POST /webhooks/*", 413, 40005, "Request entity too large")
    second = await ask(emu, after=first.id)
    data = mp4_of(second)
    assert is_mp4(data) and len(data) < size and "Re-encoded" in text_of(second)
    posts = [r for r in emu.rest.log if r.method == "POST" and r.path.startswith("/webhooks/")]
    assert [r.status for r in posts[-2:]] == [413, 200]


async def test_without_a_file_server_a_too_large_result_says_so(emu, launch):
    bot = await launch()
    first = await ask(emu)
    second = await ask(emu, after=first.id, attachment_size_limit=2000)
    assert videos_of(second) == [] and "too large" in text_of(second)
    await wait_done(bot, job_id_of(second))
    assert (await bot.app.service.get(job_id_of(second))).state.value == "done"


async def test_without_attach_files_permission_the_result_is_a_link(emu, launch):
    port = free_port()
    await launch(file_server_port=port)
    emu.deny_bot_permission(emu.channel, "attach_files")
    result = await ask(emu)
    assert videos_of(result) == [] and f"http://127.0.0.1:{port}/r/" in text_of(result)
    refused = [r for r in emu.rest.log if r.method == "POST" and r.path.startswith("/webhooks/") and r.status == 403]
    assert len(refused) == 1  # tried once with the file, then the link


async def test_a_real_result_over_10_mib_is_reencoded_to_fit_discords_default_limit(emu, launch, emulator):
    """A provider returns a 12 MiB video; the guild is unboosted (10 MiB): the result is attached re-encoded."""
    from emulators.providers import Script

    emulator.runway.default = Script(output="big")
    big = len(await emulator.runway.videos.big_clip())
    assert big > 10 * 1024 * 1024
    await launch(RUNWAYML_API_SECRET=emulator.runway.api_key, RUNWAYML_BASE_URL=emulator.runway_url)
    handle = await emu.slash(
        emu.alice, "video", prompt="static on an old television", model="runway:gen4.5", duration=4
    )
    await handle.wait_ack()
    result = await wait_result(emu, timeout=90)
    data = mp4_of(result)
    assert is_mp4(data) and len(data) <= 10 * 1024 * 1024 < big
    assert "Re-encoded" in text_of(result)
    assert [r.status for r in emu.rest.log if r.path.startswith("/webhooks/")].count(413) == 0
