"""The result cache repository (the only SQL about cached results), shared by both backends.

A finished job's result is remembered by its request's fingerprint, so the same request again is answered
from the file without a provider call; the janitor drops entries whose file is gone."""

from __future__ import annotations

from typing import Protocol

from storage.database import SqlDatabase
from storage.models import CacheEntry


class CacheRepository(Protocol):
    """The result cache."""

    async def get(self, fingerprint: str) -> CacheEntry | None:
        """A cached result."""
        ...

    async def put(self, fingerprint: str, job_id: int, result_path: str, *, now: float) -> None:
        """Remember a result."""
        ...

    async def drop(self, fingerprint: str) -> None:
        """Forget a result (its file is gone)."""
        ...

    async def entries(self, *, limit: int = 100_000) -> list[CacheEntry]:
        """Every cached result, oldest first (the janitor drops those whose file is gone)."""
        ...


class SqlCache:
    """Results by request fingerprint."""

    def __init__(self, db: SqlDatabase):
        self.db = db

    async def get(self, fingerprint: str) -> CacheEntry | None:
        """A cached result, if any."""
        row = await self.db.fetchone(
            "SELECT fingerprint, job_id, result_path, created_at FROM result_cache WHERE fingerprint = ?",
            (fingerprint,),
        )
        return CacheEntry(row[0], row[1], row[2], row[3]) if row else None

    async def put(self, fingerprint: str, job_id: int, result_path: str, *, now: float) -> None:
        """Remember (or replace) a result."""
        async with self.db.transaction(locks=[]) as conn:
            await conn.execute(
                "INSERT INTO result_cache (fingerprint, job_id, result_path, created_at) VALUES (?,?,?,?)"
                " ON CONFLICT (fingerprint) DO UPDATE SET job_id = excluded.job_id,"
                " result_path = excluded.result_path, created_at = excluded.created_at",
                (fingerprint, job_id, result_path, now),
            )

    async def drop(self, fingerprint: str) -> None:
        """Forget a result."""
        async with self.db.transaction(locks=[]) as conn:
            await conn.execute("DELETE FROM result_cache WHERE fingerprint = ?", (fingerprint,))

    async def entries(self, *, limit: int = 100_000) -> list[CacheEntry]:
        """Every cached result, oldest first."""
        rows = await self.db.fetchall(
            "SELECT fingerprint, job_id, result_path, created_at FROM result_cache ORDER BY created_at LIMIT ?",
            (limit,),
        )
        return [CacheEntry(r[0], r[1], r[2], r[3]) for r in rows]
