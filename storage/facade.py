"""The storage interface the core depends on, and its one implementation both backends share.

:class:`Storage` is deliberately narrow so that several bot processes (shards) can share one PostgreSQL
database: every multi-step decision that must not race (reserve quota + create job, claim a job, settle a
reservation) is one method, i.e. one transaction.  :class:`SqlStorage` implements it by composition: the
repositories (one module each, its interface beside its SQL) over one backend database object
(:class:`storage.database.SqlDatabase`: SQLite or PostgreSQL), plus the backend's named locks.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from storage.breakers import BreakerRepository, SqlBreakers
from storage.cache import CacheRepository, SqlCache
from storage.cast import CastRepository, SqlCast
from storage.costs import CostRepository, SqlCosts
from storage.database import SqlDatabase
from storage.jobs import JobRepository, SqlJobs
from storage.locks import NamedLock, NamedLocks
from storage.members import MemberSettingsRepository, SqlMemberSettings
from storage.presets import PresetRepository, SqlPresets
from storage.quota import QuotaRepository, SqlQuota
from storage.sequences import SequenceRepository, SqlSequences
from storage.timings import SqlTimings, TimingRepository

LOCK_POLL_SECONDS = 0.05  # a named lock's release in another process cannot wake us: poll for it


class Storage(Protocol):
    """Everything the core needs from a database."""

    async def try_lock(self, name: str) -> NamedLock | None:
        """Take the named lock if nobody holds it, else None; every process on this database shares the names.

        A holder that dies (its process or connection gone) loses its locks.  Used for one-of-N duties
        (command sync) and Discord's identify buckets; SQLite: file locks, PostgreSQL: advisory locks."""
        ...

    def advisory_lock(self, name: str) -> AbstractAsyncContextManager[NamedLock]:
        """``async with storage.advisory_lock(name):`` waits for the named lock and holds it for the block."""
        ...

    @property
    def jobs(self) -> JobRepository:
        """Jobs."""
        ...

    @property
    def quota(self) -> QuotaRepository:
        """Quota usage and limits."""
        ...

    @property
    def cache(self) -> CacheRepository:
        """Cached results."""
        ...

    async def wait_for_work(self, timeout: float) -> None:
        """Return when a job was created or finished (in any process on PostgreSQL), or after ``timeout``."""
        ...

    async def notify_work(self) -> None:
        """Wake every idle worker waiting in :meth:`wait_for_work`."""
        ...

    async def hold_worker_id(self, worker_id: str) -> bool:
        """Take a worker id for this process's lifetime; False when another live process holds it."""
        ...

    async def release_worker_id(self, worker_id: str) -> None:
        """Give a worker id back."""
        ...

    @property
    def costs(self) -> CostRepository:
        """What jobs cost."""
        ...

    @property
    def presets(self) -> PresetRepository:
        """Saved option sets."""
        ...

    @property
    def cast(self) -> CastRepository:
        """Servers' cast members."""
        ...

    @property
    def breakers(self) -> BreakerRepository:
        """Per-provider circuit breakers."""
        ...

    @property
    def timings(self) -> TimingRepository:
        """Model run times, learned."""
        ...

    @property
    def sequences(self) -> SequenceRepository:
        """/sequence films' failed shots: decisions and refunds."""
        ...

    @property
    def members(self) -> MemberSettingsRepository:
        """Each member's own settings (the slow-result mention)."""
        ...

    async def close(self) -> None:
        """Close connections."""
        ...


class SqlStorage:
    """:class:`Storage` over a :class:`storage.database.SqlDatabase` (SQLite or PostgreSQL) and its named locks."""

    def __init__(self, db: SqlDatabase, locks: NamedLocks):
        self.db = db
        self.locks = locks
        self.jobs = SqlJobs(db)
        self.quota = SqlQuota(db)
        self.cache = SqlCache(db)
        self.presets = SqlPresets(db)
        self.cast = SqlCast(db)
        self.costs = SqlCosts(db)
        self.breakers = SqlBreakers(db)
        self.timings = SqlTimings(db)
        self.sequences = SqlSequences(db)
        self.members = SqlMemberSettings(db)

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

    async def try_lock(self, name: str) -> NamedLock | None:
        """The named lock if nobody holds it (see :meth:`Storage.try_lock`)."""
        return await self.locks.try_lock(name)

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
