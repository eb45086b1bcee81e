"""Helpers shared by the cloud providers: HTTP status → error mapping, Retry-After, redaction.

Every provider error leaves here as a :mod:`bot.errors` class with a safe ``user_message``; the
provider's own words go to ``detail`` (for the log) after every configured secret is removed.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import mimetypes
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import httpx

from bot.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderModelGone,
    ProviderRejected,
    ProviderTaskFailed,
    ProviderUnavailable,
    RateLimited,
)

MODERATION_MESSAGE = "The video provider's content moderation refused this request. Try a different prompt or image."
_MODERATION_WORDS = ("moderation", "safety", "nsfw", "flagged", "content policy", "sensitive", "not allowed")
_DETAIL_LIMIT = 500


def redact(text: object, secrets: Iterable[str | None]) -> str:
    """``text`` as a string with every secret replaced by ``***`` and cut to a log-friendly length."""
    out = str(text)
    for secret in secrets:
        if secret:
            out = out.replace(secret, "***")
    return out[:_DETAIL_LIMIT]


def looks_like_moderation(text: str | None) -> bool:
    """Whether a provider's message speaks of content moderation."""
    low = (text or "").lower()
    return any(word in low for word in _MODERATION_WORDS)


def retry_after(headers: Mapping[str, str] | httpx.Headers | None) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or HTTP date) or ``retry-after-ms``; None if absent."""
    if not headers:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_for_status(
    provider: str,
    status: int,
    message: str,
    *,
    headers: Mapping[str, str] | httpx.Headers | None = None,
    secrets: Iterable[str | None] = (),
    on_poll: bool = False,
) -> ProviderError:
    """Map an HTTP error answer to the error tree.  ``on_poll``: a 404 means the task is gone."""
    detail = redact(f"HTTP {status}: {message}", secrets)
    if status == 429:
        return RateLimited(retry_after=retry_after(headers), detail=detail, provider=provider)
    if status in (401, 403):
        return ProviderAuthError(detail=detail, provider=provider)
    if status == 404 and on_poll:
        return ProviderTaskFailed(
            "The video provider no longer knows this job; it may have expired.", detail=detail, provider=provider
        )
    if status == 408 or status >= 500:
        return ProviderUnavailable(detail=detail, provider=provider)
    if looks_like_moderation(message):
        return ProviderRejected(MODERATION_MESSAGE, detail=detail, provider=provider)
    if status in (404, 410):  # a create (or a model lookup) for a model the provider no longer has
        return ProviderModelGone(detail=detail, provider=provider)
    return ProviderRejected(
        "The video provider refused this request (invalid input or settings).", detail=detail, provider=provider
    )


def unavailable(provider: str, what: str, exc: BaseException, secrets: Iterable[str | None] = ()) -> ProviderError:
    """A retryable error for a network failure or a malformed answer."""
    return ProviderUnavailable(detail=redact(f"{what}: {type(exc).__name__}: {exc}", secrets), provider=provider)


def never_sent(exc: BaseException) -> bool:
    """Whether a transport error proves the request never reached the server (so nothing was created)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, (httpx.ConnectError, httpx.ConnectTimeout, ConnectionRefusedError)):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def data_uri(path: Path, data: bytes) -> str:
    """A ``data:`` URI for a small file."""
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def job_seed(job_id: int) -> int:
    """A seed derived from our job id: as good as random, and it lets us recognise our own task later."""
    digest = hashlib.sha256(f"videobot-job-{job_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 2_000_000_000 + 1


async def no_status_retries(response: httpx.Response) -> None:
    """httpx response hook for the Stainless SDKs (Runway, Luma): do not retry error answers.

    The SDKs would retry a 429/5xx, sleeping up to 60 s per Retry-After inside one call; the worker
    owns the backoff instead.  Transport errors (a dropped keep-alive connection) are still retried.
    """
    if response.status_code >= 400:
        response.headers["x-should-retry"] = "false"
