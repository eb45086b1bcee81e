"""The SQLite backend: one aiosqlite connection in WAL mode, numbered migrations, repositories.

Migrations are the ``migrations/NNNN_name.sql`` files, applied in order, each in its own
transaction, tracked with ``PRAGMA user_version``.  Every write goes through
:meth:`Database.transaction`, which takes ``BEGIN IMMEDIATE`` (SQLite's write lock, so a second
process on the same file waits instead of racing) under an asyncio lock (so two coroutines never
interleave statements on the shared connection).
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from storage.base import StorageError

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every packaged migration, in order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    for expected, (version, name, _) in enumerate(found, start=1):
        if version != expected:
            raise StorageError(f"migration {name} is out of sequence (expected {expected:04d})")
    return found


class Database:
    """Owns the connection; use :func:`open_database`."""

    def __init__(self, conn: aiosqlite.Connection, path: Path):
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction (BEGIN IMMEDIATE … COMMIT, ROLLBACK on error)."""
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

    async def close(self) -> None:
        """Close the connection."""
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


class SqliteStorage:
    """The :class:`storage.base.Storage` implementation over one SQLite file."""

    def __init__(self, db: Database):
        from storage._jobs import SqliteJobs
        from storage._presets import SqlitePresets
        from storage._quota import SqliteCache, SqliteQuota

        self.db = db
        self.jobs = SqliteJobs(db)
        self.quota = SqliteQuota(db)
        self.cache = SqliteCache(db)
        self.presets = SqlitePresets(db)

    @classmethod
    async def open(cls, path: Path) -> SqliteStorage:
        """Open and migrate the database at ``path``."""
        return cls(await open_database(path))

    async def close(self) -> None:
        """Close the database."""
        await self.db.close()
