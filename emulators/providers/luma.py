"""Luma Dream Machine as ``lumaai`` 1.x speaks it, under ``/dream-machine/v1``.

``POST /generations`` and ``POST /generations/video`` (201), ``POST /generations/{id}/upscale`` (201, a new
generation of type ``upscale_video`` for a completed one this server made), ``GET /generations/{id}``,
``GET /generations?limit&offset``, ``DELETE /generations/{id}`` (204).  States queued → dreaming →
completed | failed; ``request`` echoes the create body (so ``callback_url`` can be matched).
Every create body is held to Luma's law (:mod:`emulators.providers.law.luma`: the ``lumaai`` SDK's own
param types plus the refusals Luma's error reference lists); a violation is answered 400 with Luma's error
JSON, ``{"detail": "field: reason; ..."}`` (the ``Error`` schema of Luma's OpenAPI description: one
``detail`` string).  Keyframes are also checked against this server: a ``generation`` keyframe must
name a completed generation (extend); an ``image`` keyframe whose URL is on loopback is fetched at
create, as Luma fetches the images it is given, and kept in ``fetched`` (URL -> bytes) for tests to
decode; a URL that does not answer 200 with an image is refused (400).
A ``callback_url`` is called back (an unsigned POST of the generation) when the task ends, unless its
host is a reserved ``.invalid`` one (the bot's lost-create marker).  Errors are ``{"detail": "..."}``.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from emulators.providers import law
from emulators.providers._core import ApiState, At, Script, Task

PREFIX = "/dream-machine/v1"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
FETCH_TIMEOUT = aiohttp.ClientTimeout(total=20)
DURATIONS = {"5s": 5.0, "9s": 9.0}  # seconds of video per lawful ``duration`` (the law lists the values)
STATE = {"queued": "queued", "throttled": "queued", "running": "dreaming", "succeeded": "completed"}
STATE |= {"failed": "failed", "aborted": "failed", "cancelled": "failed"}


class LumaEmulator(ApiState):
    """The Luma API with test knobs (see :class:`emulators.providers._core.ApiState`)."""

    name = "luma"
    bad_key_message = "Invalid API key"

    def error_body(self, status: int, message: str) -> Any:
        """Luma's error JSON."""
        return {"detail": message}

    def reset(self) -> None:
        """Forget everything, fetched keyframe images included."""
        super().reset()
        self.fetched: dict[str, bytes] = {}  # keyframe image URL -> what it answered

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes of this API."""
        return [
            web.post(f"{PREFIX}/generations", self.create),
            web.post(f"{PREFIX}/generations/video", self.create),
            web.post(f"{PREFIX}/generations/{{id}}/upscale", self.create),
            web.get(f"{PREFIX}/generations", self.list_generations),
            web.get(f"{PREFIX}/generations/{{id}}", self.get_generation),
            web.delete(f"{PREFIX}/generations/{{id}}", self.delete_generation),
            web.get("/_media/{token}.mp4", self.serve_media),
        ]

    def _check_frame(self, name: str, frame: dict[str, Any]) -> str | None:
        """A lawful keyframe against this server: an image URL a client could send, a generation it made."""
        if frame["type"] == "image":
            ok = frame["url"].startswith(("https://", "http://", "data:image/"))
            return None if ok else f"keyframes.{name}.url: invalid URL"
        source = self.tasks.get(frame["id"])
        if source is None:
            return f"keyframes.{name}: generation {frame['id']} not found"
        if source.phase()[0] != "succeeded":
            return f"keyframes.{name}: generation {source.id} is not completed"
        return None

    def _validate(self, body: dict[str, Any]) -> str | None:
        if problems := law.check("luma", "generations", body):
            return "; ".join(problems)
        for name, frame in body.get("keyframes", {}).items():
            if problem := self._check_frame(name, frame):
                return problem
        return None

    async def _fetch_images(self, body: dict[str, Any]) -> str | None:
        """Download every loopback image keyframe (never anything off the machine); a problem, or None."""
        for name, frame in (body.get("keyframes") or {}).items():
            url = str(frame.get("url") or "") if frame.get("type") == "image" else ""
            if urlsplit(url).hostname not in LOOPBACK:
                continue
            try:
                async with aiohttp.ClientSession() as session, session.get(url, timeout=FETCH_TIMEOUT) as got:
                    data = await got.read()
                    kind = got.headers.get("Content-Type", "")
                    status = got.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                return f"keyframes.{name}.url: could not fetch the image ({exc.__class__.__name__})"
            if status != 200 or not kind.startswith("image/"):
                return f"keyframes.{name}.url: could not fetch the image (HTTP {status}, {kind or 'no type'})"
            self.fetched[url] = data
        return None

    def create_endpoint(self, request: web.Request) -> str:
        """POST /generations[/video]: counted as "generations"; POST /generations/{id}/upscale as "upscale"."""
        return "upscale" if "id" in request.match_info else "generations"

    def _check_upscale(self, request: web.Request, body: dict[str, Any]) -> str | None:
        """The upscale law, and a source this server made, completed (Luma upscales its own generations)."""
        if problems := law.check("luma", "upscale", body):
            return "; ".join(problems)
        source = self.tasks.get(request.match_info["id"])
        if source is None:
            return f"generation {request.match_info['id']} not found"
        if source.phase()[0] != "succeeded":
            return f"generation {source.id} is not completed"
        return None

    async def check_create(self, request: web.Request, endpoint: str, body: dict[str, Any]) -> web.Response | None:
        """Luma's law and keyframes, then the loopback images fetched."""
        if endpoint == "upscale":
            problem = self._check_upscale(request, body)
        else:
            problem = self._validate(body) or await self._fetch_images(body)
        return self.error(400, problem) if problem else None

    def new_task(self, request: web.Request, endpoint: str, body: dict[str, Any], script: Script) -> Task:
        """A generation with a uuid, as long as its ``duration`` says (an upscale: as long as its source)."""
        if endpoint == "upscale":
            source = self.tasks[request.match_info["id"]]
            return Task(str(uuid.uuid4()), "upscale", body, script, source.seconds, extra={"source": source.id})
        return Task(str(uuid.uuid4()), "generations", body, script, DURATIONS.get(body.get("duration", "5s"), 5.0))

    def started(self, request: web.Request, task: Task) -> None:
        """Call ``callback_url`` back (Luma's callbacks are plain, unsigned POSTs), unless it is the bot's marker."""
        callback = task.body.get("callback_url")
        if isinstance(callback, str) and not (urlsplit(callback).hostname or "").endswith(".invalid"):
            self.start_push(request, task, callback)

    def created(self, request: web.Request, task: Task) -> web.StreamResponse:
        """201 Generation."""
        return web.json_response(self.generation(request, task), status=201)

    def generation(self, request: web.Request, task: Task) -> dict[str, Any]:
        """The Generation JSON."""
        phase, _ = task.phase()
        state = STATE[phase]
        assets: dict[str, Any] | None = None
        if state == "completed":
            assets = {"video": self.media_url(request, task), "image": None, "progress_video": None}
        failure = None
        if state == "failed":
            failure = "Generation was cancelled" if phase == "cancelled" else task.script.failure
        kind = "upscale_video" if task.endpoint == "upscale" else "video"
        return {
            "id": task.id,
            "generation_type": kind,
            "state": state,
            "failure_reason": failure,
            "created_at": task.created_iso,
            "assets": assets,
            "model": task.body.get("model"),
            "request": {"generation_type": "video", **task.body},
        }

    def push_body(self, at: At, task: Task) -> dict[str, Any]:
        """The generation, as the callback carries it."""
        return self.generation(at, task)  # type: ignore[arg-type]

    async def get_generation(self, request: web.Request) -> web.StreamResponse:
        """GET /generations/{id}: one poll, which advances the script."""
        return await self.answer_poll(request, self.generation, "Generation not found")

    async def list_generations(self, request: web.Request) -> web.StreamResponse:
        """GET /generations?limit&offset: newest first; does not advance any task."""
        if denied := self.seen(request):
            return denied
        try:
            limit = max(1, min(100, int(request.query.get("limit", "10"))))
            offset = max(0, int(request.query.get("offset", "0")))
        except ValueError:
            return self.error(400, "limit and offset must be integers")
        newest = sorted(self.tasks.values(), key=lambda t: (t.created_at, t.id), reverse=True)
        page = newest[offset : offset + limit]
        return web.json_response(
            {
                "generations": [self.generation(request, t) for t in page],
                "count": len(page),
                "has_more": offset + limit < len(newest),
                "limit": limit,
                "offset": offset,
            }
        )

    async def delete_generation(self, request: web.Request) -> web.StreamResponse:
        """DELETE /generations/{id} → 204; the generation is gone afterwards."""
        if not isinstance(task := await self.task_for(request, "Generation not found"), Task):
            return task
        del self.tasks[task.id]
        return web.Response(status=204)
