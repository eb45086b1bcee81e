"""The REST middleware: auth, rate-limit headers, injected faults (429/5xx/any), errors as Discord JSON."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import openapi
from ._util import JSON_TYPE, REQUEST_NOTES, ApiError, json_response
from .messages import parse_body

if TYPE_CHECKING:
    from .emulator import DiscordEmulator

API_PREFIX = "/api/v10"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Routes that carry their token in the URL and send no Authorization header (webhook adapter).
NO_AUTH_PREFIXES = ("/webhooks/", "/interactions/")
NO_AUTH_PATHS = ("/gateway",)
MAJOR_PARAMS = ("channel_id", "guild_id", "app_id", "token", "interaction_id")
# Seconds the emulator's own 2xx answers wait to be checked against Discord's description once the loop has a
# moment: checked inline, they doubled the emulator's time per request (0.1 of 0.2 ms for an interaction
# callback's), which a burst of 200 acknowledgements queued behind.  Every answer is still checked; reading the
# violations checks any that wait first.
ANSWER_CHECK_DELAY = 0.2


@dataclass
class Fault:
    """An injected failure for the next ``remaining`` requests whose ``"METHOD /path"`` matches ``pattern``."""

    pattern: str
    status: int
    remaining: int
    body: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)
    hits: int = 0

    def matches(self, line: str) -> bool:
        """Glob match on ``"POST /webhooks/123/abc"`` (path relative to /api/v10, no query)."""
        return self.remaining > 0 and fnmatchcase(line, self.pattern)


@dataclass
class Bucket:
    """A fixed-window request counter standing in for one Discord rate-limit bucket."""

    key: str
    window_start: float = 0.0
    count: int = 0


@dataclass
class RequestLog:
    """One API request the bot made and the status it got."""

    method: str
    path: str
    status: int
    fault: bool = False
    payload: dict[str, Any] | None = None  # the JSON payload of a message create/edit (files left out)
    at: float = 0.0  # time.monotonic() when the request arrived


class RestPolicy:
    """Auth, rate limits and fault injection for every ``/api/v10`` request."""

    def __init__(self, emu: DiscordEmulator) -> None:
        self.emu = emu
        self.faults: list[Fault] = []
        self.log: list[RequestLog] = []
        self.unhandled: list[str] = []  # requests to routes the emulator does not implement
        # Requests and answers Discord's OpenAPI description refuses (see openapi.py); a test fails on any
        # (the fixtures' teardown calls DiscordEmulator.assert_lawful) unless it takes them itself.
        self._violations: list[openapi.Violation] = []
        self._unchecked: list[tuple[str, str, int, Any]] = []  # answers not yet checked: method, path, status, body
        self._check_later: asyncio.TimerHandle | None = None
        self.rate_limit = 50  # requests per bucket per window; beyond it the emulator really answers 429
        self.rate_window = 1.0
        self._buckets: dict[str, Bucket] = {}

    @property
    def violations(self) -> list[openapi.Violation]:
        """Every violation so far, the answers still waiting to be checked checked first."""
        self.check_answers()
        return self._violations

    @violations.setter
    def violations(self, value: list[openapi.Violation]) -> None:
        self.check_answers()
        self._violations = value

    def add_fault(self, fault: Fault) -> Fault:
        """Queue a fault; the first matching fault wins."""
        self.faults.append(fault)
        return fault

    def _take_fault(self, line: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(line):
                fault.remaining -= 1
                fault.hits += 1
                return fault
        return None

    def _bucket(self, request: web.Request) -> Bucket:
        info = request.match_info
        template = info.route.resource.canonical if info.route.resource is not None else request.path
        major = ":".join(info.get(p, "") for p in MAJOR_PARAMS)
        key = f"{request.method} {template}"
        bucket = self._buckets.setdefault(f"{key}|{major}", Bucket(hashlib.sha1(key.encode()).hexdigest()[:16]))
        now = time.monotonic()
        if now - bucket.window_start >= self.rate_window:
            bucket.window_start, bucket.count = now, 0
        bucket.count += 1
        return bucket

    def _headers(self, bucket: Bucket) -> dict[str, str]:
        reset_after = max(self.rate_window - (time.monotonic() - bucket.window_start), 0.001)
        return {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(max(self.rate_limit - bucket.count, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket.key,
        }

    @staticmethod
    def rate_limited(retry_after: float, *, is_global: bool = False, scope: str = "user") -> tuple[dict, dict]:
        """Body and headers of a real 429 (discord.py needs ``Via`` and JSON to treat it as a rate limit)."""
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global}
        headers = {"Via": "1.1 google", "Retry-After": str(math.ceil(retry_after)), "X-RateLimit-Scope": scope}
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        return body, headers

    def _needs_auth(self, rel: str) -> bool:
        return not (rel.startswith(NO_AUTH_PREFIXES) or rel in NO_AUTH_PATHS)

    def _respond_fault(self, fault: Fault, bucket: Bucket) -> web.Response:
        headers = {**self._headers(bucket), **fault.headers}
        if fault.status == 429:
            headers["X-RateLimit-Remaining"] = "0"
        if isinstance(fault.body, str):
            return web.Response(status=fault.status, text=fault.body, content_type="text/html", headers=headers)
        return json_response(fault.body, fault.status, headers)

    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """aiohttp middleware applying the policy; non-API paths only get error conversion."""
        if not request.path.startswith(API_PREFIX + "/"):
            try:
                return await handler(request)
            except ApiError as exc:
                return json_response(exc.body(), exc.status)
        rel = request.path[len(API_PREFIX) :]
        arrived = time.monotonic()
        notes: dict[str, Any] = {}
        REQUEST_NOTES.set(notes)  # this request's own task: concurrent requests do not share it
        bucket = self._bucket(request)
        fault = self._take_fault(f"{request.method} {rel}")
        if fault is not None:
            # Discord's front end takes the whole request before it answers: read the body (an upload's too), so
            # the client never has a refused request half-sent on a connection it may reuse for the retry.
            with contextlib.suppress(ConnectionError, web.HTTPException):
                await request.read()
            self.log.append(RequestLog(request.method, rel, fault.status, fault=True, at=arrived))
            self.emu.notify()
            return self._respond_fault(fault, bucket)
        try:
            if self._needs_auth(rel) and request.headers.get("Authorization") != f"Bot {self.emu.token}":
                raise ApiError(401, 0, "401: Unauthorized")
            if bucket.count > self.rate_limit:  # the client ignored X-RateLimit-Remaining: 0
                body, headers = self.rate_limited(round(self._reset_after(bucket), 3))
                response: web.StreamResponse = json_response(body, 429, headers)
            else:
                await self._check_request(request, rel, notes)
                response = await handler(request)
                self._check_response(request, rel, response)
        except ApiError as exc:
            response = json_response(exc.body(), exc.status)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as exc:
            self.unhandled.append(f"{request.method} {rel}")
            response = json_response({"message": f"{exc.status}: {exc.reason}", "code": 0}, exc.status)
        for name, value in self._headers(bucket).items():
            response.headers.setdefault(name, value)
        self.log.append(RequestLog(request.method, rel, response.status, payload=notes.get("payload"), at=arrived))
        self.emu.notify()
        return response

    async def _check_request(self, request: web.Request, rel: str, notes: dict[str, Any]) -> None:
        """Refuse parameters or a body Discord's description refuses, as Discord does (400 50035), and record it."""
        problems = openapi.check_parameters(request.method, rel, request.query.items())
        shown: Any = {"query": request.query_string} if problems else None
        if request.method in ("POST", "PUT", "PATCH") and request.body_exists:
            parsed = await parse_body(request)
            refused = openapi.check_request(request.method, rel, parsed.raw)
            if refused or problems:
                notes["payload"] = parsed.message.payload
                shown = parsed.raw if not problems else {**shown, "body": parsed.raw}
            problems += refused
        if not problems:
            return
        violation = openapi.Violation(
            "request",
            openapi.operation_name(request.method, rel),
            rel,
            400,
            tuple(p.line() for p in problems),
            openapi.short(shown),
        )
        self.violations.append(violation)  # after the answers waiting to be checked: in order
        raise ApiError(400, 50035, "Invalid Form Body", openapi.errors_object(problems))

    def _check_response(self, request: web.Request, rel: str, response: web.StreamResponse) -> None:
        """Keep a 2xx answer of the emulator's to be checked (:meth:`check_answers`) once the loop has a moment."""
        if not 200 <= response.status < 300:
            return
        body: Any = None
        if isinstance(response, web.Response) and response.body is not None:
            if response.content_type != JSON_TYPE or not isinstance(response.body, bytes):
                body = "<not JSON>"
            else:
                body = response.body  # bytes: decoded when checked
        self._unchecked.append((request.method, rel, response.status, body))
        if self._check_later is None:
            self._check_later = asyncio.get_running_loop().call_later(ANSWER_CHECK_DELAY, self.check_answers)

    def check_answers(self) -> None:
        """Record every waiting 2xx answer that Discord's description says Discord never gives."""
        if self._check_later is not None:
            self._check_later.cancel()
            self._check_later = None
        unchecked, self._unchecked = self._unchecked, []
        for method, rel, status, raw in unchecked:
            body = json.loads(raw) if isinstance(raw, bytes) and raw else (None if isinstance(raw, bytes) else raw)
            problems = openapi.check_response(method, rel, status, body)
            if problems:
                name = openapi.operation_name(method, rel)
                lines = tuple(p.line() for p in problems)
                self._violations.append(openapi.Violation("response", name, rel, status, lines, openapi.short(body)))

    def _reset_after(self, bucket: Bucket) -> float:
        return max(self.rate_window - (time.monotonic() - bucket.window_start), 0.001)
