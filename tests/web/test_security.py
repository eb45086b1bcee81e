"""The web server under hostile or heavy use: path traversal, tokens kept out of logs, a burst of loads,
unfinished jobs, and posters leaving with their results."""

from __future__ import annotations

import asyncio
import logging
import os
import time

import aiohttp
import pytest

from bot.services.janitor import Janitor
from bot.services.web.posters import poster_of
from storage import JobState, NewJob

pytestmark = pytest.mark.timeout(180)


async def raw_get(site, path: str) -> tuple[int, bytes]:
    """A GET with the path sent exactly as written (no client-side normalising of ``..`` or ``%2F``)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", site.app.settings.file_server_port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 30)
    writer.close()
    status = int(data.split(b" ", 2)[1])
    return status, data


async def test_path_traversal_reaches_nothing(site):
    job = await site.add()
    token = site.app.gallery.links.token(job.id)
    (site.app.settings.data_dir / "secret.txt").write_text("TOP-SECRET")
    attempts = [
        "/static/../server.py",
        "/static/..%2Fserver.py",
        "/static/%2e%2e/pages.py",
        "/static/..%2F..%2Fsettings.py",
        "/static/style.css/../../server.py",
        "/static/.%2e/templates/base.html",
        "/static/%2Fetc%2Fpasswd",
        f"/v/{job.id}/..%2F..%2Fsecret.txt",
        f"/v/{job.id}/{token}.mp4/../../../secret.txt",
        f"/r/{job.id}/{token}/..%2F..%2Fvideobot.sqlite3",
        f"/p/../../secret.txt/{token}.jpg",
        f"/i/..%2Fsecret/{token}.png",
        f"/i/..%2F..%2Fdata%2Fsecret/{token}.png",
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/static/",
        "/static/STYLE.CSS",
        "/static/style.css%00.js",
    ]
    for path in attempts:
        status, data = await raw_get(site, path)
        assert status in (400, 404), (path, status)
        for secret in (b"TOP-SECRET", b"import ", b"root:", b"SQLite format"):
            assert secret not in data, path


async def test_an_unfinished_job_has_no_page_even_with_its_token(site):
    new = NewJob(
        kind="generate",
        owner_id=1,
        guild_id=5,
        channel_id=9,
        model="local:storyboard",
        spec={"subject": "still rendering"},
        cost_seconds=0.0,
        delivery={"kind": "discord"},
    )
    job = await site.app.storage.jobs.create(new, charge=None, now=time.time())
    links = site.app.gallery.links
    for path in (links.page_path(job.id), links.video_path(job.id), links.poster_path(job.id)):
        async with site.session.get(site.url(path)) as response:
            assert response.status == 404 and b"still rendering" not in await response.read()
    failed = await site.app.storage.jobs.finish(job.id, JobState.FAILED, now=time.time(), ledger=None)
    async with site.session.get(site.url(links.page_path(failed.id))) as response:
        assert response.status == 404


async def test_tokens_never_reach_the_access_log(site, caplog):
    job = await site.add()
    links = site.app.gallery.links
    with caplog.at_level(logging.INFO, logger="bot.web.access"):
        for path in (
            links.page_path(job.id),
            links.video_path(job.id),
            links.poster_path(job.id),
            f"/r/{job.id}/{'Z' * 32}",
        ):
            async with site.session.get(site.url(path)) as response:
                await response.read()
        async with site.session.get(site.gallery(1)) as response:
            await response.read()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.web.access"]
    assert len(lines) == 5 and any("/r/{job_id}/{token}" in line for line in lines)
    secrets = [links.token(job.id), "Z" * 32, site.gallery(1).rsplit("/", 1)[1]]
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(secret in everything for secret in secrets)


async def test_a_burst_of_200_concurrent_page_loads_is_answered_without_errors(site):
    jobs = [await site.add(owner_id=1 + i % 3, name=f"member {i}") for i in range(6)]
    urls = [site.page(j.id) for j in jobs] + [site.gallery(None), site.gallery(1)]
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def load(url: str) -> tuple[int, int]:
            async with session.get(url) as response:
                return response.status, len(await response.read())

        async with asyncio.timeout(120):  # a safety net only: the server must answer all, however slowly
            answers = await asyncio.gather(*(load(urls[i % len(urls)]) for i in range(200)))
    assert [status for status, _ in answers] == [200] * 200
    assert all(size > 500 for _, size in answers)


async def test_the_janitor_deletes_a_poster_with_its_result(site):
    settings = site.app.settings
    long_ago = time.time() - (settings.retention_days + 2) * 86_400
    old, fresh = await site.add(created_at=long_ago), await site.add()  # made and finished past retention
    for job in (old, fresh):
        assert poster_of(str(job.result_path)).is_file()
    for job in (old, fresh):  # old files; but the fresh job is recent, so its result and poster stay
        for path in (str(job.result_path), poster_of(str(job.result_path))):
            os.utime(path, (long_ago, long_ago))
    janitor = Janitor(site.app.storage, settings, clock=time.time)
    await janitor.run()
    assert not os.path.exists(str(old.result_path)) and not poster_of(str(old.result_path)).exists()
    assert os.path.exists(str(fresh.result_path)) and poster_of(str(fresh.result_path)).is_file()
    orphan = poster_of(str(fresh.result_path))
    os.unlink(str(fresh.result_path))  # a result gone some other way takes its poster on the next pass
    await janitor.run()
    assert not orphan.exists()
