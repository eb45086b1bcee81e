"""Creating jobs with their quota reservations (one transaction each call), mixed into the job repository.

:meth:`JobCreation.create` inserts one job; :meth:`JobCreation.create_many` inserts several (the takes of one
``/variations`` request) after checking their *total* against the user's limit, the guild's budget and the
user's unfinished-job cap, all in the same transaction: either every job and its own ledger row is stored,
or nothing is.  The spend caps (dollars per server and bot-wide per month) are checked the same way, on the
total, and each charged job gets its money reservation too.  Each job keeps its own ledger row, so one that
fails is refunded alone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

from storage.base import QuotaRefused, StorageError
from storage.costs import month_spend_in, reserve_in
from storage.database import Conn, SqlDatabase, marks
from storage.models import Charge, Job, JobState, LedgerState, NewJob, Usage, job_from_row

_UNFINISHED = tuple(s.value for s in JobState if not s.finished)


async def usage_in(conn: Conn, column: str, value: int, since: float) -> Usage:
    """Reserved + committed seconds for ``column`` (user_id or guild_id) since ``since``."""
    sql = (
        f"SELECT created_at, seconds FROM quota_ledger WHERE {column} = ? AND state != ? "
        "AND created_at >= ? ORDER BY created_at"
    )
    async with conn.execute(sql, (value, LedgerState.REFUNDED.value, since)) as cur:
        rows = [(float(r[0]), float(r[1])) for r in await cur.fetchall()]
    return Usage(used=sum(s for _, s in rows), oldest_at=rows[0][0] if rows else None, entries=tuple(rows))


def _locks(news: Sequence[NewJob], charges: Sequence[Charge | None]) -> list[str]:
    # What the checks read decides the locks (storage/_sql.py): a new check over other rows (e.g. a
    # budget shared by every user) must add its own lock name here, or it races on PostgreSQL.
    locks: set[str] = set()
    for new, charge in zip(news, charges, strict=True):
        if charge is None:
            continue
        locks.add(f"user:{new.owner_id}")
        spend = charge.spend
        if new.guild_id is not None and (charge.guild_budget is not None or (spend and spend.guild_cap_usd)):
            locks.add(f"guild:{new.guild_id}")
        if spend is not None and spend.bot_cap_usd is not None:
            locks.add("spend:bot")  # the bot-wide monthly cap: every server's jobs read the same rows
    return sorted(locks)


def _total(charged: Sequence[Charge]) -> Charge:
    """One charge standing for several: the first's limits, every charge's seconds and dollars."""
    first = charged[0]
    total = replace(first, seconds=sum(c.seconds for c in charged))
    if first.spend is not None:
        usd = sum(c.spend.cost.usd for c in charged if c.spend is not None)
        total = replace(total, spend=replace(first.spend, cost=replace(first.spend.cost, usd=usd)))
    return total


class JobCreation:
    """``create`` and ``create_many``."""

    db: SqlDatabase

    async def create(self, new: NewJob, *, charge: Charge | None, now: float) -> Job:
        """Insert a job, reserving quota atomically when ``charge`` is given; wake idle workers."""
        return (await self.create_many([new], [charge], now=now))[0]

    async def create_many(
        self, news: Sequence[NewJob], charges: Sequence[Charge | None], now: float, *, link_to_first: bool = False
    ) -> list[Job]:
        """Insert ``news`` with their reservations (``charges[i]`` for ``news[i]``, None: free) in one
        transaction, or raise QuotaRefused and store nothing.

        The limits are those of the first charge (the jobs of one call belong to one user in one guild); the
        sum of every charge's seconds must fit them, and the user's unfinished jobs plus the charged new ones
        must stay within ``max_queued``.  With ``link_to_first`` every job after the first gets the first's
        id as its ``parent_job_id`` (the takes of one request point at the first take).
        """
        if len(news) != len(charges) or not news:
            raise StorageError("create_many needs one charge (or None) per job, and at least one job")
        if len({(n.owner_id, n.guild_id) for n, c in zip(news, charges, strict=True) if c is not None}) > 1:
            raise StorageError("create_many charges one user in one guild")
        async with self.db.transaction(_locks(news, charges)) as conn:
            charged = [(n, c) for n, c in zip(news, charges, strict=True) if c is not None]
            if charged:
                await _check_charge(conn, charged[0][0], _total([c for _, c in charged]), adding=len(charged))
            jobs: list[Job] = []
            for new, charge in zip(news, charges, strict=True):
                if link_to_first and jobs:
                    new = replace(new, parent_job_id=jobs[0].id)
                jobs.append(await _insert(conn, new, charge, now))
            await self.db.notify(conn)
        return jobs


async def _insert(conn: Conn, new: NewJob, charge: Charge | None, now: float) -> Job:
    cur = await conn.execute(
        "INSERT INTO jobs (kind, state, owner_id, guild_id, channel_id, model, spec_json, inputs_json,"
        " delivery_json, parent_job_id, cost_seconds, fingerprint, result_path, owner_name, created_at,"
        " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            new.kind, new.state.value, new.owner_id, new.guild_id, new.channel_id, new.model,
            json.dumps(new.spec), json.dumps(new.inputs), json.dumps(new.delivery),
            new.parent_job_id, charge.seconds if charge else 0.0, new.fingerprint, new.result_path,
            new.owner_name, now, now,
        ),
    )  # fmt: skip
    job_id = cur.lastrowid
    if job_id is None:
        raise StorageError("insert returned no id")
    if charge is not None and charge.seconds > 0:
        await conn.execute(
            "INSERT INTO quota_ledger (job_id, user_id, guild_id, seconds, state, created_at) VALUES (?,?,?,?,?,?)",
            (job_id, new.owner_id, new.guild_id, charge.seconds, LedgerState.RESERVED.value, now),
        )
    if charge is not None and charge.spend is not None:
        await reserve_in(conn, job_id, new, charge.spend, now)
    row = await (await conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,))).fetchone()
    return job_from_row(row)


async def _check_charge(conn: Conn, new: NewJob, charge: Charge, *, adding: int = 1) -> None:
    """Refuse (QuotaRefused) when ``adding`` more unfinished jobs or ``charge.seconds`` more do not fit."""
    if charge.max_queued is not None:
        sql = f"SELECT COUNT(*) FROM jobs WHERE owner_id = ? AND state IN ({marks(_UNFINISHED)})"
        async with conn.execute(sql, (new.owner_id, *_UNFINISHED)) as cur:
            row = await cur.fetchone()
        count = int(row[0]) if row else 0
        if count + adding > charge.max_queued:
            raise QuotaRefused("queue", Usage(used=count, oldest_at=None), charge.max_queued)
    user = await usage_in(conn, "user_id", new.owner_id, charge.window_start)
    if user.used + charge.seconds > charge.user_limit + 1e-9:
        raise QuotaRefused("user", user, charge.user_limit)
    if charge.guild_budget is not None and new.guild_id is not None:
        guild = await usage_in(conn, "guild_id", new.guild_id, charge.window_start)
        if guild.used + charge.seconds > charge.guild_budget + 1e-9:
            raise QuotaRefused("guild", guild, charge.guild_budget)
    spend = charge.spend
    if spend is not None and spend.cost.usd > 0:  # a free job is never refused for money
        for scope, guild_id, cap in (("spend_guild", new.guild_id, spend.guild_cap_usd),
                                     ("spend_bot", None, spend.bot_cap_usd)):  # fmt: skip
            if cap is None or (scope == "spend_guild" and guild_id is None):
                continue
            spent = await month_spend_in(conn, guild_id, spend.month_start)
            if spent + spend.cost.usd > cap + 1e-9:
                raise QuotaRefused(scope, Usage(used=spent, oldest_at=None), cap)
