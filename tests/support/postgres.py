"""The PostgreSQL server the tests use: its default URL, a URL confined to one schema, one statement."""

from __future__ import annotations

PG_DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def with_search_path(url: str, schema: str) -> str:
    """``url`` with ``search_path`` (and ``application_name``) set: asyncpg passes them on as server settings."""
    return f"{url}{'&' if '?' in url else '?'}search_path={schema}&application_name={schema}"


async def pg_execute(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()
