"""The built-in web server (aiohttp): result pages, galleries, and the files behind them.

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

import hmac
import logging
from pathlib import Path

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.typedefs import Handler

from bot.errors import VideobotError
from bot.services.web.gallery import GalleryService, Gone, NotShown
from bot.services.web.links import KEY_FILE, Links, load_key
from bot.settings import Settings
from bot.web.hooks import PushHooks
from bot.web.pages import Pages, error_page

log = logging.getLogger(__name__)
access_log = logging.getLogger("bot.web.access")

STATIC_DIR = Path(__file__).with_name("static")
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
EMBED_CSP = CSP.replace("frame-ancestors 'none'", "frame-ancestors *")
JOB = r"{job_id:\d{1,18}}"
TOKEN = r"{token:[A-Za-z0-9_-]{32}}"


class RouteAccessLogger(AbstractAccessLogger):
    """One line per request naming the route pattern (``/r/{job_id}/{token}``), never the path itself."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        """Write the line."""
        match = getattr(request, "match_info", None)
        resource = match.route.resource if match is not None and match.route is not None else None
        route = resource.canonical if resource is not None else "(no route)"
        self.logger.info("%s %s %s %.3fs", request.method, route, response.status, time)


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    embed = request.path.startswith("/e/")
    response.headers.setdefault("Content-Security-Policy", EMBED_CSP if embed else CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("X-Robots-Tag", "noindex, nofollow")
    if not embed:
        response.headers["X-Frame-Options"] = "DENY"


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """404/410/400 as small HTML pages (with the same headers as everything else)."""
    try:
        return await handler(request)
    except NotShown:
        return error_page(404, "Not found", "There is nothing here.")
    except Gone:
        return error_page(410, "Gone", "This video was deleted or is no longer stored.")
    except web.HTTPNotFound:
        return error_page(404, "Not found", "There is nothing here.")


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
        """The aiohttp application (routes, error pages, security headers)."""
        app = web.Application(middlewares=[_errors])
        app.on_response_prepare.append(_security_headers)
        add = app.router.add_get
        add(rf"/v/{JOB}/{TOKEN}.mp4", self._serve_video)
        add(rf"/p/{JOB}/{TOKEN}.jpg", self._serve_poster)
        add(r"/i/{name:[A-Za-z0-9_-]{1,64}}/" + TOKEN + ".png", self._serve_image)
        add(r"/static/{name:[a-z0-9_-]{1,40}\.(?:css|js|svg)}", self._serve_static)
        if self.gallery is not None:
            pages = Pages(self.gallery, self.links)
            add(rf"/r/{JOB}/{TOKEN}", self._checked(pages.result))
            add(rf"/e/{JOB}/{TOKEN}", self._checked(pages.embed))
            add(
                r"/g/{guild_id:\d{1,20}}/{scope:all|\d{1,20}}/{expires:\d{1,12}}/" + r"{sig:[A-Za-z0-9_-]{32}}",
                pages.gallery_page,
            )
        if self.hooks is not None:
            app.router.add_routes(self.hooks.routes())
        return app

    async def start(self) -> None:
        """Bind and serve (no-op when disabled or already running)."""
        if not self.enabled or self._runner is not None:
            return
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

    def _checked(self, handler: Handler) -> Handler:
        async def checked(request: web.Request) -> web.StreamResponse:
            self._job_id(request)
            return await handler(request)

        return checked

    def _job_id(self, request: web.Request) -> int:
        job_id = int(request.match_info["job_id"])
        if not self.links.job_ok(job_id, request.match_info["token"]):
            raise web.HTTPNotFound()
        return job_id

    async def _serve_video(self, request: web.Request) -> web.StreamResponse:
        job_id = self._job_id(request)
        if self.gallery is None:
            raise web.HTTPNotFound()
        path = await self.gallery.video(job_id)
        disposition = "attachment" if request.query.get("download") == "1" else "inline"
        headers = {
            "Content-Type": "video/mp4",
            "Content-Disposition": f'{disposition}; filename="videobot-{job_id}.mp4"',
            "Cache-Control": "private, max-age=3600",
        }
        return web.FileResponse(path, headers=headers)  # HEAD, Range (206) and ETag/If-None-Match

    async def _serve_poster(self, request: web.Request) -> web.StreamResponse:
        job_id = self._job_id(request)
        if self.gallery is None:
            raise web.HTTPNotFound()
        path = await self.gallery.poster(job_id)
        return web.FileResponse(path, headers={"Content-Type": "image/jpeg", "Cache-Control": "private, max-age=3600"})

    async def _serve_image(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if not hmac.compare_digest(request.match_info["token"], self.image_token(name)):
            raise web.HTTPNotFound()
        path = self.settings.inputs_dir / f"{name}.png"
        if not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Content-Type": "image/png", "Cache-Control": "private"})

    async def _serve_static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = STATIC_DIR / name  # the route's pattern admits no separators or dots beyond the suffix
        if not path.is_file():
            raise web.HTTPNotFound()
        headers = {"Content-Type": STATIC_TYPES[path.suffix], "Cache-Control": "public, max-age=3600"}
        return web.FileResponse(path, headers=headers)


FileServer = WebServer  # the name the delivery ladder and older code use

__all__ = ["KEY_FILE", "FileServer", "WebServer", "load_key"]
