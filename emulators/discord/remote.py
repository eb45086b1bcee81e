"""Driving a standalone emulator (``python -m emulators.discord``) from another process."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from .interactions import Upload

REPO_ROOT = Path(__file__).resolve().parents[2]


class ControlError(RuntimeError):
    """The control API rejected a request (bad test input, or a wait timed out: status 408)."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"{status}: {error}")
        self.status = status


class RemoteEmulator:
    """A thin async client for ``/_emu/*``: the same operations as the in-process API, JSON in and out."""

    def __init__(self, control_url: str) -> None:
        self.control_url = control_url.rstrip("/")
        self._session = aiohttp.ClientSession()
        self.info: dict[str, Any] = {}

    @classmethod
    async def connect(cls, control_url: str) -> RemoteEmulator:
        """Connect and load ``info`` (urls, token, default guild/channel ids, users by name)."""
        remote = cls(control_url)
        remote.info = await remote.call("info")
        return remote

    async def close(self) -> None:
        """Close the HTTP session."""
        await self._session.close()

    @property
    def api_base(self) -> str:
        """The emulator's API base (for ``DISCORD_API_BASE``)."""
        return str(self.info["api_base"])

    @property
    def gateway_url(self) -> str:
        """The emulator's gateway URL (for ``DISCORD_GATEWAY_URL``)."""
        return str(self.info["gateway_url"])

    @property
    def token(self) -> str:
        """The bot token the emulator accepts."""
        return str(self.info["token"])

    async def call(self, op: str, body: dict[str, Any] | None = None) -> Any:
        """POST ``/_emu/{op}``; raises ControlError on a non-200 answer."""
        async with self._session.post(f"{self.control_url}/{op}", json=body or {}) as resp:
            data = await resp.json()
            if resp.status != 200:
                raise ControlError(resp.status, data.get("error", ""))
            return data

    async def slash(
        self,
        user: str | int,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        attachments: dict[str, Upload | tuple[str, bytes]] | None = None,
        channel_id: int | None = None,
    ) -> dict[str, Any]:
        """Invoke a slash command; returns the interaction summary (``id`` for later calls)."""
        files = {}
        for opt, value in (attachments or {}).items():
            up = Upload.coerce(value)
            files[opt] = {"filename": up.filename, "data_b64": base64.b64encode(up.data).decode()}
            if up.content_type:
                files[opt]["content_type"] = up.content_type
        body = {"user": user, "name": name, "options": options or {}, "attachments": files, "channel_id": channel_id}
        return dict(await self.call("slash", body))

    async def click_button(
        self, user: str | int, message_id: int, custom_id: str | None = None, *, label: str | None = None
    ) -> dict[str, Any]:
        """Click a button; returns the interaction summary."""
        body = {"user": user, "message_id": message_id, "custom_id": custom_id, "label": label}
        return dict(await self.call("click", body))

    async def add_reaction(self, user: str | int, channel_id: int | None, message_id: int, emoji: str) -> bool:
        """React to a message as ``user``."""
        body = {"user": user, "channel_id": channel_id, "message_id": message_id, "emoji": emoji}
        return bool((await self.call("reaction", body))["changed"])

    async def interaction(self, interaction_id: int, *, wait: str | None = None, timeout: float = 5.0) -> dict:
        """Interaction summary; ``wait`` = "ack" | "response" | "choices" waits in the emulator first."""
        body = {"interaction_id": interaction_id, "wait": wait, "timeout": timeout}
        return dict(await self.call("interaction", body))

    async def wait_response(self, interaction_id: int, timeout: float = 5.0) -> dict[str, Any]:
        """The first visible response message (summary) of an interaction."""
        return dict((await self.interaction(interaction_id, wait="response", timeout=timeout))["responses"][0])

    async def messages(self, channel_id: int | None = None, *, with_data: bool = False) -> list[dict[str, Any]]:
        """Every live message (summaries), optionally with attachment bytes as base64."""
        return list(await self.call("messages", {"channel_id": channel_id, "with_data": with_data}))

    async def wait_message(self, timeout: float = 5.0, **criteria: Any) -> dict[str, Any]:
        """Wait for a message: content_contains=, has_attachments=, author_id=, after_id=, channel_id=."""
        return dict(await self.call("wait_message", {"timeout": timeout, **criteria}))

    async def fault(self, kind: str, pattern: str, count: int = 1, **extra: Any) -> dict[str, Any]:
        """Inject ``kind`` = "rate_limit" | "server_error" | "fail" for requests matching ``pattern``."""
        return dict(await self.call("fault", {"kind": kind, "pattern": pattern, "count": count, **extra}))

    async def knob(self, action: str, **params: Any) -> dict[str, Any]:
        """disconnect / release / expire_token / delete_channel / delete_message / deny_bot_permission / config."""
        return dict(await self.call("knob", {"action": action, **params}))


@contextlib.asynccontextmanager
async def standalone_emulator(*args: str, timeout: float = 15.0) -> AsyncIterator[RemoteEmulator]:
    """Run ``python -m emulators.discord --port 0 [args]`` in a subprocess and yield a connected client."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulators.discord",
        "--port",
        "0",
        *args,
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    remote: RemoteEmulator | None = None
    try:
        urls: dict[str, str] = {}
        while "CONTROL_URL" not in urls:
            line = (await asyncio.wait_for(proc.stdout.readline(), timeout)).decode()
            if not line:
                raise RuntimeError(f"standalone emulator exited early (code {await proc.wait()})")
            key, _, value = line.strip().partition("=")
            urls[key] = value
        remote = await RemoteEmulator.connect(urls["CONTROL_URL"])
        yield remote
    finally:
        if remote is not None:
            await remote.close()
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 5.0)
            except TimeoutError:
                proc.kill()
                await proc.wait()
