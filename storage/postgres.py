"""The PostgreSQL backend (asyncpg): the shared repositories over a pool, for many processes on many machines.

Migrations are ``migrations/postgres/NNNN_name.sql``; PostgreSQL migration N does what SQLite migration N
does, so both backends have the same version numbers (tests/storage/test_schema_parity.py checks the
tables and columns match).  They are applied in one transaction under an advisory lock, so processes
starting together migrate once; the version lives in the ``schema_version`` table.

Everything is namespaced by the connection's ``current_schema()``: advisory lock keys, the NOTIFY channel
and worker ids, so two bots (or two tests) in two schemas of one database never see each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import asyncpg

from storage.database import Conn, Row, has_returning, insert_table, to_postgres
from storage.errors import StorageError
from storage.facade import SqlStorage
from storage.migrations import numbered_sql

_COUNT = re.compile(r"(\d+)$")
_GLOBAL_LOCK = "database"
_LOCK_SQL = "SELECT pg_advisory_xact_lock{shared}(hashtextextended(current_schema() || ':' || $1, 0))"


def pg_migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every packaged PostgreSQL migration, in order."""
    return numbered_sql(resources.files("storage.migrations") / "postgres", label="postgres/")


class PgCursor:
    """One statement's outcome, shaped like an aiosqlite cursor."""

    def __init__(self, rows: list[Row], rowcount: int, lastrowid: int | None):
        self._rows = rows
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    async def fetchone(self) -> Row | None:
        """The first row, if any."""
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> list[Row]:
        """Every row."""
        return list(self._rows)


class _Pending:
    """``conn.execute(...)`` result: awaitable, and an async context manager, as aiosqlite's is."""

    def __init__(self, conn: PgConn, sql: str, params: Sequence[Any]):
        self._run = conn.run(sql, params)

    def __await__(self) -> Any:
        return self._run.__await__()

    async def __aenter__(self) -> PgCursor:
        return await self._run

    async def __aexit__(self, *exc: object) -> None:
        return None


class PgConn:
    """An asyncpg connection inside a transaction, speaking the repositories' SQLite spelling."""

    def __init__(self, raw: asyncpg.Connection, identity_tables: frozenset[str]):
        self.raw = raw
        self._identity_tables = identity_tables

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Pending:
        """Run one statement (``?`` placeholders)."""
        return _Pending(self, sql, params)

    async def run(self, sql: str, params: Sequence[Any]) -> PgCursor:
        """Translate and run; INSERTs into a table with an identity ``id`` report ``lastrowid``."""
        text = to_postgres(sql)
        table = insert_table(text)
        returning_id = table in self._identity_tables
        if returning_id:
            text += " RETURNING id"
        head = text.split(None, 1)[0].upper() if text.strip() else ""
        try:
            if returning_id or head in ("SELECT", "WITH", "VALUES") or has_returning(text):
                rows = await self.raw.fetch(text, *params)
                last = int(rows[-1]["id"]) if returning_id and rows else None
                return PgCursor(rows, len(rows), last)
            status = await self.raw.execute(text, *params)
        except asyncpg.PostgresError as exc:
            raise StorageError(f"{exc.__class__.__name__}: {exc}") from exc
        match = _COUNT.search(status or "")
        return PgCursor([], int(match.group(1)) if match else 0, None)


