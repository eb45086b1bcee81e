"""The money repository (the only SQL about what jobs cost): reservations, the providers' figures, settlement,
spend caps and usage reports, shared by both backends through :mod:`storage.database`.

A job's row in ``job_costs`` is made with its quota reservation (:mod:`storage.jobs` ``create``, one
transaction, checked against the caps there); ``spent`` is what counts once the job is settled (``finish``):
the provider's own figure when it reported one, else the estimate for a success and nothing for a failure.
Until then the reserved dollars count against the caps.
"""

from __future__ import annotations

from typing import Any, Protocol

from storage.database import Conn, SqlDatabase
from storage.models import Cost, JobState, NewJob, Spend, SpendLine, SpendReport

RESERVED, SETTLED, CACHED = "reserved", "settled", "cached"
# what a row counts for: its reservation while unfinished, what was spent once settled
_USD = "CASE WHEN c.state = 'reserved' THEN c.reserved_usd + c.earlier_usd ELSE COALESCE(c.spent_usd, 0) END"
_UNITS = "CASE WHEN c.state = 'reserved' THEN c.reserved_units ELSE COALESCE(c.spent_units, 0) END"


class CostRepository(Protocol):
    """What jobs cost: money reservations (made by ``jobs.create``), the providers' figures, caps, reports."""

    async def record_actual(self, job_id: int, cost: Cost) -> None:
        """Store the provider's own figure for a job's task (from its final poll)."""
        ...

    async def reprice(self, job_id: int, model: str, cost: Cost) -> bool:
        """Set an unsettled job's money reservation for the model that actually runs it; whether one changed."""
        ...

    async def record_cached(self, job_id: int, new: NewJob, cost: Cost, *, now: float) -> None:
        """Record a cache hit and what it saved."""
        ...

    async def job_cost(self, job_id: int) -> dict[str, Any] | None:
        """A job's money row, or None."""
        ...

    async def spent_since(self, guild_id: int | None, since: float) -> float:
        """Dollars reserved or spent since ``since`` by a server (None: the whole bot)."""
        ...

    async def spend_cap(self, guild_id: int) -> float | None:
        """A server's monthly cap in dollars."""
        ...

    async def set_spend_cap(self, guild_id: int, usd: float | None, *, now: float) -> None:
        """Set or clear a server's monthly cap."""
        ...

    async def report(self, guild_id: int | None, since: float) -> SpendReport:
        """Spend by model and member, jobs, failures refunded, cache hits saved."""
        ...


def _scope(guild_id: int | None) -> tuple[str, tuple[Any, ...]]:
    return ("", ()) if guild_id is None else (" AND c.guild_id = ?", (guild_id,))


async def month_spend_in(conn: Conn, guild_id: int | None, since: float) -> float:
    """Dollars reserved or spent since ``since`` by one server (or, with None, the whole bot)."""
    where, params = _scope(guild_id)
    sql = f"SELECT COALESCE(SUM({_USD}), 0) FROM job_costs c WHERE c.state != 'cached' AND c.created_at >= ?{where}"
    async with conn.execute(sql, (since, *params)) as cur:
        row = await cur.fetchone()
    return float(row[0]) if row and row[0] is not None else 0.0


async def reserve_in(conn: Conn, job_id: int, new: NewJob, spend: Spend, now: float) -> None:
    """The job's money reservation (inside the create's transaction)."""
    await conn.execute(
        "INSERT INTO job_costs (job_id, user_id, guild_id, model, unit, reserved_units, reserved_usd, state,"
        " created_at) VALUES (?,?,?,?,?,?,?,?,?)",
        (
            job_id,
            new.owner_id,
            new.guild_id,
            spend.model,
            spend.cost.unit,
            spend.cost.units,
            spend.cost.usd,
            RESERVED,
            now,
        ),
    )


