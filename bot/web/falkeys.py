"""fal's webhook signing keys: Ed25519 public keys published as a JWKS (``VIDEOBOT_FAL_JWKS_URL``).

Fetched on first use and kept for a day (fal asks for at most 24 h); a signature no cached key accepts
fetches the set again (at most once a minute), so a rotated key is picked up without a restart.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

log = logging.getLogger(__name__)

KEEP_SECONDS = 86_400.0
REFETCH_SECONDS = 60.0


def fal_message(request_id: str, user_id: str, timestamp: str, body: bytes) -> bytes:
    """What fal signs: the request id, user id, timestamp and the body's hex SHA-256, one per line."""
    return "\n".join([request_id, user_id, timestamp, hashlib.sha256(body).hexdigest()]).encode()


def parse_jwks(data: object) -> list[Ed25519PublicKey]:
    """The Ed25519 keys (``kty`` OKP, ``crv`` Ed25519, ``x`` base64url) of a JWKS document."""
    keys: list[Ed25519PublicKey] = []
    entries = data.get("keys") if isinstance(data, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
            continue
        x = entry.get("x")
        try:
            raw = base64.urlsafe_b64decode(str(x) + "=" * (-len(str(x)) % 4))
            keys.append(Ed25519PublicKey.from_public_bytes(raw))
        except ValueError:
            continue
    return keys


class FalKeys:
    """The cached key set, and signature checks against it."""

    def __init__(self, url: str, http: httpx.AsyncClient | None = None):
        self.url = url
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(10.0))
        self._keys: list[Ed25519PublicKey] = []
        self._fetched = 0.0

    async def _fetch(self) -> None:
        self._fetched = time.monotonic()
        try:
            resp = await self._http.get(self.url)
            resp.raise_for_status()
            keys = parse_jwks(resp.json())
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("fal webhook keys could not be fetched from %s: %s", self.url, type(exc).__name__)
            return
        if keys:
            self._keys = keys
        else:
            log.warning("fal webhook keys at %s: no Ed25519 key in the answer", self.url)

    async def verify(self, signature: bytes, message: bytes) -> bool:
        """Whether any of fal's keys made ``signature`` over ``message``."""
        if not self._keys or time.monotonic() - self._fetched > KEEP_SECONDS:
            await self._fetch()
        if _any_verifies(self._keys, signature, message):
            return True
        if time.monotonic() - self._fetched > REFETCH_SECONDS:  # a key rotated since we fetched?
            await self._fetch()
            return _any_verifies(self._keys, signature, message)
        return False

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()


def _any_verifies(keys: list[Ed25519PublicKey], signature: bytes, message: bytes) -> bool:
    for key in keys:
        try:
            key.verify(signature, message)
            return True
        except InvalidSignature:
            continue
    return False
