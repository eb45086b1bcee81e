"""Driving the worker in service tests: a requester, a submit on the scripted provider, and a spy on the idle loop."""

from __future__ import annotations

import asyncio

from bot.prompt import PromptSpec
from bot.services.requests.generation import Requester

WHO = Requester(user_id=7, guild_id=1, channel_id=2, delivery={"kind": "test"})


async def submit(app, text="a red fox jumps", **kw):
    spec = PromptSpec.create(text, model="scripted:v1", duration=kw.pop("duration", 2), **kw)
    return (await app.service.submit(WHO, spec)).job


IDLE = 3600.0


class LoopSpy:
    """Wraps the real repository's methods: counts dispatch rounds (``runnable``) and the loop's returns to
    sleep (``next_due`` is its last query before it sleeps)."""

    def __init__(self, jobs):
        self.dispatches = 0
        self.sleeps = 0
        self._changed = asyncio.Event()
        runnable, next_due = jobs.runnable, jobs.next_due

        async def counted_runnable(**kw):
            self.dispatches += 1
            return await runnable(**kw)

        async def counted_next_due(**kw):
            try:
                return await next_due(**kw)
            finally:
                self.sleeps += 1
                self._changed.set()

        jobs.runnable, jobs.next_due = counted_runnable, counted_next_due

    async def asleep(self, count: int) -> None:
        """Wait until the loop has gone to sleep ``count`` times."""
        async with asyncio.timeout(30):
            while self.sleeps < count:
                self._changed.clear()
                await self._changed.wait()
