"""Result pages over real HTTP: the player and unfurl tags, Range requests, lineage, headers, 410s."""

from __future__ import annotations

import os

import pytest

from storage import CastUse, JobInputs
from tests.support.html import Page

pytestmark = pytest.mark.timeout(90)


async def fetch(site, url: str, **headers: str):
    async with site.session.get(url, headers=headers, allow_redirects=False) as response:
        return response.status, response.headers, await response.read()


async def test_the_result_page_has_a_player_its_prompt_parts_and_unfurl_tags(site):
    job = await site.add(name="Alice <b>", spec={"camera": "dolly_in", "style": "cinematic", "lighting": "dusk"})
    status, headers, body = await fetch(site, site.page(job.id))
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = Page(body.decode())
    video_url = site.url(site.app.gallery.links.video_path(job.id))
    poster_url = site.url(site.app.gallery.links.poster_path(job.id))
    meta = page.meta
    assert meta["og:video"] == video_url and meta["og:video:type"] == "video/mp4"
    assert (meta["og:video:width"], meta["og:video:height"]) == ("320", "240")
    assert meta["og:image"] == poster_url and meta["og:url"] == site.page(job.id)
    assert meta["twitter:card"] == "player" and meta["twitter:player"].startswith(site.url(f"/e/{job.id}/"))
    assert meta["twitter:player:stream"] == video_url
    [video] = page.all("video")
    assert "playsinline" in video and video["preload"] == "metadata" and video["poster"] == poster_url[len(site.base) :]
    assert page.all("source", src=video_url[len(site.base) :], type="video/mp4")
    text = page.text
    for shown in ("a red kite over green hills", "dolly in", "cinematic", "dusk", "local:storyboard", "Alice <b>"):
        assert shown in text
    assert b"<b>" not in body  # the display name is escaped
    assert any(link.endswith(".mp4?download=1") for link in page.links())


async def test_the_video_answers_range_requests_with_206(site):
    job = await site.add()
    url = site.url(site.app.gallery.links.video_path(job.id))
    data = site.clip.read_bytes()
    status, headers, body = await fetch(site, url, Range="bytes=100-199")
    assert status == 206 and headers["Content-Range"] == f"bytes 100-199/{len(data)}" and body == data[100:200]
    status, headers, body = await fetch(site, url, Range=f"bytes={len(data) - 10}-")
    assert status == 206 and body == data[-10:]
    status, headers, body = await fetch(site, url)
    assert status == 200 and body == data and headers["Accept-Ranges"] == "bytes"
    status, headers, _ = await fetch(site, url + "?download=1")
    assert headers["Content-Disposition"].startswith("attachment;")


async def test_the_poster_is_a_small_jpeg(site):
    job = await site.add()
    status, headers, body = await fetch(site, site.url(site.app.gallery.links.poster_path(job.id)))
    assert status == 200 and headers["Content-Type"] == "image/jpeg" and body[:3] == b"\xff\xd8\xff"
    assert len(body) < 100_000


async def test_lineage_links_the_parent_and_what_was_made_from_it(site):
    parent = await site.add(subject="the first shot")
    child = await site.add(subject="the first shot, continued", kind="extend", parent=parent)
    other = await site.add(subject="a new seed", kind="reroll", parent=parent)
    future = await site.add(subject="a stitched reel", kind="stitch", parent=child)
    parent_page = Page((await fetch(site, site.page(parent.id)))[2].decode())
    assert {site.page(child.id), site.page(other.id)} <= set(parent_page.links())
    assert "Extension" in parent_page.text and "Re-roll" in parent_page.text
    child_page = Page((await fetch(site, site.page(child.id)))[2].decode())
    assert site.page(parent.id) in child_page.links() and "Extended from" in child_page.text
    assert site.page(future.id) in child_page.links() and "Stitch" in child_page.text  # kinds added later


async def test_responses_carry_strict_security_headers_and_etags(site):
    job = await site.add()
    status, headers, _ = await fetch(site, site.page(job.id))
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp  # nothing from elsewhere
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "no-referrer"
    etag = headers["ETag"]
    status, _, body = await fetch(site, site.page(job.id), **{"If-None-Match": etag})
    assert status == 304 and body == b""
    for path in ("/static/style.css", "/static/gallery.js", site.app.gallery.links.video_path(job.id)):
        status, headers, _ = await fetch(site, site.url(path))
        assert status == 200 and headers["ETag"] and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    status, headers, _ = await fetch(site, site.url(f"/r/{job.id}/{'A' * 32}"))
    assert status == 404 and headers["Referrer-Policy"] == "no-referrer"


async def test_a_deleted_or_expired_result_answers_410_everywhere(site):
    deleted, aged = await site.add(), await site.add()
    links = site.app.gallery.links
    await site.app.gallery.remove(deleted.id)  # what ❌ does
    os.unlink(str(aged.result_path))  # what the janitor does past retention
    for job in (deleted, aged):
        for path in (
            links.page_path(job.id),
            links.video_path(job.id),
            links.poster_path(job.id),
            links.embed_path(job.id),
        ):
            status, headers, body = await fetch(site, site.url(path))
            assert status == 410, path
            assert b"no longer stored" in body or headers["Content-Type"] != "text/html"


async def test_a_wrong_token_or_an_unfinished_job_is_a_plain_404(site):
    job = await site.add()
    token = site.app.gallery.links.token(job.id)
    flipped = ("B" if token[0] == "A" else "A") + token[1:]
    for path in (
        f"/r/{job.id}/{flipped}",
        f"/v/{job.id}/{flipped}.mp4",
        f"/r/{job.id + 1}/{token}",
        f"/r/{job.id}/{token[:-1]}",
        "/r/",
        "/nothing",
    ):
        status, _, body = await fetch(site, site.url(path))
        assert status == 404, path
        assert token.encode() not in body


async def test_a_result_made_with_a_cast_says_with_whom_even_after_the_member_is_gone(site):
    cast = (CastUse(3, "Mara", ("/gone/a.png",)), CastUse(4, "Teo <i>", ("/gone/b.png",)))
    job = await site.add(subject="Mara and Teo dance", inputs=JobInputs(cast=cast))
    status, _, body = await fetch(site, site.page(job.id))
    assert status == 200 and "with Mara and Teo <i>" in Page(body.decode()).text
    assert b"<i>" not in body and b"/gone/" not in body  # escaped; the photos' paths are never shown
