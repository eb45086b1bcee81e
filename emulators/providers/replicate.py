"""Replicate's HTTP API as ``replicate`` 1.0.7 speaks it.

Predictions (``POST /v1/predictions`` with a version, ``POST /v1/models/{o}/{n}/predictions`` for
official models, ``GET /v1/predictions[/{id}]``, ``POST /v1/predictions/{id}/cancel``), models and
versions (``GET /v1/models/{o}/{n}[/versions/{id}]``), files (``POST /v1/files`` multipart ``content``).
Inputs are held to each model's vendored input schema (``emulators.providers.law.replicate``): a missing,
unknown, out-of-range or wrong-enum field is a 422 ``Input validation failed`` with ``invalid_fields``, as on
Replicate.  Errors are RFC 7807 problem JSON.

Push: a create with ``webhook`` (and ``completed`` in ``webhook_events_filter``, or no filter) is called
back, signed per Standard Webhooks (``webhook-id``, ``webhook-timestamp``, ``webhook-signature`` =
``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` under the ``whsec_`` secret that
``GET /v1/webhooks/default/secret`` hands out).  ``Cancel-After`` (``900s``, ``15m``, ``1h``) is kept in
``task.extra["cancel_after"]`` and honoured: a prediction not started by then ends ``aborted`` (not billed), one
running then ends ``canceled`` with ``metrics.predict_time`` for the time it ran (billed; see _core).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from emulators.providers._core import ApiState, At, Script, Task
from emulators.providers.law import replicate as replicate_law


@dataclass(frozen=True)
class ModelSpec:
    """What the emulator knows about one model: its input fields and output shape."""

    official: bool
    required: frozenset[str]
    optional: frozenset[str]
    list_output: bool = False

    @property
    def all_fields(self) -> frozenset[str]:
        """Every input the model takes."""
        return self.required | self.optional

    @property
    def version(self) -> str:
        """A stable fake 64-hex version id."""
        return hashlib.sha256(repr(sorted(self.required | self.optional)).encode()).hexdigest()


def _spec(model: str) -> ModelSpec:
    doc = replicate_law.document(model)
    schema = doc["schema"]
    required = frozenset(schema.get("required", ()))
    optional = frozenset(schema["properties"]) - required
    return ModelSpec(doc["official"], required, optional, doc.get("list_output", False))


# Every model with a vendored input schema (emulators/providers/law/schemas/replicate/, each file says where and
# when it was read): the law decides what a prediction's input may hold.
MODELS: dict[str, ModelSpec] = {model: _spec(model) for model in replicate_law.models()}
NOT_FOUND = "The requested resource could not be found."
STATUS = {"queued": "starting", "throttled": "starting", "running": "processing", "succeeded": "succeeded"}
STATUS |= {"failed": "failed", "cancelled": "canceled", "aborted": "aborted"}


class ReplicateEmulator(ApiState):
    """The Replicate API with test knobs (see :class:`emulators.providers._core.ApiState`)."""

    name = "replicate"
    bad_key_message = "You did not pass a valid authentication token"
    page_size = 20

    def reset(self) -> None:
        """Forget everything, files included (the webhook signing secret stays)."""
        if not hasattr(self, "webhook_secret"):
            self.webhook_secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        super().reset()
        self.files: dict[str, dict[str, Any]] = {}
        self.file_data: dict[str, bytes] = {}  # file id -> the bytes received (tests decode them)

    def error_body(self, status: int, message: str) -> Any:
        """RFC 7807 problem details, as Replicate answers."""
        titles = {401: "Unauthenticated", 404: "Not found", 422: "Input validation failed", 429: "Too Many Requests"}
        return {"type": "about:blank", "title": titles.get(status, "Error"), "status": status, "detail": message}

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes of this API."""
        return [
            web.post("/v1/predictions", self.create),
            web.post("/v1/models/{owner}/{name}/predictions", self.create),
            web.get("/v1/predictions", self.list_predictions),
            web.get("/v1/predictions/{id}", self.get_prediction),
            web.post("/v1/predictions/{id}/cancel", self.cancel),
            web.get("/v1/models/{owner}/{name}", self.get_model),
            web.get("/v1/models/{owner}/{name}/versions/{version}", self.get_version),
            web.post("/v1/files", self.create_file),
            web.get("/v1/files/{id}", self.get_file),
            web.get("/v1/webhooks/default/secret", self.get_webhook_secret),
            web.get("/_media/{token}.mp4", self.serve_media),
        ]

    def _resolve(self, request: web.Request, body: dict[str, Any]) -> tuple[str, ModelSpec] | str:
        if "owner" in request.match_info:
            name = f"{request.match_info['owner']}/{request.match_info['name']}"
            spec = MODELS.get(name)
            if spec is None:
                return f"Model {name} not found."
            return (name, spec) if spec.official else f"{name} is not an official model; pass a version."
        version = str(body.get("version") or "")
        for name, spec in MODELS.items():
            if version in (spec.version, f"{name}:{spec.version}") or (spec.official and version == name):
                return name, spec
        return "Invalid version or not permitted."

    def _check_input(self, name: str, data: object) -> list[replicate_law.Invalid]:
        """The law's verdict on ``input``, plus: a file input must be a URL the service can fetch."""
        problems = replicate_law.invalid_fields(name, data)
        if isinstance(data, dict):
            props = replicate_law.document(name)["schema"]["properties"]
            for key, value in data.items():
                prop = props.get(key, {})
                if prop.get("format") == "uri" and not self._file_ok(value):
                    problems.append(replicate_law.Invalid("format", f"input.{key}", "Does not match format 'uri'"))
                if prop.get("items", {}).get("format") == "uri" and isinstance(value, list):  # lists of files
                    for n, item in enumerate(value):
                        if not self._file_ok(item):
                            problems.append(
                                replicate_law.Invalid("format", f"input.{key}.{n}", "Does not match format 'uri'")
                            )
        return problems

    def _file_ok(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        if value.startswith("data:") or value.startswith("https://"):
            return True
        return any(value == f["urls"]["get"] for f in self.files.values())

    def create_endpoint(self, request: web.Request) -> str:
        """POST /v1/models/{o}/{n}/predictions counts as "models", POST /v1/predictions as "predictions"."""
        return "models" if "owner" in request.match_info else "predictions"

    async def check_create(self, request: web.Request, endpoint: str, body: dict[str, Any]) -> web.Response | None:
        """The model (or version) must exist, its input satisfy the model's schema."""
        resolved = self._resolve(request, body)
        if isinstance(resolved, str):
            return self.error(422 if "version" in resolved else 404, resolved)
        if problems := self._check_input(resolved[0], body.get("input")):
            return _invalid_input(problems)
        return None

    def prompt_of(self, body: dict[str, Any]) -> str:
        """The prompt is an input."""
        return str(body["input"].get("prompt") or "")

    def new_task(self, request: web.Request, endpoint: str, body: dict[str, Any], script: Script) -> Task:
        """A prediction as long as its frames (or ``duration``) say, ending at any ``Cancel-After`` deadline."""
        resolved = self._resolve(request, body)
        assert not isinstance(resolved, str)  # check_create refused it otherwise
        name, spec = resolved
        frames = body["input"].get("num_frames")
        seconds = frames / 8 if isinstance(frames, int) else float(body["input"].get("duration") or 2)
        task = Task(self.new_id(), endpoint, body, script, seconds, extra={"model": name, "spec": spec})
        if (cancel_after := request.headers.get("Cancel-After")) is not None:
            task.extra["cancel_after"] = cancel_after
            if (limit := _duration(cancel_after)) is not None:
                task.abort_at = time.monotonic() + limit
        return task

    def started(self, request: web.Request, task: Task) -> None:
        """Call the ``webhook`` back when the prediction completes (if its events filter asks for that)."""
        events = task.body.get("webhook_events_filter")
        if isinstance(task.body.get("webhook"), str) and (events is None or "completed" in events):
            self.start_push(request, task, task.body["webhook"])

    def created(self, request: web.Request, task: Task) -> web.StreamResponse:
        """201 with the prediction."""
        return web.json_response(self.prediction(request, task), status=201)

    def prediction(self, request: web.Request, task: Task) -> dict[str, Any]:
        """The prediction JSON (as GET, list, create and cancel show it)."""
        phase, progress = task.phase()
        status = STATUS[phase]
        spec: ModelSpec = task.extra["spec"]
        base = f"http://{request.host}{self.prefix}/v1/predictions/{task.id}"
        out: dict[str, Any] = {
            "id": task.id,
            "model": task.extra["model"],
            "version": "hidden" if task.endpoint == "models" else spec.version,
            "status": status,
            "input": task.body["input"],
            "output": None,
            "logs": "",
            "error": None,
            "metrics": {},
            "created_at": task.created_iso,
            "started_at": task.created_iso if phase not in ("queued", "throttled", "aborted") else None,
            "completed_at": None,
            "source": "api",
            "data_removed": False,
            "urls": {"get": base, "cancel": f"{base}/cancel", "web": f"https://replicate.com/p/{task.id}"},
        }
        if status == "processing" and progress is not None:
            filled = int(progress * 10)
            out["logs"] = f"{int(progress * 100)}%|{'#' * filled}{' ' * (10 - filled)}| {int(progress * 50)}/50 [00:01]"
        if status == "succeeded":
            url = self.media_url(request, task)
            out["output"] = [url] if spec.list_output else url
            out["metrics"] = {"predict_time": self.predict_time(task), "total_time": self.predict_time(task) + 0.5}
        if status == "failed":
            out["error"] = task.script.failure
            out["metrics"] = {"predict_time": self.predict_time(task)}  # hardware time is billed for failures too
        if status == "canceled" and (ran := task.ran_seconds) is not None:  # it ran: its hardware time is billed
            out["metrics"] = {"predict_time": round(ran, 2)}
        if "predict_time" in out["metrics"]:
            self.reported[task.id] = out["metrics"]["predict_time"]
        if status in ("succeeded", "failed", "canceled", "aborted"):
            out["completed_at"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        return out

    @staticmethod
    def predict_time(task: Task) -> float:
        """Seconds of hardware the prediction ran: grows with the clip's length and differs per prediction."""
        return round(1.25 + 3.5 * task.seconds + (int(hashlib.sha256(task.id.encode()).hexdigest(), 16) % 100) / 100, 2)

    async def get_webhook_secret(self, request: web.Request) -> web.StreamResponse:
        """GET /v1/webhooks/default/secret: the account's signing secret."""
        if denied := self.seen(request):
            return denied
        return web.json_response({"key": self.webhook_secret})

    def push_body(self, at: At, task: Task) -> dict[str, Any]:
        """The prediction, as the webhook carries it."""
        return self.prediction(at, task)  # type: ignore[arg-type]

    def push_headers(self, task: Task, body: bytes, timestamp: int) -> dict[str, str]:
        """Standard Webhooks headers."""
        message_id = f"msg_{secrets.token_hex(12)}"
        key = base64.b64decode(self.webhook_secret.split("_", 1)[1])
        mac = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
        return {
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": f"v1,{base64.b64encode(mac).decode()}",
        }

    def wrong_signature(self, headers: dict[str, str]) -> dict[str, str]:
        """A signature made with another secret."""
        return {**headers, "webhook-signature": f"v1,{base64.b64encode(secrets.token_bytes(32)).decode()}"}

    async def get_prediction(self, request: web.Request) -> web.StreamResponse:
        """GET /v1/predictions/{id}: one poll, which advances the script."""
        return await self.answer_poll(request, self.prediction, NOT_FOUND)

    async def list_predictions(self, request: web.Request) -> web.StreamResponse:
        """GET /v1/predictions: newest first, cursor-paginated; does not advance any task."""
        if denied := self.seen(request):
            return denied
        newest = sorted(self.tasks.values(), key=lambda t: t.id, reverse=True)
        start = int(request.query.get("cursor", "0") or 0)
        page = newest[start : start + self.page_size]
        more = start + self.page_size < len(newest)
        base = f"http://{request.host}{self.prefix}/v1/predictions"
        return web.json_response(
            {
                "previous": None if start == 0 else f"{base}?cursor={max(0, start - self.page_size)}",
                "next": f"{base}?cursor={start + self.page_size}" if more else None,
                "results": [self.prediction(request, t) for t in page],
            }
        )

    async def cancel(self, request: web.Request) -> web.StreamResponse:
        """POST /v1/predictions/{id}/cancel: returns the prediction."""
        if not isinstance(task := await self.task_for(request, NOT_FOUND), Task):
            return task
        task.cancel()
        return web.json_response(self.prediction(request, task))

    async def get_model(self, request: web.Request) -> web.StreamResponse:
        """GET /v1/models/{o}/{n} with its latest version."""
        if denied := self.seen(request):
            return denied
        owner, name = request.match_info["owner"], request.match_info["name"]
        spec = MODELS.get(f"{owner}/{name}")
        if spec is None:
            return self.error(404, NOT_FOUND)
        return web.json_response(
            {
                "url": f"https://replicate.com/{owner}/{name}",
                "owner": owner,
                "name": name,
                "description": "emulated",
                "visibility": "public",
                "github_url": None,
                "paper_url": None,
                "license_url": None,
                "run_count": 1,
                "cover_image_url": None,
                "default_example": None,
                "latest_version": self._version(spec),
            }
        )

    def _version(self, spec: ModelSpec) -> dict[str, Any]:
        model = next(name for name, known in MODELS.items() if known is spec)
        law = {k: v for k, v in replicate_law.document(model)["schema"].items() if k != "$schema"}
        schema = {"components": {"schemas": {"Input": law}}}
        return {
            "id": spec.version,
            "created_at": "2025-01-01T00:00:00Z",
            "cog_version": "0.9.0",
            "openapi_schema": schema,
        }

    async def get_version(self, request: web.Request) -> web.StreamResponse:
        """GET /v1/models/{o}/{n}/versions/{id}."""
        if denied := self.seen(request):
            return denied
        spec = MODELS.get(f"{request.match_info['owner']}/{request.match_info['name']}")
        if spec is None or request.match_info["version"] != spec.version:
            return self.error(404, NOT_FOUND)
        return web.json_response(self._version(spec))

    async def create_file(self, request: web.Request) -> web.StreamResponse:
        """POST /v1/files (multipart ``content``, optional ``metadata``)."""
        if denied := self.seen(request):
            return denied
        form = await request.post()
        content = form.get("content")
        if not hasattr(content, "file"):
            return self.error(400, "content is required")
        data = content.file.read()  # type: ignore[union-attr]
        file_id = self.new_id()
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        self.files[file_id] = {
            "id": file_id,
            "name": content.filename,  # type: ignore[union-attr]
            "content_type": content.content_type,  # type: ignore[union-attr]
            "size": len(data),
            "etag": hashlib.md5(data).hexdigest(),
            "checksums": {"sha256": hashlib.sha256(data).hexdigest()},
            "metadata": {},
            "created_at": now,
            "expires_at": None,
            "urls": {"get": f"http://{request.host}{self.prefix}/v1/files/{file_id}"},
        }
        self.file_data[file_id] = data
        self.uploads += 1
        return web.json_response(self.files[file_id], status=201)

    async def get_file(self, request: web.Request) -> web.StreamResponse:
        """GET /v1/files/{id}."""
        if denied := self.seen(request):
            return denied
        file = self.files.get(request.match_info["id"])
        return web.json_response(file) if file else self.error(404, NOT_FOUND)


def _invalid_input(problems: list[replicate_law.Invalid]) -> web.Response:
    """Replicate's 422 for an input its model's schema refuses (problem details plus ``invalid_fields``)."""
    body = {
        "title": "Input validation failed",
        "detail": "".join(f"{p.line}\n" for p in problems),
        "status": 422,
        "invalid_fields": [{"type": p.type, "field": p.field, "description": p.description} for p in problems],
    }
    return web.json_response(body, status=422, content_type="application/problem+json")


def _duration(value: str) -> float | None:
    """Seconds in a Cancel-After value (``900``, ``900s``, ``15m``, ``1h``, ``1h30m``); None when unreadable."""
    parts = re.fullmatch(r"\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s?)?\s*", value)
    if parts is None or not any(parts.groups()):
        return None
    hours, minutes, seconds = (int(p) if p else 0 for p in parts.groups())
    return hours * 3600.0 + minutes * 60.0 + seconds
