"""The aiohttp application behind :class:`~bot.web.server.WebServer`: its routes and handlers, the error pages and
the security headers every response carries, and an access log that names routes, never paths (the paths hold
tokens).  Imported only when the server is started (``WebServer.make_app``), so commands that serve nothing do
not load aiohttp."""

from __future__ import annotations

import hmac
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.typedefs import Handler

from bot.services.web.gallery import Gone, NotShown
from bot.web.pages import Pages, error_page

if TYPE_CHECKING:
    from bot.web.server import WebServer

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


class Routes:
    """The handlers of one :class:`~bot.web.server.WebServer` (its links, gallery, settings and push hooks)."""

    def __init__(self, server: WebServer):
        self.server = server
        self.links = server.links
        self.gallery = server.gallery
        self.settings = server.settings

    def image_token(self, name: str) -> str:
        """The token for an input image."""
        return self.server.image_token(name)

    def app(self) -> web.Application:
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
        if self.server.hooks is not None:
            app.router.add_routes(self.server.hooks.routes())
        return app

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
