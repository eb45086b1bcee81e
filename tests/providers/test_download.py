"""bot.providers._download against a loopback HTTP server that misbehaves on purpose."""

from __future__ import annotations

import asyncio
import tracemalloc
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from bot.errors import OutputTooLarge, ProviderTaskFailed, ProviderUnavailable, RateLimited
from bot.providers._download import download, looks_like_video
from emulators.providers import VideoFactory

BIG = 24 * 1024 * 1024


def fake_mp4(size: int) -> bytes:
    """An MP4-looking body of ``size`` bytes (a real ftyp box, then padding)."""
    head = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    return head + b"\x00" * (size - len(head))


@pytest.fixture
async def server(emulator_videos: VideoFactory):
    clip = await emulator_videos.clip(1)
    big = memoryview(fake_mp4(BIG))  # made before any test measures memory

    async def streamed(
        request: web.Request, body: bytes | memoryview, *, length: bool, delay: float = 0.0, chunk: int = 65536
    ) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        if length:
            resp.content_length = len(body)
        await resp.prepare(request)
        for start in range(0, len(body), chunk):
            await resp.write(body[start : start + chunk])
            if delay:
                await asyncio.sleep(delay)
        await resp.write_eof()
        return resp

    async def truncated(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        resp.content_length = len(clip)
        await resp.prepare(request)
        await resp.write(clip[: len(clip) // 3])
        await asyncio.sleep(0.05)
        assert request.transport is not None
        request.transport.close()
        return resp

    routes = {
        "/ok.mp4": lambda r: web.Response(body=clip, content_type="video/mp4"),
        "/untyped": lambda r: web.Response(body=clip, headers={"Content-Type": "application/octet-stream"}),
        "/webm": lambda r: web.Response(body=b"\x1a\x45\xdf\xa3" + b"\x00" * 100, content_type="video/webm"),
        "/html": lambda r: web.Response(text="<html><body>Sign in</body></html>", content_type="text/html"),
        "/json": lambda r: web.json_response({"error": "expired"}),
        "/garbage": lambda r: web.Response(body=b"PK\x03\x04" + b"\x00" * 64, content_type="application/octet-stream"),
        "/tiny": lambda r: web.Response(body=b"abc", content_type="video/mp4"),
        "/404": lambda r: web.Response(status=404, text="NoSuchKey"),
        "/410": lambda r: web.Response(status=410),
        "/500": lambda r: web.Response(status=500),
        "/429": lambda r: web.Response(status=429, headers={"Retry-After": "9"}),
        "/redirect": lambda r: web.HTTPFound("/ok.mp4"),
        "/big": lambda r: streamed(r, big, length=True),
        "/big-chunked": lambda r: streamed(r, big, length=False),
        "/slow": lambda r: streamed(r, clip, length=True, delay=0.2, chunk=4096),
        "/truncated": truncated,
    }

    async def handle(request: web.Request) -> web.StreamResponse:
        result = routes[request.path](request)
        if isinstance(result, web.HTTPException):
            raise result
        return await result if asyncio.iscoroutine(result) else result  # type: ignore[return-value]

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app, shutdown_timeout=0.2)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield base, clip
    await runner.cleanup()


async def fetch(url: str, dest: Path, *, max_bytes: int = 10**9, timeout: float = 5.0) -> Path:
    return await download(url, dest, max_bytes=max_bytes, timeout=timeout, provider="test")


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith(".part")]


async def test_downloads_a_real_mp4(server, tmp_path):
    base, clip = server
    path = await fetch(f"{base}/ok.mp4", tmp_path / "sub" / "out.mp4")
    assert path == tmp_path / "sub" / "out.mp4" and path.read_bytes() == clip
    assert not leftovers(path.parent)


@pytest.mark.parametrize("route", ["/untyped", "/webm", "/redirect"])
async def test_accepts_video_by_magic_and_follows_redirects(server, tmp_path, route):
    base, _ = server
    assert (await fetch(base + route, tmp_path / "o.mp4")).stat().st_size > 0


@pytest.mark.parametrize(
    ("route", "error"),
    [
        ("/html", ProviderTaskFailed),
        ("/json", ProviderTaskFailed),
        ("/garbage", ProviderTaskFailed),
        ("/tiny", ProviderTaskFailed),
        ("/404", ProviderTaskFailed),
        ("/410", ProviderTaskFailed),
        ("/500", ProviderUnavailable),
        ("/truncated", ProviderUnavailable),
    ],
)
async def test_rejects_what_is_not_a_whole_video(server, tmp_path, route, error):
    base, _ = server
    dest = tmp_path / "o.mp4"
    dest.write_bytes(b"previous result")
    with pytest.raises(error) as info:
        await fetch(base + route, dest)
    assert info.value.provider == "test"
    assert dest.read_bytes() == b"previous result"  # never half-overwritten
    assert not leftovers(tmp_path)


async def test_rate_limited_download(server, tmp_path):
    base, _ = server
    with pytest.raises(RateLimited) as info:
        await fetch(f"{base}/429", tmp_path / "o.mp4")
    assert info.value.retry_after == 9


@pytest.mark.parametrize("route", ["/big", "/big-chunked"])
async def test_size_cap(server, tmp_path, route):
    base, _ = server
    with pytest.raises(OutputTooLarge):
        await fetch(base + route, tmp_path / "o.mp4", max_bytes=BIG - 1)
    assert list(tmp_path.iterdir()) == []


async def test_memory_does_not_grow_with_the_video(server, tmp_path):
    base, _ = server
    tracemalloc.start()
    try:
        path = await fetch(f"{base}/big-chunked", tmp_path / "o.mp4", max_bytes=BIG)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert path.stat().st_size == BIG
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes for a {BIG}-byte download"


async def test_overall_timeout(server, tmp_path):
    base, _ = server
    with pytest.raises(ProviderUnavailable, match="longer than"):
        await fetch(f"{base}/slow", tmp_path / "o.mp4", timeout=0.3)
    assert not leftovers(tmp_path)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x.mp4", "data:video/mp4;base64,AAAA"])
async def test_only_http_urls(tmp_path, url):
    with pytest.raises(ProviderTaskFailed):
        await fetch(url, tmp_path / "o.mp4")
    assert list(tmp_path.iterdir()) == []


async def test_uses_and_keeps_a_given_client(server, tmp_path):
    base, clip = server
    async with httpx.AsyncClient(follow_redirects=True) as client:
        path = await download(f"{base}/ok.mp4", tmp_path / "o.mp4", max_bytes=10**8, timeout=5, client=client)
        assert path.read_bytes() == clip and not client.is_closed


def test_magic_bytes():
    assert looks_like_video(b"\x00\x00\x00\x20ftypmp42")
    assert looks_like_video(b"\x1a\x45\xdf\xa3\x01")
    assert not looks_like_video(b"<!doctype html>")
    assert not looks_like_video(b"\x00\x00")
