"""A small built-in file server: results too large to upload (the LINK rung of the delivery ladder), and
input images for providers that fetch them by URL (Luma).

URLs look like ``{public_base_url}/v/{job_id}/{token}.mp4`` and ``{public_base_url}/i/{name}/{token}.png``.
The token is an HMAC of the job id (or image name) under a random key kept in the data directory, so links
are unguessable, need no table, and keep working after a restart.  Only finished results and the clean PNGs
the bot wrote itself are served; anything else is a plain 404 that does not say whether it exists.
Enabled when ``VIDEOBOT_FILE_SERVER_PORT`` is set.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from bot.errors import VideobotError
from bot.settings import Settings

log = logging.getLogger(__name__)

KEY_FILE = "fileserver.key"
Resolver = Callable[[int], Awaitable[Path | None]]


def load_key(path: Path) -> bytes:
    """The HMAC key, created once (owner-only permissions) and reused across restarts."""
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    os.replace(tmp, path)
    return key


class FileServer:
    """Serves ``/v/{job_id}/{token}.mp4`` from the paths ``resolve`` gives (None: not servable)."""

    def __init__(self, settings: Settings, resolve: Resolver | None = None):
        self.settings = settings
        self.resolve: Resolver = resolve or _nothing
        self.key = load_key(settings.data_dir / KEY_FILE)
        self.port = settings.file_server_port
        self._runner: web.AppRunner | None = None

    @property
    def enabled(self) -> bool:
        """Whether the server is configured to run."""
        return self.settings.file_server_port != 0

    @property
    def base_url(self) -> str:
        """Where users reach the server (``VIDEOBOT_PUBLIC_BASE_URL``, else the bound address)."""
        if self.settings.public_base_url:
            return self.settings.public_base_url.rstrip("/")
        return f"http://{self.settings.file_server_host}:{self.port}"

    def token(self, job_id: int) -> str:
        """The unguessable token for a job (URL-safe, 32 characters)."""
        digest = hmac.new(self.key, f"videobot-result:{job_id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:32]

    def image_token(self, name: str) -> str:
        """The token for an input image."""
        digest = hmac.new(self.key, f"videobot-input:{name}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:32]

    async def publish_input(self, path: Path) -> str:
        """A public URL for an input image the bot stored (for providers that fetch images by URL)."""
        if self._runner is None or not self.settings.public_base_url:
            raise VideobotError("This bot has no public file server, so it can't hand images to this provider.")
        if path.resolve().parent != self.settings.inputs_dir.resolve() or path.suffix != ".png":
            raise VideobotError(detail=f"refusing to publish {path.name}: not a stored input image")
        return f"{self.base_url}/i/{path.stem}/{self.image_token(path.stem)}.png"

    def link_for(self, job_id: int) -> str | None:
        """The public URL of a job's result, or None when the server is not running."""
        if self._runner is None:
            return None
        return f"{self.base_url}/v/{job_id}/{self.token(job_id)}.mp4"

    async def start(self) -> None:
        """Bind and serve (no-op when disabled or already running)."""
        if not self.enabled or self._runner is not None:
            return
        app = web.Application()
        app.router.add_get(r"/v/{job_id:\d{1,18}}/{token:[A-Za-z0-9_-]{32}}.mp4", self._serve)
        app.router.add_get(r"/i/{name:[A-Za-z0-9_-]{1,64}}/{token:[A-Za-z0-9_-]{32}}.png", self._serve_image)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.file_server_host, self.settings.file_server_port)
        await site.start()
        self._runner = runner
        log.info("file server listening on %s:%s, links at %s", self.settings.file_server_host, self.port,
                 self.base_url)  # fmt: skip

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        job_id = int(request.match_info["job_id"])
        if not hmac.compare_digest(request.match_info["token"], self.token(job_id)):
            raise web.HTTPNotFound()
        path = await self.resolve(job_id)
        if path is None or not path.is_file():
            raise web.HTTPNotFound()
        headers = {
            "Content-Type": "video/mp4",
            "Content-Disposition": f'inline; filename="videobot-{job_id}.mp4"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
            "Referrer-Policy": "no-referrer",
        }
        return web.FileResponse(path, headers=headers)  # handles HEAD and Range requests

    async def _serve_image(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if not hmac.compare_digest(request.match_info["token"], self.image_token(name)):
            raise web.HTTPNotFound()
        path = self.settings.inputs_dir / f"{name}.png"
        if not path.is_file():
            raise web.HTTPNotFound()
        headers = {"Content-Type": "image/png", "X-Content-Type-Options": "nosniff", "Cache-Control": "private"}
        return web.FileResponse(path, headers=headers)


async def _nothing(job_id: int) -> Path | None:
    return None