async def scale_reservation_in(conn: Conn, job_id: int, factor: float) -> None:
    """Scale an unsettled job's money reservation by ``factor`` (0 to 1): a /sequence film whose unmade shots'
    seconds are given back gives back their dollars in the same proportion (inside that refund's transaction)."""
    factor = min(1.0, max(0.0, factor))
    await conn.execute(
        "UPDATE job_costs SET reserved_units = reserved_units * ?, reserved_usd = reserved_usd * ?"
        " WHERE job_id = ? AND state = ?",
        (factor, factor, job_id, RESERVED),
    )


async def settle_in(conn: Conn, job_id: int, state: JobState, now: float, *, committed: bool = False) -> None:
    """Settle a job's reservation as it finishes (inside ``finish``'s transaction); idempotent.  Without the
    provider's own figure a finished job (or one whose seconds are ``committed``: a film cancelled after some of its
    shots were made) is charged its reserved estimate, any other nothing."""
    done = 1 if state is JobState.DONE or committed else 0
    await conn.execute(
        "UPDATE job_costs SET state = ?, settled_at = ?,"
        " spent_units = COALESCE(actual_units, CASE WHEN ? = 1 THEN reserved_units ELSE 0 END),"
        " spent_usd = earlier_usd + COALESCE(actual_usd, CASE WHEN ? = 1 THEN reserved_usd ELSE 0 END)"
        " WHERE job_id = ? AND state = ?",
        (SETTLED, now, done, done, job_id, RESERVED),
    )


