"""Pointing discord.py at an emulator, and running a bot for the length of a ``with`` block."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Protocol

import discord
import discord.gateway
import discord.http
import yarl

if TYPE_CHECKING:
    from discord.ext import commands


class HasUrls(Protocol):
    """Anything with ``api_base`` and ``gateway_url`` (DiscordEmulator, RemoteEmulator)."""

    @property
    def api_base(self) -> str: ...

    @property
    def gateway_url(self) -> str: ...


def point_discord_py_at(target: HasUrls | str, gateway_url: str | None = None) -> Callable[[], None]:
    """Redirect discord.py's REST base and default gateway (process-wide); returns a function that undoes it.

    ``target`` is an emulator, or the API base string with ``gateway_url`` given separately.
    """
    api_base = target if isinstance(target, str) else target.api_base
    gateway = gateway_url if isinstance(target, str) else target.gateway_url
    if gateway is None:
        raise ValueError("gateway_url is required when target is a string")
    old_base, old_gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)

    def restore() -> None:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    return restore


@contextlib.asynccontextmanager
async def running_bot(
    bot: discord.Client | commands.Bot, token: str, *, timeout: float = 10.0
) -> AsyncIterator[discord.Client | commands.Bot]:
    """Start ``bot`` (login, setup_hook, gateway) and wait for on_ready; close it on exit.

    Errors from ``bot.start`` (``LoginFailure``, ``PrivilegedIntentsRequired``) are raised here.
    """
    task = asyncio.create_task(bot.start(token), name="discord-emu-bot")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while not bot.is_ready():
            if task.done():
                task.result()  # raises the startup error
                raise RuntimeError("bot.start() returned before the bot became ready")
            if loop.time() > deadline:
                raise TimeoutError(f"bot not ready within {timeout}s")
            await asyncio.sleep(0.01)
        yield bot
    finally:
        if not bot.is_closed():
            await bot.close()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(task, 5.0)
