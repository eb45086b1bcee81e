"""Quota and cache repositories (the only SQL about quotas and cached results), shared by both backends."""

from __future__ import annotations

from typing import Any

from storage._create import usage_in
from storage.base import StorageError
from storage.database import SqlDatabase
from storage.models import CacheEntry, QuotaLimits, Usage


class SqliteQuota:
    """Quota usage, admin limits, ledger state."""

    def __init__(self, db: SqlDatabase):
        self.db = db

    async def usage(self, *, user_id: int | None = None, guild_id: int | None = None, since: float) -> Usage:
        """Seconds reserved or committed since ``since``, by a user or by a guild."""
        if (user_id is None) == (guild_id is None):
            raise StorageError("usage() takes exactly one of user_id and guild_id")
        column, value = ("user_id", user_id) if user_id is not None else ("guild_id", guild_id)
        async with self.db.transaction(locks=[]) as conn:
            return await usage_in(conn, column, int(value or 0), since)

    async def limits(self, guild_id: int | None, user_id: int | None) -> list[QuotaLimits]:
        """Override rows, most specific first: (guild,user), (0,user), (guild,0), (0,0)."""
        g, u = guild_id or 0, user_id or 0
        order = [(g, u), (0, u), (g, 0), (0, 0)]
        rows = await self.db.fetchall(
            "SELECT guild_id, user_id, user_daily_seconds, guild_daily_budget FROM quota_limits"
            " WHERE (guild_id = ? OR guild_id = 0) AND (user_id = ? OR user_id = 0)",
            (g, u),
        )
        by_key = {(r[0], r[1]): QuotaLimits(r[0], r[1], r[2], r[3]) for r in rows}
        seen, result = set(), []
        for key in order:
            if key in by_key and key not in seen:
                seen.add(key)
                result.append(by_key[key])
        return result

    async def set_limits(
        self,
        guild_id: int | None,
        user_id: int | None,
        *,
        user_daily_seconds: Any = ...,
        guild_daily_budget: Any = ...,
        now: float,
    ) -> QuotaLimits:
        """Upsert an override row; ``...`` keeps a field, None clears it."""
        g, u = guild_id or 0, user_id or 0
        async with self.db.transaction(locks=[]) as conn:
            await conn.execute(
                "INSERT INTO quota_limits (guild_id, user_id, updated_at) VALUES (?,?,?)"
                " ON CONFLICT (guild_id, user_id) DO NOTHING",
                (g, u, now),
            )
            if user_daily_seconds is not ...:
                await conn.execute(
                    "UPDATE quota_limits SET user_daily_seconds = ?, updated_at = ? WHERE guild_id = ? AND user_id = ?",
                    (user_daily_seconds, now, g, u),
                )
            if guild_daily_budget is not ...:
                await conn.execute(
                    "UPDATE quota_limits SET guild_daily_budget = ?, updated_at = ? WHERE guild_id = ? AND user_id = ?",
                    (guild_daily_budget, now, g, u),
                )
            cur = await conn.execute(
                "SELECT guild_id, user_id, user_daily_seconds, guild_daily_budget FROM quota_limits"
                " WHERE guild_id = ? AND user_id = ?",
                (g, u),
            )
            row = await cur.fetchone()
        assert row is not None
        return QuotaLimits(row[0], row[1], row[2], row[3])

    async def ledger_state(self, job_id: int) -> str | None:
        """The job's reservation state, or None if it was never charged."""
        row = await self.db.fetchone("SELECT state FROM quota_ledger WHERE job_id = ?", (job_id,))
        return str(row[0]) if row else None


class SqliteCache:
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
