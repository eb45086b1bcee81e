"""A cancel swallowed on the way, as Python 3.11's ``asyncio.wait_for`` swallows one that arrives just as its awaited
call completes (asyncpg's and aiohttp's timeouts are such wait_fors): the stops of the bot's loops must end all the
same, not leave a loop in an idle sleep of an hour."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class SwallowedCancel:
    """Put ``await swallow.point()`` inside the code under test (a wrapped repository call, a connect); then
    ``await swallow.stop(worker.stop)`` completes that call and starts the stop, which cancels, in the same turn
    of the loop, and checks the stop ended."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self._inner: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def point(self) -> None:
        """Wait behind a wait_for until :meth:`stop` completes the call."""
        self.entered.set()
        await asyncio.wait_for(self._inner, timeout=3600)

    async def stop(self, stopping: Callable[[], Awaitable[None]]) -> None:
        """Once the code is waiting at the point: complete its call, stop, and check the stop ended (within a
        minute, not an hour)."""
        async with asyncio.timeout(30):
            await self.entered.wait()
        self._inner.set_result(None)
        task = asyncio.ensure_future(stopping())
        done, _ = await asyncio.wait([task], timeout=60)
        assert task in done and task.exception() is None, "the stop never ended: a loop outlived the swallowed cancel"
