"""When a result mentions its owner: once, when it arrives more than a minute after the request (a quick result
is seen anyway, and an edit never notifies), unless the member turned it off (``/settings notify off``)."""

from __future__ import annotations

import time
from collections.abc import Callable

from storage import Job, Storage

LATE_AFTER = 60.0  # seconds from the request to its result beyond which the owner is mentioned


class Notifier:
    """Each member's ping setting, and the rule that uses it."""

    def __init__(self, storage: Storage, clock: Callable[[], float] = time.time):
        self.storage = storage
        self.clock = clock

    async def wants_pings(self, user_id: int) -> bool:
        """Whether the member is mentioned when a slow result is ready (default: yes)."""
        return await self.storage.members.notify(user_id)

    async def set_pings(self, user_id: int, on: bool) -> None:
        """``/settings notify on|off``."""
        await self.storage.members.set_notify(user_id, on, now=self.clock())

    async def should_ping(self, job: Job, now: float | None = None) -> bool:
        """Whether the result of ``job``, shown at ``now``, mentions its owner."""
        waited = (self.clock() if now is None else now) - job.created_at
        return waited > LATE_AFTER and await self.wants_pings(job.owner_id)
