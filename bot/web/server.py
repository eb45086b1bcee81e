"""The built-in web server: result pages, galleries, and the files behind them.  :class:`WebServer` is its
lifecycle and links; the aiohttp application (routes, handlers, headers) is :mod:`bot.web.routes`, imported when
the server starts, so a command that serves nothing never loads aiohttp.

Routes (every per-job token is an HMAC of the job id, see :mod:`bot.services.web.links`)::

    /r/{job}/{token}                    the result page (player, prompt, lineage, unfurl tags)
    /e/{job}/{token}                    a bare player (the twitter:player frame)
    /v/{job}/{token}.mp4                the video (Range requests; ?download=1 saves it)
    /p/{job}/{token}.jpg                its poster frame
    /g/{guild}/{scope}/{expires}/{sig}  a gallery: one member's results, or the server's (scope ``all``)
    /i/{name}/{token}.png               input images for providers that fetch them by URL (Luma)
    /static/{file}                      the pages' CSS and JavaScript (from the package)
    /hooks/{provider}/{job}/{token}     providers' completion calls (push, POST; see bot.web.hooks)

A removed (❌) or expired result answers 410; anything unknown or mis-signed is a plain 404 that does not
say whether it exists.  Every response carries a strict Content-Security-Policy, ``nosniff`` and
``Referrer-Policy: no-referrer``; the access log names routes, never paths, so tokens stay out of logs.
Enabled when ``VIDEOBOT_FILE_SERVER_PORT`` is set.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import VideobotError
from bot.services.web.gallery import GalleryService
from bot.services.web.links import KEY_FILE, Links, load_key
from bot.settings import Settings

if TYPE_CHECKING:
    from aiohttp import web

    from bot.web.hooks import PushHooks

log = logging.getLogger(__name__)


class WebServer:
    """Serves result pages, galleries and files for one bot process."""

    def __init__(self, settings: Settings, links: Links | None = None, gallery: GalleryService | None = None):
        self.settings = settings
        self.links = links or Links(settings)
        self.gallery = gallery
        self.key = self.links.key
        self.port = settings.file_server_port
        self.hooks: PushHooks | None = None  # the completion-call routes, set when push is on
        self._runner: web.AppRunner | None = None

    @property
    def enabled(self) -> bool:
        """Whether the server is configured to run."""
        return self.settings.file_server_port != 0

    @property
    def running(self) -> bool:
        """Whether it is serving now."""
        return self._runner is not None

    @property
    def base_url(self) -> str:
        """Where users reach the server (``VIDEOBOT_PUBLIC_BASE_URL``, else the bound address)."""
        return self.links.base_url

    def token(self, job_id: int) -> str:
        """The unguessable token for a job (URL-safe, 32 characters)."""
        return self.links.token(job_id)

    def image_token(self, name: str) -> str:
        """The token for an input image."""
        return self.links.image_token(name)

    async def publish_input(self, path: Path) -> str:
        """A public URL for an input image the bot stored (for providers that fetch images by URL)."""
        if self._runner is None or not self.settings.public_base_url:
            raise VideobotError("This bot has no public file server, so it can't hand images to this provider.")
        if path.resolve().parent != self.settings.inputs_dir.resolve() or path.suffix != ".png":
            raise VideobotError(detail=f"refusing to publish {path.name}: not a stored input image")
        return f"{self.base_url}/i/{path.stem}/{self.image_token(path.stem)}.png"

    def link_for(self, job_id: int) -> str | None:
        """The public URL of a job's result page (the delivery ladder's link), or None when not running."""
        if self._runner is None or self.gallery is None:
            return None
        return self.links.page_url(job_id)

    def make_app(self) -> web.Application:
        """The aiohttp application (routes, error pages, security headers: :mod:`bot.web.routes`)."""
        from bot.web.routes import Routes  # aiohttp: only once something is served

        return Routes(self).app()

    async def start(self) -> None:
        """Bind and serve (no-op when disabled or already running)."""
        if not self.enabled or self._runner is not None:
            return
        from aiohttp import web

        from bot.web.routes import RouteAccessLogger, access_log

        runner = web.AppRunner(self.make_app(), access_log=access_log, access_log_class=RouteAccessLogger)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.file_server_host, self.settings.file_server_port)
        await site.start()
        self._runner = runner
        log.info("web server listening on %s:%s, links at %s", self.settings.file_server_host, self.port, self.base_url)

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.hooks is not None:
            await self.hooks.aclose()


FileServer = WebServer  # the name the delivery ladder and older code use

__all__ = ["KEY_FILE", "FileServer", "WebServer", "load_key"]
