"""Small helpers shared by the emulator modules: snowflakes, JSON responses, API errors, time."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import time
from typing import Any

from aiohttp import web

DISCORD_EPOCH_MS = 1420070400000
# discord.py only parses a body as JSON when Content-Type is exactly this (http.py json_or_text).
JSON_TYPE = "application/json"
# The request being answered: read_body puts the parsed message payload here for the request log.
REQUEST_NOTES: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("emu_request_notes")
MIB = 1024 * 1024
# Per-file upload limits by guild boost tier (discord.py guild.py _PREMIUM_GUILD_LIMITS, Discord 2025 limits).
TIER_UPLOAD_LIMITS = {0: 10 * MIB, 1: 10 * MIB, 2: 50 * MIB, 3: 100 * MIB}

# Message flags the emulator sets or reads.
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_COMPONENTS_V2 = 1 << 15
USER_SETTABLE_FLAGS = FLAG_SUPPRESS_EMBEDS | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_COMPONENTS_V2

# Gateway intents (privileged ones must be "enabled in the developer portal", see World.privileged_intents).
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_GUILD_MESSAGE_REACTIONS = 1 << 10
INTENT_GUILD_MESSAGE_TYPING = 1 << 11
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_DIRECT_MESSAGE_REACTIONS = 1 << 13
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT


class SnowflakeFactory:
    """Makes real time-based, strictly increasing snowflakes (so discord.py's created_at works)."""

    def __init__(self) -> None:
        self._last_ms = 0
        self._increment = 0

    def next(self) -> int:
        """Return a fresh snowflake for the current time."""
        now_ms = int(time.time() * 1000)
        if now_ms <= self._last_ms:
            self._increment += 1
            if self._increment >= 4096:  # 12-bit counter full: borrow the next millisecond
                self._last_ms += 1
                self._increment = 0
        else:
            self._last_ms = now_ms
            self._increment = 0
        return ((self._last_ms - DISCORD_EPOCH_MS) << 22) | (1 << 17) | self._increment


def snowflake_time(snowflake: int) -> float:
    """Return the UNIX time (seconds) encoded in a snowflake."""
    return ((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000


def iso(ts: float) -> str:
    """Format a UNIX timestamp the way Discord does (ISO 8601, UTC offset)."""
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat()


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response with Content-Type exactly ``application/json`` (aiohttp's helper adds a charset)."""
    return web.Response(
        status=status, body=json.dumps(data).encode(), headers={"Content-Type": JSON_TYPE, **(headers or {})}
    )


class ApiError(Exception):
    """A Discord API error; the server middleware turns it into ``{"message", "code"}`` JSON."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        """The JSON body Discord sends for this error."""
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def unknown_channel() -> ApiError:
    """404 10003."""
    return ApiError(404, 10003, "Unknown Channel")


def unknown_message() -> ApiError:
    """404 10008."""
    return ApiError(404, 10008, "Unknown Message")


def unknown_webhook() -> ApiError:
    """404 10015."""
    return ApiError(404, 10015, "Unknown Webhook")


def unknown_interaction() -> ApiError:
    """404 10062."""
    return ApiError(404, 10062, "Unknown interaction")


def missing_permissions() -> ApiError:
    """403 50013."""
    return ApiError(403, 50013, "Missing Permissions")


def too_large() -> ApiError:
    """413 40005."""
    return ApiError(413, 40005, "Request entity too large")


def invalid_form(field: str, code: str, message: str) -> ApiError:
    """400 50035 with a Discord-style nested ``errors`` object for one field."""
    return ApiError(400, 50035, "Invalid Form Body", {field: {"_errors": [{"code": code, "message": message}]}})