class PgDatabase:
    """A pool plus one listening connection and one identity connection; see :mod:`storage.database`."""

    dialect = "postgresql"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, pool: asyncpg.Pool, url: str):
        self.pool = pool
        self.url = url
        self.schema = ""
        self.channel = "videobot_work"
        self._identity_tables: frozenset[str] = frozenset()
        self._listener: asyncpg.Connection | None = None
        self._holder: asyncpg.Connection | None = None  # holds worker-id session locks
        self._work = asyncio.Event()

    async def setup(self) -> None:
        """Learn the schema name and identity tables (after migrating); start listening."""
        async with self.pool.acquire() as raw:
            self.schema = str(await raw.fetchval("SELECT current_schema()"))
            rows = await raw.fetch(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND column_name = 'id' AND is_identity = 'YES'"
            )
        self._identity_tables = frozenset(str(r[0]) for r in rows)
        self.channel = f"videobot_work:{self.schema}"
        await self._listen()

    async def _listen(self) -> None:
        self._listener = await asyncpg.connect(self.url)
        await self._listener.add_listener(self.channel, self._on_notify)

    def _on_notify(self, *_: object) -> None:
        self._work.set()

    @asynccontextmanager
    async def transaction(self, locks: Sequence[str] | None = None) -> AsyncIterator[Conn]:
        """READ COMMITTED plus the advisory locks ``locks`` asks for (see :mod:`storage.database`)."""
        async with self.pool.acquire() as raw, raw.transaction():
            if locks is None:
                await raw.execute(_LOCK_SQL.format(shared=""), _GLOBAL_LOCK)
            else:
                await raw.execute(_LOCK_SQL.format(shared="_shared"), _GLOBAL_LOCK)
                for name in sorted(set(locks)):
                    await raw.execute(_LOCK_SQL.format(shared=""), name)
            yield PgConn(raw, self._identity_tables)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a read query (no transaction: one statement sees one snapshot)."""
        async with self.pool.acquire() as raw:
            return list(await raw.fetch(to_postgres(sql), *params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Run a read query for one row."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def notify(self, conn: Conn) -> None:
        """NOTIFY inside the transaction: delivered to every listener when it commits."""
        await conn.execute("SELECT pg_notify(?, '')", (self.channel,))

    async def notify_now(self) -> None:
        """NOTIFY outside any transaction."""
        async with self.pool.acquire() as raw:
            await raw.execute("SELECT pg_notify($1, '')", self.channel)

    async def wait(self, timeout: float) -> None:
        """Until a NOTIFY arrives (or one arrived since the last wait) or ``timeout`` passes.

        A listening connection lost (a server restart) is reopened here; until it is, this is a plain sleep
        and the caller's own polling finds the work."""
        if self._listener is None or self._listener.is_closed():
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                await self._listen()
                self._work.set()  # notifications may have been missed while it was down
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._work.wait(), timeout)
        self._work.clear()

    async def hold(self, name: str) -> bool:
        """Take the session advisory lock ``name`` on the holder connection (dies with the process)."""
        if self._holder is None or self._holder.is_closed():
            self._holder = await asyncpg.connect(self.url)
        key = "SELECT hashtextextended(current_schema() || ':' || $1, 0)"
        return bool(await self._holder.fetchval(f"SELECT pg_try_advisory_lock(({key}))", name))

    async def release(self, name: str) -> None:
        """Give back a lock taken by :meth:`hold`."""
        if self._holder is not None and not self._holder.is_closed():
            key = "SELECT hashtextextended(current_schema() || ':' || $1, 0)"
            await self._holder.fetchval(f"SELECT pg_advisory_unlock(({key}))", name)

    async def version(self) -> int:
        """The schema version (0 for an empty database)."""
        async with self.pool.acquire() as raw:
            return await _version(raw)

    async def migrate(self, target: int | None = None) -> int:
        """Apply pending migrations up to ``target`` in one transaction; refuse a newer database."""
        known = pg_migrations()
        latest = known[-1][0]
        async with self.pool.acquire() as raw, raw.transaction():
            await raw.execute("SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':migrate', 0))")
            current = await _version(raw)
            if current > latest:
                raise StorageError(
                    f"database schema {current} is newer than this videobot knows ({latest}): upgrade videobot"
                )
            await raw.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            for version, name, sql in known:
                if version <= current or (target is not None and version > target):
                    continue
                try:
                    await raw.execute(sql)
                except asyncpg.PostgresError as exc:
                    raise StorageError(f"migration postgres/{name} failed: {exc}") from exc
                current = version
            await raw.execute("DELETE FROM schema_version")
            await raw.execute("INSERT INTO schema_version (version) VALUES ($1)", current)
        return current

    async def close(self) -> None:
        """Close the pool and the two dedicated connections."""
        for conn in (self._listener, self._holder):
            if conn is not None and not conn.is_closed():
                with contextlib.suppress(Exception):
                    await conn.close()
        await self.pool.close()


async def _version(raw: asyncpg.Connection) -> int:
    exists = await raw.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    return int(await raw.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version"))


async def open_pg_database(url: str, *, migrate: bool = True, min_size: int = 1, max_size: int = 10) -> PgDatabase:
    """Connect a pool to ``url`` (``postgresql://…``, extra query parameters become server settings)."""
    try:
        pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size)
    except (OSError, asyncpg.PostgresError) as exc:
        raise StorageError(f"cannot connect to PostgreSQL at {_safe(url)}: {exc}") from exc
    db = PgDatabase(pool, url)
    try:
        if migrate:
            await db.migrate()
        await db.setup()
    except BaseException:
        await db.close()
        raise
    return db


def _safe(url: str) -> str:
    """The URL without a password."""
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


class PgLock:
    """A named lock held as a session advisory lock on a connection of its own (so two holders in one process
    exclude each other, and a dead process's lock dies with its connection); :meth:`release` is idempotent."""

    def __init__(self, name: str, conn: asyncpg.Connection):
        self.name = name
        self._conn: asyncpg.Connection | None = conn

    async def release(self) -> None:
        """Unlock by closing the connection that holds the lock."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):
                await conn.close()


class PgLocks:
    """PostgreSQL's named locks: session advisory locks scoped to the schema, each on a connection of its own."""

    def __init__(self, url: str):
        self.url = url

    async def try_lock(self, name: str) -> PgLock | None:
        """The named lock if free: ``pg_try_advisory_lock`` on a connection of its own, scoped to the schema."""
        conn = await asyncpg.connect(self.url)
        key = "SELECT hashtextextended(current_schema() || ':lock:' || $1, 0)"
        try:
            taken = bool(await conn.fetchval(f"SELECT pg_try_advisory_lock(({key}))", name))
        except BaseException:
            await conn.close()
            raise
        if not taken:
            await conn.close()
            return None
        return PgLock(name, conn)


class PostgresStorage(SqlStorage):
    """The :class:`storage.facade.Storage` implementation over PostgreSQL, safe for many processes."""

    db: PgDatabase

    def __init__(self, db: PgDatabase):
        super().__init__(db, PgLocks(db.url))

    @classmethod
    async def open(cls, url: str) -> PostgresStorage:
        """Connect to ``url`` and migrate (refusing a database newer than this videobot)."""
        return cls(await open_pg_database(url))

    async def schema_version(self) -> int:
        """The schema version."""
        return await self.db.version()
