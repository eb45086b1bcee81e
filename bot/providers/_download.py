"""Stream a provider's output video to disk: size-capped, time-limited, checked to be a video.

The body goes to a temporary file next to ``dest`` in bounded chunks and is renamed into place
only when complete, so memory does not grow with the video and a half-written file never
appears under ``dest``.  What is fetched must look like a video (content type and magic bytes).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import ssl
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import httpx

from bot.errors import OutputTooLarge, ProviderError, ProviderTaskFailed, ProviderUnavailable
from bot.providers._common import error_for_status
from bot.providers.base import SOUND_SUFFIX, TaskStatus

_FLUSH_BYTES = 1 << 20  # write to disk once this much is buffered
_HEAD_BYTES = 12  # enough to see an MP4 "ftyp" box or a WebM header
_NOT_VIDEO_TYPES = ("text/", "application/json", "application/xml", "application/problem+json")
_MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip")
_WEBM = b"\x1a\x45\xdf\xa3"


@lru_cache(maxsize=4)
def _tls(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """The TLS context of a download's own client, made once per trust store (``SSL_CERT_FILE`` / ``SSL_CERT_DIR``,
    which httpx reads): building one loads the CA bundle, about 19 ms of CPU with certifi's (measured 2026-12-06 on
    the 2-core machine) that blocked the event loop at every download, where making the client takes about 1.5 ms.
    (The loopback benchmarks point ``SSL_CERT_FILE`` at a one-certificate test CA, so they do not show it.)"""
    return httpx.create_ssl_context()


def looks_like_video(head: bytes) -> bool:
    """Whether the first bytes of a file are those of an MP4/MOV or WebM file."""
    return (len(head) >= 8 and head[4:8] in _MP4_BOXES) or head.startswith(_WEBM)


def looks_like_sound(head: bytes) -> bool:
    """Whether the first bytes are those of an MP3 (ID3 tag or frame sync), WAV, FLAC or Ogg file, or of an
    MP4/M4A (a sound task's output may come in either)."""
    mp3_frame = len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
    wav = head[:4] == b"RIFF" and head[8:12] == b"WAVE"
    return head.startswith((b"ID3", b"fLaC", b"OggS")) or mp3_frame or wav or looks_like_video(head)


def _check_headers(resp: httpx.Response, max_bytes: int, provider: str) -> int | None:
    """Raise for a non-video content type or an announced size over the cap; return Content-Length."""
    ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype.startswith(_NOT_VIDEO_TYPES):
        raise ProviderTaskFailed(
            "The video provider returned something that is not a video.",
            detail=f"output content-type {ctype!r}",
            provider=provider,
        )
    raw = resp.headers.get("content-length")
    length = int(raw) if raw and raw.isdigit() else None
    if length is not None and length > max_bytes:
        raise OutputTooLarge(detail=f"output is {length} bytes; the cap is {max_bytes}")
    return length


def _status_error(resp: httpx.Response, provider: str) -> ProviderError:
    if resp.status_code in (403, 404, 410):  # expired or deleted output: asking again will not help
        return ProviderTaskFailed(
            "The finished video is no longer available at the provider.",
            detail=f"output download answered HTTP {resp.status_code}",
            provider=provider,
        )
    return error_for_status(provider, resp.status_code, "output download failed", headers=resp.headers)


class _Sink:
    """A temporary file written from a worker thread (disk writes must not block the event loop)."""

    def __init__(self, path: Path):
        self.path = path
        self.file: BinaryIO | None = None

    def open(self) -> None:
        self.file = self.path.open("wb")

    def write(self, data: bytes) -> None:
        assert self.file is not None
        self.file.write(data)

    def finish(self, dest: Path) -> None:
        assert self.file is not None
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        self.file = None
        os.replace(self.path, dest)

    def discard(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


async def _stream(
    client: httpx.AsyncClient, url: str, sink: _Sink, max_bytes: int, provider: str, sound: bool = False
) -> None:
    looks_right = looks_like_sound if sound else looks_like_video
    async with client.stream("GET", url) as resp:
        if resp.status_code >= 400:
            raise _status_error(resp, provider)
        length = _check_headers(resp, max_bytes, provider)
        await asyncio.to_thread(sink.open)
        count, buffer, checked = 0, bytearray(), False
        async for chunk in resp.aiter_bytes():
            count += len(chunk)
            if count > max_bytes:
                raise OutputTooLarge(detail=f"output exceeded the cap of {max_bytes} bytes while streaming")
            buffer += chunk
            if not checked and len(buffer) >= _HEAD_BYTES:
                if not looks_right(bytes(buffer[:_HEAD_BYTES])):
                    raise ProviderTaskFailed(
                        "The video provider returned something that is not a video.",
                        detail=f"output starts with {bytes(buffer[:16])!r}",
                        provider=provider,
                    )
                checked = True
            if len(buffer) >= _FLUSH_BYTES:
                await asyncio.to_thread(sink.write, bytes(buffer))
                buffer.clear()
        if not checked and not looks_right(bytes(buffer)):
            raise ProviderTaskFailed(
                "The video provider returned something that is not a video.",
                detail=f"output of {count} bytes is not a video",
                provider=provider,
            )
        if length is not None and resp.num_bytes_downloaded != length:  # raw bytes: Content-Length counts those
            received = resp.num_bytes_downloaded
            raise ProviderUnavailable(detail=f"output truncated: {received} of {length} bytes", provider=provider)
        await asyncio.to_thread(sink.write, bytes(buffer))


async def download(
    url: str,
    dest: Path,
    *,
    max_bytes: int,
    timeout: float,
    client: httpx.AsyncClient | None = None,
    provider: str = "",
) -> Path:
    """Stream ``url`` (http/https only) to ``dest`` within ``timeout`` seconds and ``max_bytes``; return ``dest``.
    A ``dest`` named ``*.sound`` takes a sound file (checked as one), any other a video."""
    scheme = httpx.URL(url).scheme
    if scheme not in ("http", "https"):
        raise ProviderTaskFailed(
            "The video provider returned an unusable link.", detail=f"refusing {scheme!r} URL", provider=provider
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    sink = _Sink(dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part"))
    own = client is None
    http = client or httpx.AsyncClient(
        timeout=httpx.Timeout(min(timeout, 60.0)),
        follow_redirects=True,
        verify=_tls(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")),
    )
    try:
        async with asyncio.timeout(timeout):
            await _stream(http, url, sink, max_bytes, provider, sound=dest.suffix == SOUND_SUFFIX)
        await asyncio.to_thread(sink.finish, dest)
        return dest
    except TimeoutError:
        raise ProviderUnavailable(
            detail=f"output download took longer than {timeout:.0f} s", provider=provider
        ) from None
    except httpx.HTTPError as exc:  # reset, early close (truncation), read timeout…
        raise ProviderUnavailable(detail=f"output download failed: {type(exc).__name__}", provider=provider) from None
    finally:
        await asyncio.to_thread(sink.discard)
        if own:
            await http.aclose()


async def fetch_output(
    poll: Callable[[], Awaitable[TaskStatus]],
    status: TaskStatus,
    dest: Path,
    *,
    max_bytes: int,
    timeout: float,
    client: httpx.AsyncClient | None = None,
    provider: str = "",
) -> Path:
    """Download a finished task's video; when its link is gone, ask the task once more for a fresh one."""
    url = status.output_url or (await poll()).output_url
    if not url:
        raise ProviderTaskFailed("The video provider reported no video for this job.", provider=provider)
    try:
        return await download(url, dest, max_bytes=max_bytes, timeout=timeout, client=client, provider=provider)
    except ProviderTaskFailed:
        # Output links are presigned and expire; a fresh GET of the task may sign a new one.
        fresh = await poll()
        if fresh.output_url and fresh.output_url != url:
            return await download(
                fresh.output_url, dest, max_bytes=max_bytes, timeout=timeout, client=client, provider=provider
            )
        raise


class OutputFetcher(ABC):
    """``fetch_result`` for the cloud providers: download the output now, refreshing an expired link by
    one more poll.  A provider sets ``name``, ``_download_timeout`` and ``_download_client``."""

    name: str
    _download_timeout: float
    _download_client: httpx.AsyncClient | None

    @abstractmethod
    async def poll(self, task_id: str) -> TaskStatus:
        """The provider's own poll."""

    async def fetch_result(self, task_id: str, status: TaskStatus, dest: Path, max_bytes: int) -> Path:
        """Download the finished video to ``dest`` (streamed, capped) — output links expire, so right away."""
        return await fetch_output(
            lambda: self.poll(task_id),
            status,
            dest,
            max_bytes=max_bytes,
            timeout=self._download_timeout,
            client=self._download_client,
            provider=self.name,
        )
