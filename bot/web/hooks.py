"""The completion calls (webhooks) of the providers that can push, on the built-in web server.

Routes (each job's URL carries its unguessable token, an HMAC of the job id, see :mod:`bot.services.web.links`)::

    POST /hooks/replicate/{job}/{token}   Replicate (Standard Webhooks signature, whsec_ secret)
    POST /hooks/luma/{job}/{token}        Luma's callback_url (unsigned: the token is the proof)
    POST /hooks/fal/{job}/{token}         fal (Ed25519 signature, keys from fal's JWKS)

Every call is checked in this order: body size (over ``MAX_BODY``: 413), token (401), signature and
timestamp (within ``VIDEOBOT_PUSH_TOLERANCE_SECONDS``; else 401), then a repeat of a call already taken
(answered 200, no effect).  A valid call only wakes the job (:class:`bot.services.jobs.push.PushService`);
unknown and finished jobs are answered 200 without effect.  Every outcome is logged (never the token).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web
from replicate.webhook import Webhooks, WebhookSigningSecret, WebhookValidationError

from bot.errors import VideobotError
from bot.services.jobs.push import ACCEPTED, PushService
from bot.services.web.links import Links
from bot.web.falkeys import FalKeys, fal_message

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
REMEMBERED = 4096  # calls remembered to answer repeats without effect
JOB = r"{job_id:\d{1,18}}"
TOKEN = r"{token:[A-Za-z0-9_-]{32}}"
LUMA_ENDS = frozenset({"completed", "failed"})
FAL_HEADERS = ("X-Fal-Webhook-Request-Id", "X-Fal-Webhook-User-Id", "X-Fal-Webhook-Timestamp")


class Rejected(Exception):
    """A call answered with an error status and no effect."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status


class Ignored(Exception):
    """A genuine call that asks for nothing (e.g. Luma's call for a state that is not an end)."""


class PushHooks:
    """The three providers' completion-call routes."""

    def __init__(self, push: PushService, links: Links, fal_keys: FalKeys, *, tolerance: float = 300.0):
        self.push = push
        self.links = links
        self.fal_keys = fal_keys
        self.tolerance = tolerance
        self._seen: OrderedDict[str, None] = OrderedDict()

    def routes(self) -> list[web.RouteDef]:
        """The POST routes."""
        return [
            web.post(rf"/hooks/replicate/{JOB}/{TOKEN}", self._handler("replicate", self._replicate)),
            web.post(rf"/hooks/luma/{JOB}/{TOKEN}", self._handler("luma", self._luma)),
            web.post(rf"/hooks/fal/{JOB}/{TOKEN}", self._handler("fal", self._fal)),
        ]

    async def aclose(self) -> None:
        """Close the key fetcher's connections."""
        await self.fal_keys.aclose()

    # --- the shared checks -----------------------------------------------------------------------------
    def _handler(
        self, provider: str, verify: Callable[[web.Request, bytes], Awaitable[tuple[str, str | None]]]
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """A route: size, token, ``verify`` (→ the call's id and task id), repeats, then the wake."""

        async def handle(request: web.Request) -> web.StreamResponse:
            job_id = int(request.match_info["job_id"])
            try:
                body = await _read_capped(request)
                if not hmac.compare_digest(request.match_info["token"], self.links.hook_token(job_id)):
                    raise Rejected(401, "wrong token")
                call_id, task_id = await verify(request, body)
            except Rejected as exc:
                log.warning("push %s job %s: rejected (%s): %s", provider, job_id, exc.status, exc)
                return web.json_response({"error": str(exc)}, status=exc.status)
            except Ignored as exc:
                log.info("push %s job %s: no effect (%s)", provider, job_id, exc)
                return web.json_response({"result": str(exc)})
            key = f"{provider}:{job_id}:{call_id}"
            if key in self._seen:
                log.info("push %s job %s: a repeat of a call already taken; ignored", provider, job_id)
                return web.json_response({"result": "duplicate"})
            outcome = await self.push.record(provider, job_id, task_id)
            self._remember(key)
            if outcome == ACCEPTED:
                log.info("push %s job %s: woken", provider, job_id)
            else:
                log.info("push %s job %s: no effect (%s)", provider, job_id, outcome)
            return web.json_response({"result": outcome})

        return handle

    def _remember(self, key: str) -> None:
        self._seen[key] = None
        while len(self._seen) > REMEMBERED:
            self._seen.popitem(last=False)

    # --- per provider ----------------------------------------------------------------------------------
    async def _replicate(self, request: web.Request, body: bytes) -> tuple[str, str | None]:
        """Standard Webhooks: HMAC-SHA256 of ``id.timestamp.body`` under the whsec_ secret."""
        try:
            secret = await self.push.replicate_secret()
        except VideobotError as exc:  # Replicate retries a 5xx later
            raise Rejected(503, f"the signing secret could not be fetched: {exc.detail or exc.user_message}") from None
        if not secret:
            raise Rejected(401, "no Replicate signing secret to check against")
        try:
            Webhooks.validate(
                headers=dict(request.headers),
                body=body.decode("utf-8"),
                secret=WebhookSigningSecret(key=secret),
                tolerance=int(self.tolerance),
            )
        except (WebhookValidationError, UnicodeDecodeError, ValueError) as exc:  # ValueError: a bad timestamp
            raise Rejected(401, f"bad signature: {type(exc).__name__}") from None
        return request.headers["webhook-id"], _field(body, "id")

    async def _luma(self, request: web.Request, body: bytes) -> tuple[str, str | None]:
        """Unsigned: the token (checked already) is the proof; a repeat is the same body again.  Luma calls on
        every state change: only its end (``completed``, ``failed``) is worth a poll."""
        state = _field(body, "state")
        if state is not None and state not in LUMA_ENDS:
            raise Ignored(f"state {state[:20]!r} is not an end")
        return hashlib.sha256(body).hexdigest(), _field(body, "id")

    async def _fal(self, request: web.Request, body: bytes) -> tuple[str, str | None]:
        """Ed25519 over ``request_id \\n user_id \\n timestamp \\n hex(sha256(body))``, keys from the JWKS."""
        headers: Mapping[str, str] = request.headers
        values = [headers.get(name, "") for name in FAL_HEADERS]
        signature = headers.get("X-Fal-Webhook-Signature", "")
        if not all(values) or not signature:
            raise Rejected(401, "missing fal signature headers")
        request_id, user_id, timestamp = values
        try:
            skew = abs(time.time() - int(timestamp))
            raw = bytes.fromhex(signature)
        except ValueError:
            raise Rejected(401, "malformed fal timestamp or signature") from None
        if skew > self.tolerance:
            raise Rejected(401, f"timestamp {skew:.0f} s off")
        if not await self.fal_keys.verify(raw, fal_message(request_id, user_id, timestamp, body)):
            raise Rejected(401, "bad signature")
        return signature, request_id


async def _read_capped(request: web.Request) -> bytes:
    """The body, or 413 past ``MAX_BODY`` (told by Content-Length, or counted while reading)."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise Rejected(413, f"body of {request.content_length} bytes")
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.content.iter_chunked(65536):
        total += len(chunk)
        if total > MAX_BODY:
            raise Rejected(413, "body over the cap")
        chunks.append(chunk)
    return b"".join(chunks)


def _field(body: bytes, name: str) -> str | None:
    """A top-level string field of a JSON body (None when absent or not JSON)."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    value = data.get(name) if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None