class SqlCosts:
    """What jobs cost, the spend caps, usage reports."""

    def __init__(self, db: SqlDatabase):
        self.db = db

    async def record_actual(self, job_id: int, cost: Cost) -> None:
        """The provider's own figure for a job's task (its final poll); a settled job's spend follows it."""
        async with self.db.transaction(locks=[]) as conn:
            await conn.execute(
                "UPDATE job_costs SET actual_units = ?, actual_usd = ?, unit = ?,"
                " spent_units = CASE WHEN state = 'settled' THEN ? ELSE spent_units END,"
                " spent_usd = CASE WHEN state = 'settled' THEN earlier_usd + ? ELSE spent_usd END WHERE job_id = ?",
                (cost.units, cost.usd, cost.unit, cost.units, cost.usd, job_id),
            )

    async def reprice(self, job_id: int, model: str, cost: Cost) -> bool:
        """Set an unsettled job's money reservation to ``cost`` for ``model`` (the model that actually runs it,
        e.g. after a fallback).  The job stays accepted: the cap was checked when it was created.  What an earlier
        task of the job was billed (a provider-side failure before the fallback) is kept in ``earlier_usd`` and
        counts in the spend.  Whether a reservation was changed."""
        async with self.db.transaction(locks=[]) as conn:
            cur = await conn.execute(
                "UPDATE job_costs SET model = ?, unit = ?, reserved_units = ?,"
                " reserved_usd = ?,"
                " earlier_usd = earlier_usd + COALESCE(actual_usd, 0), actual_usd = NULL, actual_units = NULL"
                " WHERE job_id = ? AND state = ?",
                (model, cost.unit, cost.units, cost.usd, job_id, RESERVED),
            )
            return bool(cur.rowcount)

    async def record_cached(self, job_id: int, new: NewJob, cost: Cost, *, now: float) -> None:
        """A cache hit: nothing is spent; ``cost`` is what it saved."""
        async with self.db.transaction(locks=[]) as conn:
            await conn.execute(
                "INSERT INTO job_costs (job_id, user_id, guild_id, model, unit, reserved_units, reserved_usd, state,"
                " created_at, settled_at, spent_units, spent_usd) VALUES (?,?,?,?,?,?,?,?,?,?,0,0)",
                (job_id, new.owner_id, new.guild_id, new.model, cost.unit, cost.units, cost.usd, CACHED, now, now),
            )

    async def job_cost(self, job_id: int) -> dict[str, Any] | None:
        """A job's money row (state, model, unit, reserved_*, actual_*, spent_*), or None."""
        row = await self.db.fetchone("SELECT * FROM job_costs WHERE job_id = ?", (job_id,))
        return dict(row) if row is not None else None

    async def spent_since(self, guild_id: int | None, since: float) -> float:
        """Dollars reserved or spent since ``since`` by a server (None: the whole bot)."""
        async with self.db.transaction(locks=[]) as conn:
            return await month_spend_in(conn, guild_id, since)

    async def spend_cap(self, guild_id: int) -> float | None:
        """A server's monthly cap in dollars, or None."""
        row = await self.db.fetchone("SELECT monthly_usd FROM spend_caps WHERE guild_id = ?", (guild_id,))
        return float(row[0]) if row else None

    async def set_spend_cap(self, guild_id: int, usd: float | None, *, now: float) -> None:
        """Set (or with None clear) a server's monthly cap."""
        async with self.db.transaction(locks=[]) as conn:
            if usd is None:
                await conn.execute("DELETE FROM spend_caps WHERE guild_id = ?", (guild_id,))
                return
            await conn.execute(
                "INSERT INTO spend_caps (guild_id, monthly_usd, updated_at) VALUES (?,?,?) ON CONFLICT (guild_id)"
                " DO UPDATE SET monthly_usd = excluded.monthly_usd, updated_at = excluded.updated_at",
                (guild_id, usd, now),
            )

    async def report(self, guild_id: int | None, since: float) -> SpendReport:
        """Spend since ``since`` of one server (None: the whole bot): by model, top 10 members, totals."""
        where, scoped = _scope(guild_id)
        base = f"FROM job_costs c JOIN jobs j ON j.id = c.job_id WHERE c.created_at >= ?{where}"
        params = (since, *scoped)
        charged = f"{base} AND c.state != 'cached'"
        models = await self.db.fetchall(
            f"SELECT c.model, c.unit, COUNT(*), SUM({_UNITS}), SUM({_USD}) {charged}"
            " GROUP BY c.model, c.unit ORDER BY SUM(" + _USD + ") DESC, c.model",
            params,
        )
        members = await self.db.fetchall(
            f"SELECT c.user_id, MAX(j.owner_name), COUNT(*), SUM({_USD}) {charged}"
            f" GROUP BY c.user_id ORDER BY SUM({_USD}) DESC, c.user_id LIMIT 10",
            params,
        )
        totals = await self.db.fetchone(
            f"SELECT COUNT(*), COALESCE(SUM({_USD}), 0),"
            " COALESCE(SUM(CASE WHEN c.state = 'reserved' THEN c.reserved_usd + c.earlier_usd ELSE 0 END), 0),"
            " COALESCE(SUM(CASE WHEN c.state = 'reserved' THEN 1 ELSE 0 END), 0),"
            " COALESCE(SUM(CASE WHEN j.state = 'failed' THEN 1 ELSE 0 END), 0),"
            f" COALESCE(SUM(CASE WHEN j.state = 'failed' THEN {_USD} ELSE 0 END), 0) {charged}",
            params,
        )
        cached = await self.db.fetchone(
            f"SELECT COUNT(*), COALESCE(SUM(c.reserved_usd), 0) {base} AND c.state = 'cached'", params
        )
        t = totals or (0, 0, 0, 0, 0, 0)
        by_model = tuple(
            SpendLine(str(r[0]), str(r[0]), int(r[2]), float(r[3] or 0), str(r[1]), float(r[4] or 0)) for r in models
        )
        by_member = tuple(
            SpendLine(str(r[0]), str(r[1] or r[0]), int(r[2]), 0.0, "", float(r[3] or 0)) for r in members
        )
        return SpendReport(
            since=since,
            jobs=int(t[0]),
            usd=float(t[1]),
            reserved_usd=float(t[2]),
            unfinished=int(t[3]),
            failures_refunded=int(t[4]),
            failures_usd=float(t[5]),
            cache_hits=int(cached[0]) if cached else 0,
            cache_saved_usd=float(cached[1]) if cached else 0.0,
            by_model=by_model,
            by_member=by_member,
        )
