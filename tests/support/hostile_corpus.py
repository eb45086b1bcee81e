"""Hostile inputs, made on the spot (nothing is downloaded), and the wires that prove nothing was read.

Every builder returns bytes.  The wires: :func:`fifo_wire` is a named pipe that notices any open for
reading (even one that fails later); :class:`LoopbackRecorder` is an HTTP server on 127.0.0.1 that
records every request.  Hostile playlists and scripts point at both, so a test can prove that neither
the bot nor the ffmpeg it runs followed them; the ``*_wire_detects_*`` tests show the same files do
trip the wires when handed to a permissive ffmpeg, so those proofs can fail.
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web
from PIL import Image

import tests.support.video as shared
from tests.support.tripwire import fifo_tripwire as fifo_wire  # noqa: F401 - part of the corpus's wires

MIB = 1024 * 1024


# --- images and things posing as images -------------------------------------------------------------------
def png(size: tuple[int, int] = (96, 64), colour: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    """A small, honest PNG."""
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="PNG")
    return buf.getvalue()


def not_an_image() -> bytes:
    """A ZIP archive (the start of one) named like a picture."""
    return b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + os.urandom(2000)


def svg() -> bytes:
    """An SVG with a script and an external reference."""
    return (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="4000">'
        b'<script>alert(1)</script><image href="http://127.0.0.1:9/x.png"/></svg>\n'
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A 1.5 KB PNG whose header claims width x height 1-bit pixels (3.6 gigapixels by default)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\0" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(200)) + packer.flush()
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


def declared_huge(total: int = 100 * MIB) -> bytes:
    """A real PNG padded to ``total`` bytes (what Discord would report as the attachment's size)."""
    head = png()
    return head + bytes(total - len(head))


def truncated_jpeg() -> bytes:
    """A noisy 640x480 JPEG cut off half-way through its picture data."""
    buf = io.BytesIO()
    Image.effect_noise((640, 480), 50).convert("RGB").save(buf, format="JPEG", quality=90)
    data = buf.getvalue()
    return data[: len(data) // 2]


def animated_gif() -> bytes:
    """Three frames: red, green, blue (64x48)."""
    frames = [Image.new("RGB", (64, 48), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


def big_noisy_jpeg(side: int = 4000) -> bytes:
    """A valid side x side JPEG of noise: seconds of decoding and PNG re-encoding, under the size caps."""
    buf = io.BytesIO()
    Image.effect_noise((side, side), 40).convert("RGB").save(buf, format="JPEG", quality=70)
    return buf.getvalue()


def mp4_clip(folder: Path) -> bytes:
    """A real 1 s MP4 (a video is not a still image)."""
    return shared.make_mp4(folder / "real.mp4", seconds=1.0, size="64x48").read_bytes()


# --- scripts that make a permissive ffmpeg open other things ------------------------------------------------
def hls_playlist(local: Path, url: str) -> bytes:
    """An HLS playlist whose segments are a local file and a loopback URL."""
    return (
        f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:1.0,\n{local}\n"
        f"#EXTINF:1.0,\n{url}\n#EXT-X-ENDLIST\n"
    ).encode()


def concat_script(local: Path, url: str) -> bytes:
    """An ffmpeg concat script listing a local file and a loopback URL."""
    return f"ffconcat version 1.0\nfile '{local}'\nfile '{url}'\n".encode()


def mp4_magic_playlist(local: Path, url: str) -> bytes:
    """An ``ftyp`` box (so it sniffs as MP4) followed by an HLS playlist."""
    return b"\x00\x00\x00\x10ftypisom\x00\x00\x00\x00" + hls_playlist(local, url)


# --- wires ----------------------------------------------------------------------------------------------
class LoopbackRecorder:
    """An HTTP server on 127.0.0.1 that answers 404 and remembers every path asked for."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.port = 0
        self._runner: web.AppRunner | None = None

    def url(self, name: str = "secret.ts") -> str:
        """A URL on this server."""
        return f"http://127.0.0.1:{self.port}/{name}"

    async def _record(self, request: web.Request) -> web.Response:
        self.hits.append(request.path)
        return web.Response(status=404)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[LoopbackRecorder]:
        """Serve until the block ends."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._record)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.port = int(server.sockets[0].getsockname()[1])
        try:
            yield self
        finally:
            await self._runner.cleanup()


def ffmpeg_spy(folder: Path, log: Path) -> Path:
    """An executable that appends its argument list to ``log`` (one line per run) and runs the real ffmpeg.

    It watches the external process (what the bot asked ffmpeg to do); it replaces nothing of ours."""
    script = folder / "ffmpeg-spy"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{shared.BUNDLED_FFMPEG}" "$@"\n')
    script.chmod(0o755)
    return script
