"""The SQLite backend: one aiosqlite connection in WAL mode, numbered migrations, the shared repositories.

Migrations are the ``migrations/NNNN_name.sql`` files, applied in order, each in its own
transaction, tracked with ``PRAGMA user_version``.  Every write goes through
:meth:`Database.transaction`, which takes ``BEGIN IMMEDIATE`` (SQLite's write lock, so a second
process on the same file waits instead of racing) under an asyncio lock (so two coroutines never
interleave statements on the shared connection), whatever ``locks`` :mod:`storage.database` asks for.
Waking idle workers is an in-process event; the worker id lock is a file lock next to the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from storage.errors import StorageError
from storage.facade import SqlStorage
from storage.locks import FileLocks
from storage.migrations import numbered_sql


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every packaged SQLite migration, in order."""
    return numbered_sql(resources.files("storage.migrations"))


class Database:
    """Owns the connection; use :func:`open_database`."""

    dialect = "sqlite"
    skip_locked = ""

    def __init__(self, conn: aiosqlite.Connection, path: Path):
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        self._work = asyncio.Event()
        self._held: dict[str, int] = {}  # worker id → fd of its lock file

    @asynccontextmanager
    async def transaction(self, locks: Sequence[str] | None = None) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction (BEGIN IMMEDIATE … COMMIT, ROLLBACK on error), whatever ``locks`` says."""
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        """Run a read query."""
        async with self._lock, self.conn.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        """Run a read query for one row."""
        async with self._lock, self.conn.execute(sql, tuple(params)) as cur:
            return await cur.fetchone()

    async def user_version(self) -> int:
        """The schema version."""
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self, target: int | None = None) -> int:
        """Apply pending migrations up to ``target`` (default: all); return the new version."""
        current = await self.user_version()
        for version, name, sql in migrations():
            if version <= current or (target is not None and version > target):
                continue
            async with self.transaction() as conn:
                for statement in _statements(sql):
                    try:
                        await conn.execute(statement)
                    except sqlite3.Error as exc:
                        raise StorageError(f"migration {name} failed: {exc}") from exc
                await conn.execute(f"PRAGMA user_version = {version:d}")
            current = version
        return current

    async def notify(self, conn: aiosqlite.Connection) -> None:
        """Wake this process's idle worker (other processes on the file poll)."""
        self._work.set()

    async def notify_now(self) -> None:
        """Same as :meth:`notify`, outside a transaction."""
        self._work.set()

    async def wait(self, timeout: float) -> None:
        """Until :meth:`notify` is called (or was since the last wait) or ``timeout`` passes."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._work.wait(), timeout)
        self._work.clear()

    async def hold(self, name: str) -> bool:
        """An exclusive, non-blocking OS lock on ``.{name}.lock`` next to the database (dies with the process)."""
        if name in self._held:
            return True
        fd = os.open(self.path.parent / f".{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._held[name] = fd
        return True

    async def release(self, name: str) -> None:
        """Give back a lock taken by :meth:`hold`."""
        fd = self._held.pop(name, None)
        if fd is not None:
            os.close(fd)

    async def close(self) -> None:
        """Close the connection and give back held locks."""
        for name in list(self._held):
            await self.release(name)
        await self.conn.close()


def _statements(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


async def open_database(path: Path, *, migrate: bool = True) -> Database:
    """Open (creating if needed) the database file, in WAL mode, migrated to the latest version."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA synchronous = NORMAL")
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA busy_timeout = 10000")
    db = Database(conn, path)
    if migrate:
        latest = migrations()[-1][0]
        version = await db.user_version()
        if version > latest:
            await conn.close()
            raise StorageError(f"database schema {version} is newer than this videobot knows ({latest})")
        await db.migrate()
    return db


class SqliteStorage(SqlStorage):
    """The :class:`storage.facade.Storage` implementation over one SQLite file."""

    db: Database

    def __init__(self, db: Database):
        super().__init__(db, FileLocks(db.path.parent / f"{db.path.name}.locks"))

    @classmethod
    async def open(cls, path: Path) -> SqliteStorage:
        """Open and migrate the database at ``path``."""
        return cls(await open_database(path))

    async def schema_version(self) -> int:
        """The schema version."""
        return await self.db.user_version()
