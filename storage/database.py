"""The database a repository sees (:class:`SqlDatabase`, which each backend implements) and the thin dialect
layer: repository SQL is written once, in SQLite's spelling, and runs on both backends.

Repositories (``storage/jobs.py``, ``storage/quota.py`` and the others) see a :class:`SqlDatabase` and write:

- ``?`` placeholders (PostgreSQL gets ``$1, $2, …``), ``INSERT OR IGNORE`` (PostgreSQL gets
  ``… ON CONFLICT DO NOTHING``), ``ON CONFLICT (…) DO UPDATE SET … = excluded.…`` and ``RETURNING``
  (both spell them the same);
- ``async with db.transaction(locks) as conn`` then ``await conn.execute(sql, params)``, whose result has
  ``rowcount``, ``lastrowid``, ``fetchone()`` and ``fetchall()`` and also works as ``async with`` (the
  aiosqlite API, which the PostgreSQL connection mimics); rows read by index and by column name.

What a transaction excludes is the one real difference, so it is explicit:

- ``transaction()`` (no ``locks``) is the whole-database write lock: ``BEGIN IMMEDIATE`` on SQLite, an
  exclusive advisory lock on PostgreSQL.  A new method is correct across processes by default.
- ``transaction(locks=[])`` relies on row locks only (single conditional UPDATEs, upserts); on
  PostgreSQL it runs alongside others and waits only for the rows it writes.
- ``transaction(locks=["user:42", "guild:7"])`` also serialises with every transaction naming one of
  those locks (advisory transaction locks on PostgreSQL, taken in sorted order so they cannot deadlock).
  Use it for read-check-write decisions (a quota reservation, a running-cap check).

SQLite takes ``BEGIN IMMEDIATE`` in all three cases.  ``db.skip_locked`` is ``" FOR UPDATE SKIP LOCKED"`` on
PostgreSQL and empty on SQLite, for the claim's row lock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from functools import lru_cache
from typing import Any, Protocol

#: A connection inside a transaction: ``await conn.execute(sql, params)`` as with aiosqlite.
Conn = Any
Row = Any

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|--[^\n]*|\?")
_INSERT_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_INSERT_TABLE = re.compile(r"^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)


class SqlDatabase(Protocol):
    """What the shared repositories and :class:`storage.facade.SqlStorage` need from a backend's database object
    (:class:`storage.sqlite.Database`, :class:`storage.postgres.PgDatabase`)."""

    dialect: str  # "sqlite" | "postgresql"
    skip_locked: str

    def transaction(self, locks: Sequence[str] | None = None) -> AbstractAsyncContextManager[Conn]:
        """A write transaction; see the module docstring for ``locks``."""
        ...

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a read query."""
        ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Run a read query for one row."""
        ...

    async def notify(self, conn: Conn) -> None:
        """Wake idle workers (in every process) once ``conn``'s transaction commits."""
        ...

    async def notify_now(self) -> None:
        """Wake idle workers now, outside any transaction."""
        ...

    async def wait(self, timeout: float) -> None:
        """Until a wake-up arrives (or one arrived since the last wait) or ``timeout`` passes."""
        ...

    async def hold(self, name: str) -> bool:
        """Take a lock held until :meth:`release` or this process ends (worker ids); False if another holds it."""
        ...

    async def release(self, name: str) -> None:
        """Give back a lock taken by :meth:`hold`."""
        ...

    async def close(self) -> None:
        """Close the connections."""
        ...


@lru_cache(maxsize=1024)
def to_postgres(sql: str) -> str:
    """SQLite spelling → PostgreSQL: ``?`` → ``$n`` (not inside quotes or comments), ``INSERT OR IGNORE``."""
    counter = 0

    def number(match: re.Match[str]) -> str:
        nonlocal counter
        if match.group(0) != "?":
            return match.group(0)
        counter += 1
        return f"${counter}"

    out = _TOKENS.sub(number, sql)
    if _INSERT_OR_IGNORE.match(out):
        out = _INSERT_OR_IGNORE.sub("INSERT INTO", out, count=1)
        parts = _RETURNING.split(out, maxsplit=1)
        out = parts[0].rstrip() + " ON CONFLICT DO NOTHING" + (" RETURNING" + parts[1] if len(parts) > 1 else "")
    return out


def insert_table(sql: str) -> str | None:
    """The table an ``INSERT INTO t …`` writes, if it has no RETURNING clause (for ``lastrowid``)."""
    if _RETURNING.search(sql):
        return None
    match = _INSERT_TABLE.match(sql)
    return match.group(1).lower() if match else None


def has_returning(sql: str) -> bool:
    """Whether the statement returns rows through a RETURNING clause."""
    return bool(_RETURNING.search(sql))


def marks(values: Sequence[Any]) -> str:
    """``?,?,?`` for an ``IN (…)`` list."""
    return ",".join("?" * len(values))
