"""PostgreSQL migrations on the real server (each test in a schema of its own), and their parity with SQLite's."""

import asyncio
import re
from urllib.parse import parse_qs, urlsplit

import asyncpg
import pytest

from storage import StorageError, open_database, open_storage
from storage.database import to_postgres
from storage.postgres import pg_migrations
from storage.sqlite import migrations


async def test_fresh_schema_is_migrated_to_the_latest_version(pg_url):
    storage = await open_storage(pg_url)
    try:
        assert await storage.schema_version() == pg_migrations()[-1][0] == migrations()[-1][0]
    finally:
        await storage.close()


async def test_processes_starting_together_migrate_once(pg_url):
    opened = await asyncio.gather(*(open_storage(pg_url, None) for _ in range(4)))  # type: ignore[arg-type]
    try:
        rows = await opened[0].db.fetchall("SELECT version FROM schema_version")
        assert [r[0] for r in rows] == [pg_migrations()[-1][0]]
    finally:
        for storage in opened:
            await storage.close()


async def test_a_newer_schema_is_refused_with_a_clear_message(pg_url):
    storage = await open_storage(pg_url)
    await storage.db.fetchall("UPDATE schema_version SET version = 999 RETURNING version")
    await storage.close()
    with pytest.raises(StorageError, match=r"database schema 999 is newer than this videobot knows \(\d+\)"):
        await open_storage(pg_url)


async def test_an_unreachable_server_is_a_clear_error():
    with pytest.raises(
        StorageError, match=re.escape("cannot connect to PostgreSQL at postgresql://nobody:***@127.0.0.1:9")
    ):
        await open_storage("postgresql://nobody:secret@127.0.0.1:9/none")


async def test_both_backends_have_the_same_tables_and_columns(pg_url, tmp_path):
    """A SQLite migration without its PostgreSQL twin (or the reverse) fails here."""
    lite = await open_database(tmp_path / "parity.sqlite3")
    try:
        tables = [r[0] for r in await lite.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")]
        sqlite_schema = {
            t: {r[1] for r in await lite.fetchall(f"PRAGMA table_info({t})")}
            for t in tables
            if not t.startswith("sqlite_")
        }
    finally:
        await lite.close()
    storage = await open_storage(pg_url)
    try:
        rows = await storage.db.fetchall(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        )
    finally:
        await storage.close()
    pg_schema: dict[str, set[str]] = {}
    for table, column in rows:
        pg_schema.setdefault(table, set()).add(column)
    pg_schema.pop("schema_version")
    assert pg_schema == sqlite_schema


def test_placeholders_are_numbered_outside_quotes_and_comments():
    sql = "SELECT '?', \"a?\" FROM t WHERE a = ? AND b IN (?,?) -- why?\n AND c = 'it''s ?' AND d = ?"
    assert to_postgres(sql) == (
        "SELECT '?', \"a?\" FROM t WHERE a = $1 AND b IN ($2,$3) -- why?\n AND c = 'it''s ?' AND d = $4"
    )
    assert to_postgres("INSERT OR IGNORE INTO t (a) VALUES (?) RETURNING id") == (
        "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id"
    )


async def test_a_pg_test_schema_is_private(pg_url, pg_server):
    """Tables made through ``pg_url`` live in its schema, not in the shared public one."""
    storage = await open_storage(pg_url)
    await storage.close()
    conn = await asyncpg.connect(pg_server)
    try:
        schema = parse_qs(urlsplit(pg_url).query)["search_path"][0]
        assert await conn.fetchval("SELECT to_regclass($1)", f"{schema}.jobs") is not None
    finally:
        await conn.close()
