"""Signed links to the built-in web server: per-job result pages and files, input images, gallery links.

A per-job token is an HMAC of the job id under a random key kept in the data directory, so the URLs
are unguessable, need no table and survive restarts.  A gallery link signs the server, its scope (one
member, or the whole server for admins) and an expiry time, so it cannot be widened or prolonged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from bot.settings import Settings

KEY_FILE = "fileserver.key"
TOKEN_CHARS = 32
ALL_MEMBERS = "all"


def load_key(path: Path) -> bytes:
    """The HMAC key, created once (owner-only permissions) and reused across restarts."""
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    os.replace(tmp, path)
    return key


class Links:
    """Makes and checks the web server's signed URLs."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.key = load_key(settings.data_dir / KEY_FILE)

    @property
    def base_url(self) -> str:
        """Where users reach the server (``VIDEOBOT_PUBLIC_BASE_URL``, else the bound address)."""
        if self.settings.public_base_url:
            return self.settings.public_base_url.rstrip("/")
        return f"http://{self.settings.file_server_host}:{self.settings.file_server_port}"

    def _sign(self, message: str) -> str:
        digest = hmac.new(self.key, message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:TOKEN_CHARS]

    def token(self, job_id: int) -> str:
        """The unguessable token of a job's page, video and poster (URL-safe, 32 characters)."""
        return self._sign(f"videobot-result:{job_id}")

    def image_token(self, name: str) -> str:
        """The token for an input image."""
        return self._sign(f"videobot-input:{name}")

    def hook_token(self, job_id: int) -> str:
        """The token in a job's completion-call (webhook) URLs: unguessable, so an unsigned call is trusted."""
        return self._sign(f"videobot-hook:{job_id}")

    def hook_url(self, provider: str, job_id: int) -> str:
        """Where ``provider`` calls back when the job's task ends (``/hooks/{provider}/{job}/{token}``)."""
        return f"{self.base_url}/hooks/{provider}/{job_id}/{self.hook_token(job_id)}"

    def job_ok(self, job_id: int, token: str) -> bool:
        """Whether ``token`` is the job's (constant time)."""
        return hmac.compare_digest(token, self.token(job_id))

    def page_path(self, job_id: int) -> str:
        """The result page (paths are relative to the server's base URL)."""
        return f"/r/{job_id}/{self.token(job_id)}"

    def video_path(self, job_id: int) -> str:
        """The result's MP4 (Range requests work)."""
        return f"/v/{job_id}/{self.token(job_id)}.mp4"

    def poster_path(self, job_id: int) -> str:
        """The result's poster frame."""
        return f"/p/{job_id}/{self.token(job_id)}.jpg"

    def embed_path(self, job_id: int) -> str:
        """A bare player page (the ``twitter:player`` frame)."""
        return f"/e/{job_id}/{self.token(job_id)}"

    def page_url(self, job_id: int) -> str:
        """The result page's public URL."""
        return self.base_url + self.page_path(job_id)

    def gallery_signature(self, guild_id: int, scope: str, expires: int) -> str:
        """The signature of a gallery link: ``scope`` is a member id or ``all``."""
        return self._sign(f"videobot-gallery:{guild_id}:{scope}:{expires}")

    def gallery_url(self, guild_id: int, member_id: int | None, now: float) -> str:
        """A gallery link that works for ``VIDEOBOT_GALLERY_LINK_TTL`` seconds from ``now``."""
        scope = ALL_MEMBERS if member_id is None else str(member_id)
        expires = int(now + self.settings.gallery_link_ttl)
        signature = self.gallery_signature(guild_id, scope, expires)
        return f"{self.base_url}/g/{guild_id}/{scope}/{expires}/{signature}"

    def gallery_genuine(self, guild_id: int, scope: str, expires: int, signature: str) -> bool:
        """Whether a gallery link was made by this bot exactly so (server, scope and expiry; constant time)."""
        return hmac.compare_digest(signature, self.gallery_signature(guild_id, scope, expires))
