"""The quota repository (the only SQL about quota seconds): usage, admin limits, and the ledger rows.

Each charged job has one row in ``quota_ledger``: reserved when the job is created, re-priced when it moves to
another model, committed or refunded when it finishes.  Those writes happen inside the job repository's own
transactions (:mod:`storage.jobs` hands its connection to the ``*_in`` helpers here), so a job and its
reservation never disagree.  Shared by both backends through :mod:`storage.database`.
"""

from __future__ import annotations

from typing import Any, Protocol

from storage.database import Conn, SqlDatabase
from storage.errors import StorageError
from storage.models import LedgerState, NewJob, QuotaLimits, Usage


class QuotaRepository(Protocol):
    """Usage, limits and settlement."""

    async def usage(
        self, *, user_id: int | None = None, guild_id: int | None = None, since: float, user_install: bool = False
    ) -> Usage:
        """Seconds reserved or committed since ``since`` by a user (in servers, or with ``user_install`` where
        the app is installed on them) or a guild."""
        ...

    async def limits(self, guild_id: int | None, user_id: int | None) -> list[QuotaLimits]:
        """Override rows that apply: (guild, user), (0, user), (guild, 0), (0, 0)."""
        ...

    async def set_limits(
        self,
        guild_id: int | None,
        user_id: int | None,
        *,
        user_daily_seconds: Any = ...,
        guild_daily_budget: Any = ...,
        now: float,
    ) -> QuotaLimits:
        """Upsert an override row; ``...`` leaves a field as it is, None clears it."""
        ...

    async def ledger_state(self, job_id: int) -> str | None:
        """The reservation state of a job, if it was charged."""
        ...


async def usage_in(conn: Conn, column: str, value: int, since: float, *, user_install: bool = False) -> Usage:
    """Reserved + committed seconds for ``column`` (user_id or guild_id) since ``since``; a user's in one pool:
    servers, or (``user_install``) where the app is installed on them."""
    pool = " AND user_install = ?" if column == "user_id" else ""
    sql = (
        f"SELECT created_at, seconds FROM quota_ledger WHERE {column} = ? AND state != ? "
        f"AND created_at >= ?{pool} ORDER BY created_at"
    )
    params: tuple[object, ...] = (value, LedgerState.REFUNDED.value, since)
    async with conn.execute(sql, (*params, int(user_install)) if pool else params) as cur:
        rows = [(float(r[0]), float(r[1])) for r in await cur.fetchall()]
    return Usage(used=sum(s for _, s in rows), oldest_at=rows[0][0] if rows else None, entries=tuple(rows))


async def reserve_in(
    conn: Conn, job_id: int, new: NewJob, seconds: float, now: float, *, user_install: bool = False
) -> None:
    """The job's quota reservation (inside the create's transaction), in the user-install pool or not."""
    await conn.execute(
        "INSERT INTO quota_ledger (job_id, user_id, guild_id, seconds, state, created_at, user_install)"
        " VALUES (?,?,?,?,?,?,?)",
        (job_id, new.owner_id, new.guild_id, seconds, LedgerState.RESERVED.value, now, int(user_install)),
    )


async def reprice_in(conn: Conn, job_id: int, seconds: float) -> None:
    """Set a job's unsettled reservation to ``seconds`` (inside the model switch's transaction)."""
    await conn.execute(
        "UPDATE quota_ledger SET seconds = ? WHERE job_id = ? AND state = ?",
        (seconds, job_id, LedgerState.RESERVED.value),
    )


async def reserved_seconds_in(conn: Conn, job_id: int) -> float:
    """A job's unsettled reserved seconds (0 when it has none or it is settled)."""
    async with conn.execute(
        "SELECT COALESCE(SUM(seconds), 0) FROM quota_ledger WHERE job_id = ? AND state = ?",
        (job_id, LedgerState.RESERVED.value),
    ) as cur:
        row = await cur.fetchone()
    return float(row[0]) if row and row[0] is not None else 0.0


async def refund_part_in(conn: Conn, job_id: int, seconds: float) -> None:
    """Give ``seconds`` of a job's unsettled reservation back (a /sequence shot that will not be made)."""
    await conn.execute(
        "UPDATE quota_ledger SET seconds = CASE WHEN seconds > ? THEN seconds - ? ELSE 0 END"
        " WHERE job_id = ? AND state = ?",
        (seconds, seconds, job_id, LedgerState.RESERVED.value),
    )


async def settle_in(conn: Conn, job_id: int, ledger: str, now: float) -> None:
    """Commit or refund (``ledger``) a job's reservation as it finishes (inside ``finish``'s transaction);
    idempotent: a settled reservation stays as it is."""
    await conn.execute(
        "UPDATE quota_ledger SET state = ?, settled_at = ? WHERE job_id = ? AND state = ?",
        (LedgerState(ledger).value, now, job_id, LedgerState.RESERVED.value),
    )


class SqlQuota:
    """Quota usage, admin limits, ledger state."""

    def __init__(self, db: SqlDatabase):
        self.db = db

    async def usage(
        self, *, user_id: int | None = None, guild_id: int | None = None, since: float, user_install: bool = False
    ) -> Usage:
        """Seconds reserved or committed since ``since``, by a user (in one pool) or by a guild."""
        if (user_id is None) == (guild_id is None):
            raise StorageError("usage() takes exactly one of user_id and guild_id")
        column, value = ("user_id", user_id) if user_id is not None else ("guild_id", guild_id)
        async with self.db.transaction(locks=[]) as conn:
            return await usage_in(conn, column, int(value or 0), since, user_install=user_install)

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
