"""Runway's task API as ``runwayml`` 5.x speaks it: creates, tasks, DELETE, and the uploads flow.

Paths (under the mount prefix): ``POST /v1/{text,image,video}_to_video``, ``POST /v1/video_upscale``,
``POST /v1/video_to_audio`` and ``POST /v1/sound_effect`` (the sound alone: an MP3, or the ``format`` asked),
``POST /v1/recipes/multi_shot_video`` (one task for a shot list), ``GET|DELETE /v1/tasks/{id}``,
``POST /v1/uploads`` (answers a loopback ``uploadUrl``) and ``POST /_upload/{id}`` (the presigned
form upload), ``GET /_media/{token}.{mp4,mp3,wav,flac}`` (outputs).  A video asked with ``audio: true`` comes
with an AAC track as long as the picture; one without, silent.  Checks the key, ``X-Runway-Version``, the
create body against Runway's law (:mod:`emulators.providers.law.runway`: the ``runwayml`` SDK's own
param types: models, fields, required keys, ratios, durations, lengths), and that image/video URIs are
data URIs, https URLs or uploads it made.  Errors are ``{"error": "..."}``; a body the law refuses is
answered 400 with every violation, "field: reason", joined by "; " (the shape of Runway's own 400s, e.g.
``'promptImage: Unsupported Content-Type response header: "binary/octet-stream".'``, sdk-python#81).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from emulators.providers import law
from emulators.providers._core import ApiState, Script, Task

VERSION = "2024-11-06"
# credits per second of output, as Runway's price list gives them (the native-audio models without sound; with
# sound: SOUND_CREDITS_PER_SECOND), and per second of sound for the sound endpoints
CREDITS_PER_SECOND = {"gen4.5": 12, "gen4_turbo": 5, "veo3.1": 20, "veo3.1_fast": 10, "aleph2": 15}
# the finishing models (POST /v1/video_upscale): no first-party per-second figure was found (2026-12-06); these are
# the bot's own estimates (bot/providers/prices.py), so what the emulator bills and the quote agree
CREDITS_PER_SECOND |= {"magnific_video_upscaler_creative": 10, "enhance_frame_rate": 5}
CREDITS_PER_SECOND |= {"kling3.0_pro": 15, "seedance2": 36, "wan3": 10, "mirelo_sfx_2_0": 2}
SOUND_CREDITS_PER_SECOND = {"veo3.1": 40, "veo3.1_fast": 15, "kling3.0_pro": 20, "seedance2": 36, "wan3": 12}
SOUND_ENDPOINTS = ("video_to_audio", "sound_effect")
AUDIO_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "flac": "audio/flac"}
STATUS = {"queued": "PENDING", "throttled": "THROTTLED", "running": "RUNNING", "succeeded": "SUCCEEDED"}
STATUS |= {"failed": "FAILED", "cancelled": "CANCELLED", "aborted": "CANCELLED"}


class RunwayEmulator(ApiState):
    """The Runway API with test knobs (see :class:`emulators.providers._core.ApiState`)."""

    name = "runway"

    def reset(self) -> None:
        """Forget everything, uploads included."""
        super().reset()
        self.uploaded: dict[str, bytes] = {}  # runway:// URI -> content
        self.pending_uploads: dict[str, str] = {}  # upload id -> runway:// URI

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes of this API."""
        return [
            web.post(
                "/v1/{endpoint:(text|image|video)_to_video|video_upscale|video_to_audio|sound_effect}", self.create
            ),
            web.post("/v1/recipes/multi_shot_video", self.create),
            web.get("/v1/tasks/{id}", self.get_task),
            web.delete("/v1/tasks/{id}", self.delete_task),
            web.post("/v1/uploads", self.create_upload),
            web.post("/_upload/{id}", self.receive_upload),
            web.get("/_media/{token}.{ext:mp4|mp3|wav|flac}", self.serve_media),
        ]

    def seen(self, request: web.Request) -> web.Response | None:
        """Record the request; refuse a wrong key or a missing ``X-Runway-Version``."""
        if denied := super().seen(request):
            return denied
        if request.headers.get("X-Runway-Version") != VERSION:
            return self.error(400, "X-Runway-Version header is required and must be 2024-11-06.")
        return None

    def _check_uri(self, what: str, uri: object) -> str | None:
        if not isinstance(uri, str) or not uri:
            return f"{what}: Required."
        if uri.startswith("data:"):
            return None if ";base64," in uri else f"{what}: Invalid data URI."
        if uri.startswith("runway://"):
            return None if uri in self.uploaded else f"{what}: Unknown upload URI."
        return None if uri.startswith("https://") else f"{what}: URLs must use HTTPS."

    @staticmethod
    def _uris(body: dict[str, Any]) -> list[tuple[str, object]]:
        """(field, URI) of every media input of a lawful create body."""
        found: list[tuple[str, object]] = []
        for key, value in body.items():
            if isinstance(value, str) and (key.endswith(("Uri", "Image", "Video")) or key == "uri"):
                found.append((key, value))
            elif isinstance(value, dict) and isinstance(value.get("uri"), str):  # the recipe's firstFrame
                found.append((f"{key}.uri", value["uri"]))
            elif isinstance(value, list):
                items = [(i, v) for i, v in enumerate(value) if isinstance(v, dict) and "uri" in v]
                found += [(f"{key}[{i}].uri", v["uri"]) for i, v in items]
        return found

    def _validate(self, endpoint: str, body: dict[str, Any]) -> str | None:
        if problems := law.check("runway", endpoint, body):
            return "; ".join(problems)
        for what, uri in self._uris(body):
            if problem := self._check_uri(what, uri):
                return problem
        return None

    bad_json_message = "Invalid JSON body."

    def create_endpoint(self, request: web.Request) -> str:
        """POST /v1/{text,image,video}_to_video (counted by its endpoint) or the multi-shot recipe."""
        return request.match_info.get("endpoint") or "recipes/multi_shot_video"

    async def check_create(self, request: web.Request, endpoint: str, body: dict[str, Any]) -> web.Response | None:
        """Runway's law, then the media URIs."""
        return self.error(400, problem) if (problem := self._validate(endpoint, body)) else None

    def prompt_of(self, body: dict[str, Any]) -> str:
        """Runway's prompt is ``promptText`` (the recipe's: its story prompt, or its shots' prompts)."""
        shots = body["shots"] if isinstance(body.get("shots"), list) else []
        told = " ".join(str(s.get("prompt") or "") for s in shots if isinstance(s, dict))
        return str(body.get("promptText") or body.get("prompt") or told)

    def new_task(self, request: web.Request, endpoint: str, body: dict[str, Any], script: Script) -> Task:
        """The task, priced in credits by model and duration."""
        duration = body.get("duration")
        from_video = endpoint in ("video_to_video", "video_upscale")  # as long as its source clip (2 s here)
        fallback = 2 if from_video else 10 if endpoint == "recipes/multi_shot_video" else 5
        seconds = float(duration) if isinstance(duration, int | float) else fallback
        model = str(body.get("model"))
        table = SOUND_CREDITS_PER_SECOND if body.get("audio") is True else CREDITS_PER_SECOND
        if model == "eleven_text_to_sound_v2":
            credits = 2 if seconds > 10 else 1  # "1-2 credits" a sound (see bot/providers/prices.py)
        else:
            credits = int(table.get(model, 10) * seconds)
        return Task(self.new_id(), endpoint, body, script, seconds, extra={"credits": credits})

    def sounding(self, task: Task) -> bool:
        """A video asked with ``audio: true`` has a sound track."""
        return task.endpoint.endswith("_to_video") and task.body.get("audio") is True

    def output_ext(self, task: Task) -> str:
        """The sound endpoints answer with the sound alone (``format``, default MP3)."""
        return str(task.body.get("format") or "mp3") if task.endpoint in SOUND_ENDPOINTS else "mp4"

    async def output(self, task: Task) -> tuple[bytes, str]:
        """A sound task's sound file (as long as its ``duration``), else the clip."""
        if task.endpoint not in SOUND_ENDPOINTS:
            return await super().output(task)
        fmt = self.output_ext(task)
        return await self.videos.sound(task.script.output_seconds or task.seconds, fmt), AUDIO_TYPES[fmt]

    def created(self, request: web.Request, task: Task) -> web.StreamResponse:
        """The new task's id and estimated cost."""
        return web.json_response({"id": task.id, "estimatedCost": {"credits": task.extra["credits"]}})

    @staticmethod
    def charged(task: Task) -> int:
        """What the task costs in its current state: the estimate while live; at the end, the whole price
        for a success and for an input refused by moderation (Runway keeps those), 0 for other failures."""
        phase = task.phase()[0]
        if phase == "succeeded":
            return int(task.extra["credits"])
        if phase == "failed" and str(task.script.failure_code or "").startswith("SAFETY.INPUT"):
            return int(task.extra["credits"])
        return 0

    def task_json(self, request: web.Request, task: Task) -> dict[str, Any]:
        """The task as GET /v1/tasks/{id} shows it."""
        phase, progress = task.phase()
        status = STATUS[phase]
        out: dict[str, Any] = {"id": task.id, "createdAt": task.created_iso, "status": status}
        if status in ("PENDING", "THROTTLED", "RUNNING"):
            out["estimatedCost"] = {"credits": task.extra["credits"]}
        else:
            out["cost"] = {"credits": self.charged(task)}
            self.reported[task.id] = self.charged(task)  # kept after a DELETE: what the bill says
        if status == "RUNNING":
            out["progress"] = progress
        elif status == "SUCCEEDED":
            out["output"] = [self.media_url(request, task)]
        elif status == "FAILED":
            out["failure"] = task.script.failure
            if task.script.failure_code:
                out["failureCode"] = task.script.failure_code
        return out

    async def get_task(self, request: web.Request) -> web.StreamResponse:
        """GET /v1/tasks/{id}: one poll, which advances the script."""
        return await self.answer_poll(request, self.task_json, "Task not found.")

    async def delete_task(self, request: web.Request) -> web.StreamResponse:
        """DELETE /v1/tasks/{id}: cancel a live task, delete a finished one; 204."""
        if not isinstance(task := await self.task_for(request, "Task not found."), Task):
            return task
        if task.phase()[0] in ("queued", "throttled", "running"):
            task.cancelled = True
        else:
            del self.tasks[task.id]
        return web.Response(status=204)

    async def create_upload(self, request: web.Request) -> web.StreamResponse:
        """POST /v1/uploads: answer where to send the file (a presigned-style form on this server)."""
        if denied := self.seen(request):
            return denied
        body = await request.json()
        if body.get("type") != "ephemeral" or not body.get("filename"):
            return self.error(400, "filename and type=ephemeral are required.")
        upload_id = self.new_id()
        uri = f"runway://uploads/{upload_id}/{body['filename']}"
        self.pending_uploads[upload_id] = uri
        url = f"http://{request.host}{self.prefix}/_upload/{upload_id}"
        return web.json_response({"runwayUri": uri, "uploadUrl": url, "fields": {"key": upload_id, "policy": "p"}})

    async def receive_upload(self, request: web.Request) -> web.StreamResponse:
        """The unauthenticated multipart form POST the SDK sends to ``uploadUrl``; 204 like S3."""
        upload_id = request.match_info["id"]
        form = await request.post()
        file = form.get("file")
        if upload_id not in self.pending_uploads or form.get("key") != upload_id or not hasattr(file, "file"):
            return web.Response(status=400, text="<Error><Code>InvalidArgument</Code></Error>")
        self.uploaded[self.pending_uploads.pop(upload_id)] = file.file.read()  # type: ignore[union-attr]
        self.uploads += 1
        return web.Response(status=204)
