"""fal's queue API as ``fal_client`` speaks it, served over TLS (fal_client only speaks HTTPS).

``POST /{endpoint}`` (e.g. ``/fal-ai/pika/v2.2/text-to-video``) → ``{request_id, status_url,
response_url, cancel_url, queue_position}``; ``GET /{owner}/{alias}/requests/{id}/status`` →
``IN_QUEUE`` (``queue_position``, 0 = next) | ``IN_PROGRESS`` | ``COMPLETED`` (``error`` and
``error_type`` when the request failed); ``GET /{owner}/{alias}/requests/{id}`` → the result
``{"video": {"url", "content_type", "file_name", "file_size"}}`` (400 while unfinished);
``PUT …/cancel`` → 202, 400 once completed, 404 unknown.  Auth: ``Authorization: Key <key>``.
Errors are ``{"detail": ...}``; a body its endpoint's vendored input schema refuses
(``emulators.providers.law.fal``) is a 422 ``{"detail": [{"loc": ["body", field], "msg", "type"}]}``, as
FastAPI/pydantic answer.  ``Script(queued=3)`` answers the queue positions 2, 1, 0; a cancelled request
completes with ``error_type`` ``request_cancelled``.

Push: a submit with ``fal_webhook`` is called back when the request ends, with ``{request_id,
gateway_request_id, status: "OK"|"ERROR", payload}``, signed with Ed25519 as fal signs it: headers
``X-Fal-Webhook-Request-Id``, ``-User-Id``, ``-Timestamp`` and ``-Signature`` (hex) over
``request_id \n user_id \n timestamp \n hex(sha256(body))``; the public key is served as a JWKS at
``/.well-known/jwks.json`` (fal publishes its own at ``https://rest.fal.ai/.well-known/jwks.json``).

:class:`TlsFiles` makes a throwaway CA with ``trustme`` and a certificate for 127.0.0.1/localhost;
point ``SSL_CERT_FILE`` at ``ca_file`` in the client process.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import ssl
import uuid
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from emulators.providers._core import ApiState, At, Script, Task
from emulators.providers.law import fal as fal_law

USER_ID = "emulator-user"

# Every endpoint with a vendored input schema (emulators/providers/law/schemas/fal/, each file says where and when
# it was read): the law decides what a submit may hold.
ENDPOINTS: frozenset[str] = frozenset(fal_law.endpoints())


def _is_image(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "data:image/"))


def _seconds(endpoint: str, body: dict[str, Any]) -> float:
    if endpoint.endswith("pikaframes"):
        transitions = body.get("transitions") or [{"duration": 5}]
        return float(sum(int(t.get("duration", 5)) for t in transitions))
    return float(body.get("duration", 5))


class FalEmulator(ApiState):
    """The fal queue with test knobs (see :class:`emulators.providers._core.ApiState`)."""

    name = "fal"
    bad_key_message = "Invalid Key Authorization header format"

    def error_body(self, status: int, message: str) -> Any:
        """fal's error JSON."""
        return {"detail": message}

    def reset(self) -> None:
        """Forget everything (the webhook signing key stays)."""
        if not hasattr(self, "signing_key"):
            self.signing_key = Ed25519PrivateKey.generate()
            self.key_id = secrets.token_hex(8)
        super().reset()

    def jwks(self) -> dict[str, Any]:
        """The public key as fal publishes its keys."""
        raw = self.signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        x = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": self.key_id, "alg": "EdDSA", "use": "sig"}]}

    async def get_jwks(self, request: web.Request) -> web.StreamResponse:
        """GET /.well-known/jwks.json (no auth)."""
        return web.json_response(self.jwks())

    def push_body(self, at: At, task: Task) -> dict[str, Any]:
        """fal's webhook JSON."""
        phase, _ = task.phase()
        out: dict[str, Any] = {"request_id": task.id, "gateway_request_id": task.id}
        if phase == "succeeded":
            url = self.media_url(at, task)  # type: ignore[arg-type]
            video = {"url": url, "content_type": "video/mp4", "file_name": "output.mp4", "file_size": None}
            return out | {"status": "OK", "payload": {"video": video, "seed": 42}}
        return out | {"status": "ERROR", "error": task.script.failure, "payload": None}

    def push_headers(self, task: Task, body: bytes, timestamp: int) -> dict[str, str]:
        """fal's signature headers."""
        message = "\n".join([task.id, USER_ID, str(timestamp), hashlib.sha256(body).hexdigest()]).encode()
        return {
            "X-Fal-Webhook-Request-Id": task.id,
            "X-Fal-Webhook-User-Id": USER_ID,
            "X-Fal-Webhook-Timestamp": str(timestamp),
            "X-Fal-Webhook-Signature": self.signing_key.sign(message).hex(),
        }

    def wrong_signature(self, headers: dict[str, str]) -> dict[str, str]:
        """A signature by another key."""
        other = Ed25519PrivateKey.generate().sign(b"something else").hex()
        return {**headers, "X-Fal-Webhook-Signature": other}

    def auth_error(self, request: web.Request) -> web.Response | None:
        """401 unless the request carries ``Authorization: Key <key>``."""
        if request.headers.get("Authorization") != f"Key {self.api_key}":
            return self.error(401, self.bad_key_message)
        return None

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes of this API (mounted at the TLS server's root)."""
        return [
            web.get("/_media/{token}.mp4", self.serve_media),
            web.get("/.well-known/jwks.json", self.get_jwks),
            web.get("/{owner}/{alias}/requests/{id}/status", self.get_status),
            web.put("/{owner}/{alias}/requests/{id}/cancel", self.cancel_request),
            web.get("/{owner}/{alias}/requests/{id}", self.get_result),
            web.post("/{endpoint:.+}", self.create),
        ]

    def sounding(self, task: Task) -> bool:
        """An endpoint with ``generate_audio`` makes sound when the request says so, else as its schema's default
        (Kling v3: true)."""
        prop = fal_law.document(task.endpoint)["schema"]["properties"].get("generate_audio")
        return prop is not None and bool(task.body.get("generate_audio", prop.get("default", False)))

    def media_url(self, request: web.Request, task: Task) -> str:
        """fal's media links are HTTPS (on this same TLS server)."""
        return super().media_url(request, task).replace("http://", "https://", 1)

    def _validate(self, endpoint: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        """The law's verdict, plus: an image input must be a URL fal can fetch (https or a data URI)."""
        problems = [p.as_json() for p in fal_law.problems(endpoint, body)]
        props = fal_law.document(endpoint)["schema"]["properties"]
        for key, value in body.items():
            urls = value if props.get(key, {}).get("type") == "array" and isinstance(value, list) else [value]
            if "image_url" in key and not all(_is_image(u) for u in urls):
                problems.append({"loc": ["body", key], "msg": "not an image URL", "type": "value_error"})
        return problems

    not_an_object = (422, "body must be an object")

    def create_endpoint(self, request: web.Request) -> str:
        """POST /{endpoint}: counted by the endpoint (the app and its path)."""
        return request.match_info["endpoint"].strip("/")

    async def check_create(self, request: web.Request, endpoint: str, body: dict[str, Any]) -> web.Response | None:
        """An app fal has, and a body its schema (pydantic, 422) accepts."""
        if endpoint not in ENDPOINTS:
            return self.error(404, f"Application '{endpoint}' not found")
        if problems := self._validate(endpoint, body):
            return web.json_response({"detail": problems}, status=422)
        return None

    def refusal(self, message: str) -> web.Response:
        """fal refuses flagged content with a 422 ``content_policy_violation``."""
        return web.json_response({"detail": [{"msg": message, "type": "content_policy_violation"}]}, status=422)

    def new_task(self, request: web.Request, endpoint: str, body: dict[str, Any], script: Script) -> Task:
        """A queued request with a uuid."""
        return Task(str(uuid.uuid4()), endpoint, body, script, _seconds(endpoint, body))

    def started(self, request: web.Request, task: Task) -> None:
        """Call ``fal_webhook`` back when the request completes."""
        if hook := request.query.get("fal_webhook"):
            self.start_push(request, task, hook)

    def created(self, request: web.Request, task: Task) -> web.StreamResponse:
        """The queued request's id and URLs."""
        owner, alias = task.endpoint.split("/")[:2]
        base = f"https://{request.host}/{owner}/{alias}/requests/{task.id}"
        return web.json_response(
            {
                "request_id": task.id,
                "response_url": base,
                "status_url": f"{base}/status",
                "cancel_url": f"{base}/cancel",
                "queue_position": task.script.queued - 1 if task.script.queued else 0,
            }
        )

    def status(self, request: web.Request, task: Task) -> dict[str, Any]:
        """The status JSON (queue positions count down to 0, then IN_PROGRESS, then COMPLETED)."""
        phase, _ = task.phase()
        base = f"https://{request.host}{request.path.rsplit('/status', 1)[0]}"
        if phase in ("queued", "throttled"):
            position = max(0, task.script.queued - task.polls - 1)
            return {"status": "IN_QUEUE", "queue_position": position, "response_url": base}
        if phase == "running":
            return {"status": "IN_PROGRESS", "logs": None, "response_url": base}
        out: dict[str, Any] = {"status": "COMPLETED", "logs": None, "response_url": base, "metrics": {}}
        if phase == "succeeded":
            out["metrics"] = {"inference_time": 1.5}
        elif phase == "cancelled":
            out |= {"error": "Request was cancelled", "error_type": "request_cancelled"}
        else:
            out |= {"error": task.script.failure, "error_type": task.script.failure_code or "runner_error"}
        return out

    async def get_status(self, request: web.Request) -> web.StreamResponse:
        """GET …/requests/{id}/status: one poll, which advances the script."""
        return await self.answer_poll(request, self.status, "Request not found")

    async def get_result(self, request: web.Request) -> web.StreamResponse:
        """GET …/requests/{id}: the output of a completed request (does not advance the script)."""
        if not isinstance(task := await self.task_for(request, "Request not found", faults=True), Task):
            return task
        phase, _ = task.phase()
        if phase in ("queued", "throttled", "running"):
            return self.error(400, "Request is still in progress")
        if phase != "succeeded":
            return web.json_response({"detail": [{"msg": task.script.failure, "type": "runner_error"}]}, status=422)
        url = self.media_url(request, task)
        video = {"url": url, "content_type": "video/mp4", "file_name": "output.mp4", "file_size": None}
        return web.json_response({"video": video, "seed": 42})

    async def cancel_request(self, request: web.Request) -> web.StreamResponse:
        """PUT …/cancel: 202 while queued or running, 400 once completed, 404 unknown."""
        if not isinstance(task := await self.task_for(request, "Request not found"), Task):
            return task
        if task.phase()[0] not in ("queued", "throttled", "running"):
            return web.json_response({"status": "ALREADY_COMPLETED"}, status=400)
        task.cancelled = True
        return web.json_response({"status": "CANCELLATION_REQUESTED"}, status=202)


class TlsFiles:
    """A throwaway CA (``ca_file``, for SSL_CERT_FILE) and a server context for 127.0.0.1 and localhost."""

    def __init__(self, directory: Path):
        import trustme  # test tooling: only the TLS emulator needs it

        directory.mkdir(parents=True, exist_ok=True)
        self._ca = trustme.CA()
        self._cert = self._ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = directory / "fal-emulator-ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_file))

    def server_context(self) -> ssl.SSLContext:
        """An SSL context serving the emulator's certificate."""
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._cert.configure_cert(ctx)
        return ctx
