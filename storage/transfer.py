"""Moving a bot's data between backends (``videobot db copy``) and looking at a database (``videobot db check``).

The copy is generic: every table the SQLite schema has (jobs, ledger, limits, cache and whatever later
migrations add) goes to the PostgreSQL table of the same name, column by column, in foreign-key order,
in one PostgreSQL transaction: a failed copy leaves the target as empty as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage import POSTGRES_SCHEMES, sqlite_path
from storage.errors import StorageError
from storage.postgres import PgDatabase, open_pg_database, pg_migrations
from storage.sqlite import Database, migrations, open_database

_BATCH = 5000


@dataclass(frozen=True)
class Report:
    """What ``db check`` prints."""

    backend: str
    version: int
    latest: int
    counts: dict[str, int]


async def _sqlite_tables(lite: Database) -> list[str]:
    """Tables in foreign-key order (a table after those it references)."""
    names = [r[0] for r in await lite.fetchall("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    names = [n for n in names if not n.startswith("sqlite_")]
    deps = {n: {r[2] for r in await lite.fetchall(f'PRAGMA foreign_key_list("{n}")')} - {n} for n in names}
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and deps[n] <= set(ordered)]
        if not ready:
            raise StorageError(f"foreign keys form a cycle among {sorted(set(names) - set(ordered))}")
        ordered += ready
    return ordered


async def _pg_counts(pg: PgDatabase) -> dict[str, int]:
    rows = await pg.fetchall(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        " AND table_type = 'BASE TABLE' AND table_name != 'schema_version' ORDER BY table_name"
    )
    counts = {}
    for (name,) in rows:
        row = await pg.fetchone(f'SELECT COUNT(*) FROM "{name}"')
        counts[str(name)] = int(row[0]) if row else 0
    return counts


def _converter(data_type: str) -> Any:
    if data_type in ("bigint", "integer", "smallint"):
        return int
    if data_type in ("double precision", "real", "numeric"):
        return float
    return str


async def copy_database(source: str, target: str) -> dict[str, int]:
    """Copy a SQLite database (``sqlite:///…``) into an empty PostgreSQL one; return rows copied per table."""
    if not target.startswith(POSTGRES_SCHEMES):
        raise StorageError("--to must be a postgresql:// URL")
    path = sqlite_path(source)
    if not path.is_file():
        raise StorageError(f"no SQLite database at {path}")
    lite = await open_database(path)  # brought to the latest schema, as starting the bot would
    try:
        pg = await open_pg_database(target)
        try:
            return await _copy(lite, pg)
        finally:
            await pg.close()
    finally:
        await lite.close()


async def _copy(lite: Database, pg: PgDatabase) -> dict[str, int]:
    if await lite.user_version() != await pg.version():
        raise StorageError(
            f"schema versions differ: SQLite {await lite.user_version()}, PostgreSQL {await pg.version()}"
        )
    filled = {name: n for name, n in (await _pg_counts(pg)).items() if n}
    if filled:
        raise StorageError(f"the target is not empty ({', '.join(f'{t}: {n} rows' for t, n in filled.items())})")
    tables = await _sqlite_tables(lite)
    types = {
        (str(r[0]), str(r[1])): str(r[2])
        for r in await pg.fetchall(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema()"
        )
    }
    copied: dict[str, int] = {}
    async with pg.pool.acquire() as raw, raw.transaction():
        for table in tables:
            columns = [str(r[1]) for r in await lite.fetchall(f'PRAGMA table_info("{table}")')]
            missing = [c for c in columns if (table, c) not in types]
            if missing:
                raise StorageError(f"PostgreSQL has no {table}.{missing[0]}: a migration is missing its twin")
            convert = [_converter(types[table, c]) for c in columns]
            quoted = ", ".join(f'"{c}"' for c in columns)
            copied[table], last = 0, -1
            while True:
                rows = await lite.fetchall(
                    f'SELECT rowid, {quoted} FROM "{table}" WHERE rowid > ? ORDER BY rowid LIMIT ?',
                    (last, _BATCH),
                )
                if not rows:
                    break
                last = int(rows[-1][0])
                records = [
                    tuple(None if v is None else f(v) for f, v in zip(convert, r[1:], strict=True)) for r in rows
                ]
                await raw.copy_records_to_table(table, records=records, columns=columns, schema_name=pg.schema)
                copied[table] += len(records)
            if (table, "id") in types:  # identity columns continue after the copied ids
                await raw.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST(MAX(id), 1), MAX(id) IS NOT NULL)"
                    f' FROM "{table}"'
                )
    return copied


async def check_database(url: str) -> Report:
    """Schema version and row counts, without migrating anything."""
    if url.startswith(POSTGRES_SCHEMES):
        pg = await open_pg_database(url, migrate=False)
        try:
            return Report("postgresql", await pg.version(), pg_migrations()[-1][0], await _pg_counts(pg))
        finally:
            await pg.close()
    path = sqlite_path(url)
    if not path.is_file():
        raise StorageError(f"no SQLite database at {path}")
    lite = await open_database(path, migrate=False)
    try:
        counts = {}
        for table in sorted(await _sqlite_tables(lite)):
            row = await lite.fetchone(f'SELECT COUNT(*) FROM "{table}"')
            counts[table] = int(row[0]) if row else 0
        return Report("sqlite", await lite.user_version(), migrations()[-1][0], counts)
    finally:
        await lite.close()
