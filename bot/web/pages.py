"""The HTML pages (Jinja2 templates shipped in the package): result page, embed player, gallery."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

from bot.services.delivery.ladder import describe_size
from bot.services.requests.lineage import with_cast
from bot.services.web.gallery import GalleryService, ResultView
from bot.services.web.links import ALL_MEMBERS, Links
from storage import Job

ENV = Environment(
    loader=PackageLoader("bot.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
PARTS = (
    ("subject", "Prompt"),
    ("setting", "Setting"),
    ("camera", "Camera"),
    ("style", "Style"),
    ("lighting", "Lighting"),
    ("details", "Details"),
    ("negative", "Avoid"),
    ("aspect", "Aspect"),
    ("seed", "Seed"),
)
MAX_MODEL_FILTER = 100


def html(request: web.Request | None, body: str, status: int = 200) -> web.Response:
    """An HTML response with a content ETag (a matching If-None-Match gets 304)."""
    data = body.encode("utf-8")
    etag = hashlib.sha256(data).hexdigest()[:32]
    headers = {"Cache-Control": "private, no-cache"}
    if status == 200 and request is not None and any(tag.value == etag for tag in request.if_none_match or ()):
        return web.Response(status=304, headers={**headers, "ETag": f'"{etag}"'})
    response = web.Response(body=data, status=status, content_type="text/html", charset="utf-8", headers=headers)
    response.etag = etag
    return response


def error_page(status: int, title: str, message: str) -> web.Response:
    """A small error page (404, 410, 400)."""
    return html(None, ENV.get_template("error.html").render(title=title, message=message), status)


def when(timestamp: float | None) -> str:
    """``2026-01-02 13:04 UTC``."""
    return datetime.fromtimestamp(timestamp or 0, UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso(timestamp: float | None) -> str:
    """An ISO 8601 time for ``<time datetime>``."""
    return datetime.fromtimestamp(timestamp or 0, UTC).isoformat(timespec="seconds")


def subject_of(job: Job) -> str:
    """The prompt's subject, or what stands in for it."""
    return str(job.spec.get("subject") or "(animated from an image)")


def parts_of(job: Job) -> list[tuple[str, str]]:
    """The prompt's parts as (label, value), in the order /video asks for them."""
    found = []
    for key, label in PARTS:
        value = job.spec.get(key)
        if value not in (None, ""):
            found.append((label, str(value).replace("_", " ") if key in ("camera", "style") else str(value)))
    return found


ENV.globals.update(when=when, iso=iso, subject_of=subject_of, size=describe_size)


class Pages:
    """Request handlers for the HTML pages."""

    def __init__(self, gallery: GalleryService, links: Links):
        self.gallery = gallery
        self.links = links

    def _context(self, view: ResultView) -> dict[str, Any]:
        job, base = view.job, self.links.base_url
        return {
            "view": view,
            "job": job,
            "parts": parts_of(job),
            "cast": with_cast(job),  # "with Mara": the names the job recorded
            "video": self.links.video_path(job.id),
            "poster": self.links.poster_path(job.id) if view.has_poster else None,
            "abs": {
                "page": self.links.page_url(job.id),
                "video": base + self.links.video_path(job.id),
                "poster": base + self.links.poster_path(job.id) if view.has_poster else None,
                "embed": base + self.links.embed_path(job.id),
            },
            "width": job.result_width or 1280,
            "height": job.result_height or 720,
        }

    async def result(self, request: web.Request) -> web.StreamResponse:
        """``/r/{job}/{token}``."""
        view = await self.gallery.result(int(request.match_info["job_id"]))
        return html(request, ENV.get_template("result.html").render(**self._context(view)))

    async def embed(self, request: web.Request) -> web.StreamResponse:
        """``/e/{job}/{token}``: just the player, for unfurls that frame it."""
        view = await self.gallery.result(int(request.match_info["job_id"]))
        return html(request, ENV.get_template("embed.html").render(**self._context(view)))

    async def gallery_page(self, request: web.Request) -> web.StreamResponse:
        """``/g/{guild}/{scope}/{expires}/{sig}``: newest first, filters and an "older" link."""
        info = request.match_info
        guild_id, scope, expires = int(info["guild_id"]), info["scope"], int(info["expires"])
        if not self.links.gallery_genuine(guild_id, scope, expires, info["sig"]):
            raise web.HTTPNotFound()  # forged or altered (scope widened, expiry moved…): say nothing more
        if self.gallery.expired(expires):
            return error_page(410, "Link expired", "This gallery link has expired. Run /gallery again for a new one.")
        admin = scope == ALL_MEMBERS
        member = None if admin else int(scope)
        query = request.query
        if admin and query.get("member", "").isdigit():
            member = int(query["member"])
        model = query.get("model", "")[:MAX_MODEL_FILTER] or None
        sound = {"with": True, "without": False}.get(query.get("sound", ""))
        try:
            page = await self.gallery.page(
                guild_id, member, model=model, cursor=query.get("before") or None, sound=sound
            )
        except ValueError:
            return error_page(400, "Bad request", "That page of the gallery does not exist.")
        chosen = (
            ("member", str(member or "") if admin else ""),
            ("model", model or ""),
            ("sound", "" if sound is None else "with" if sound else "without"),
        )
        filters = {k: v for k, v in chosen if v}
        older = f"{request.path}?{urlencode({**filters, 'before': page.next_cursor})}" if page.next_cursor else None
        newest = f"{request.path}?{urlencode(filters)}" if filters else request.path
        body = ENV.get_template("gallery.html").render(
            page=page,
            admin=admin,
            member=member,
            model=model,
            sound=sound,
            older=older,
            newest=newest,
            first=not query.get("before"),
            action=request.path,
            links=self.links,
        )
        return html(request, body)
