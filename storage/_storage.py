"""The facade both backends share: the shared repositories over one backend database object."""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import Any

from storage.base import NamedLock

LOCK_POLL_SECONDS = 0.05  # a named lock's release in another process cannot wake us: poll for it


class SqlStorage(ABC):
    """:class:`storage.base.Storage` over a :class:`storage._sql.SqlDatabase` (SQLite or PostgreSQL)."""

    def __init__(self, db: Any):
        from storage._costs import SqlCosts
        from storage._jobs import SqliteJobs
        from storage._presets import SqlitePresets
        from storage._quota import SqliteCache, SqliteQuota
        from storage._switch import SqlBreakers
        from storage._timings import SqlTimings

        self.db = db
        self.jobs = SqliteJobs(db)
        self.quota = SqliteQuota(db)
        self.cache = SqliteCache(db)
        self.presets = SqlitePresets(db)
        self.costs = SqlCosts(db)
        self.breakers = SqlBreakers(db)
        self.timings = SqlTimings(db)

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return str(self.db.dialect)

    async def wait_for_work(self, timeout: float) -> None:
        """Return when work may be waiting (a job was created or finished, in any process), or after ``timeout``.

        A wake-up that came while nobody waited is kept, so none is lost between two waits.  On PostgreSQL
        this is LISTEN/NOTIFY (every process); on SQLite an in-process event (other processes poll).
        """
        await self.db.wait(timeout)

    async def notify_work(self) -> None:
        """Wake every idle worker now (:meth:`wait_for_work` returns)."""
        await self.db.notify_now()

    async def hold_worker_id(self, worker_id: str) -> bool:
        """Take ``worker_id`` for this process until :meth:`release_worker_id` or exit; False if another holds it.

        SQLite: an OS file lock next to the database.  PostgreSQL: a session advisory lock, so no two
        processes on any machines share an id; a crashed process's lock dies with its connection, so a
        restart takes its id (and resumes its leased jobs) at once.
        """
        return bool(await self.db.hold(f"worker-{worker_id}"))

    async def release_worker_id(self, worker_id: str) -> None:
        """Give the id back."""
        await self.db.release(f"worker-{worker_id}")

    @abstractmethod
    async def try_lock(self, name: str) -> NamedLock | None:
        """The named lock if nobody holds it (see :meth:`storage.base.Storage.try_lock`)."""

    @contextlib.asynccontextmanager
    async def advisory_lock(self, name: str) -> AsyncIterator[NamedLock]:
        """Wait for the named lock (polling, so the event loop keeps running) and hold it for the block."""
        while (lock := await self.try_lock(name)) is None:  # noqa: ASYNC110 - no cross-process event to wait on
            await asyncio.sleep(LOCK_POLL_SECONDS)
        try:
            yield lock
        finally:
            await lock.release()

    async def close(self) -> None:
        """Close the database."""
        await self.db.close()
