"""The job repository (the only SQL about jobs), shared by both backends through :mod:`storage.database`.

One class, :class:`SqlJobs`, over the ``jobs`` table: creating jobs with their reservations, reading them,
moving them through their states (the workers' claims and leases, the final state with its settlement, the
move to a fallback model), and the read-only queries of result pages and galleries.

Creating is one transaction per call: :meth:`SqlJobs.create_many` inserts several jobs (the takes of one
``/variations`` request) after checking their *total* against the user's limit, the guild's budget and the
user's unfinished-job cap; either every job and its own ledger row is stored, or nothing is.  The spend caps
(dollars per server and bot-wide per month) are checked the same way, on the total, and each charged job gets
its money reservation too.  Each job keeps its own ledger row, so one that fails is refunded alone.  The
reservations' rows are written by :mod:`storage.quota` (seconds) and :mod:`storage.costs` (dollars), inside
the job's transaction.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import Any, Protocol, cast

from storage import costs, quota
from storage.database import Conn, SqlDatabase, marks
from storage.errors import QuotaRefused, StaleJob, StorageError
from storage.models import (
    JSON_COLUMNS,
    Caps,
    Charge,
    GalleryQuery,
    Job,
    JobInputs,
    JobState,
    NewJob,
    Usage,
    job_from_row,
)

_UNFINISHED = tuple(s.value for s in JobState if not s.finished)
# what ``update`` may set: every column but those fixed when the job is created
SOUND_ONLY_KIND = "filmsound"  # a /sequence film's soundtrack: its result is a sound, heard in its film, never shown
_COLUMNS = frozenset(Job.__dataclass_fields__) - {"id", "kind", "owner_id", "guild_id", "parent_job_id", "created_at"}
_CLAIMABLE = (
    f"state IN ({marks(_UNFINISHED)}) AND"
    " (lease_owner IS NULL OR lease_owner = ? OR lease_expires IS NULL OR lease_expires < ?)"
)


class JobRepository(Protocol):
    """Jobs and their transitions."""

    async def create(self, new: NewJob, *, charge: Charge | None, now: float) -> Job:
        """Insert a job; with ``charge``, reserve quota in the same transaction or raise QuotaRefused."""
        ...

    async def create_many(
        self, news: Sequence[NewJob], charges: Sequence[Charge | None], now: float, *, link_to_first: bool = False
    ) -> list[Job]:
        """Insert several jobs (``charges[i]`` for ``news[i]``) in one transaction: their total is checked
        against the user's limit, the guild's budget and the unfinished-job cap at once, each job gets its own
        ledger row, and a refusal (QuotaRefused) stores nothing.  ``link_to_first``: the later jobs get the
        first's id as parent."""
        ...

    async def get(self, job_id: int) -> Job | None:
        """One job."""
        ...

    async def push_missed(self) -> int:
        """How many jobs' results were found by a poll although a completion call was expected (push on)."""
        ...

    async def update(self, job_id: int, *, expect: Sequence[JobState] | None = None, **fields: Any) -> Job:
        """Set fields (``updated_at`` too); with ``expect``, only if the state is one of them, else StaleJob."""
        ...

    async def search(
        self,
        *,
        owner_id: int | None = None,
        states: Sequence[JobState] | None = None,
        limit: int = 20,
        newest_first: bool = True,
    ) -> list[Job]:
        """Jobs filtered by owner and states."""
        ...

    async def claim(
        self, job_id: int, *, worker_id: str, now: float, lease_seconds: float, caps: Caps | None = None
    ) -> Job | None:
        """Take the job's lease if it is free, expired or already ours; None if another worker holds it.

        With ``caps``, a QUEUED job is claimed only while the owner's / provider's / overall running jobs
        (leased and unfinished, in every process) are under them, checked in the same transaction."""
        ...

    async def renew_leases(self, worker_id: str, *, now: float, lease_seconds: float) -> None:
        """Extend every unfinished job's lease held by this worker."""
        ...

    async def touched_since(self, since: float, *, limit: int = 100_000) -> list[Job]:
        """Unfinished jobs, and jobs created or finished at or after ``since`` (what the janitor keeps)."""
        ...

    async def runnable(self, *, now: float, limit: int = 200, skip: Collection[int] = ()) -> list[Job]:
        """Unfinished jobs whose next attempt is due, oldest first, less those in ``skip`` (not decoded)."""
        ...

    async def next_due(self, *, now: float, worker_id: str) -> float | None:
        """The earliest moment after ``now`` at which an unfinished job falls due for ``worker_id``: its
        ``next_attempt_at`` or, while another worker's lease on it runs, that lease's expiry if later.
        None when no job falls due after ``now`` (the worker sleeps until woken or its idle maximum)."""
        ...

    async def queue_position(self, job_id: int) -> int:
        """1-based position among queued jobs (0 when not queued)."""
        ...

    async def finish(
        self,
        job_id: int,
        state: JobState,
        *,
        now: float,
        ledger: str | None,
        expect: Sequence[JobState] | None = None,
        **fields: Any,
    ) -> Job:
        """Move to a final state and settle its reservation ('committed'/'refunded') in one transaction."""
        ...

    async def gallery(self, query: GalleryQuery) -> list[Job]:
        """A server's finished, not removed results, newest first (keyset on created_at, id)."""
        ...

    async def gallery_facets(
        self, guild_id: int, owner_id: int | None = None
    ) -> tuple[list[tuple[int, str | None]], list[str]]:
        """(member id, display name) pairs and models with results in a server's gallery."""
        ...

    async def children(self, job_id: int, *, limit: int = 50) -> list[Job]:
        """Jobs whose parent is this one."""
        ...

    async def switch_model(
        self,
        job_id: int,
        model: str,
        *,
        seconds: float,
        reason: str,
        expect: Sequence[JobState],
        now: float | None = None,
        spec: dict[str, Any] | None = None,
        inputs: JobInputs | None = None,
    ) -> Job:
        """Move a job to a fallback model, back to QUEUED, re-pricing its one reservation, in ONE transaction."""
        ...


class SqlJobs:
    """Jobs: creation, reads, state changes, the workers' claims, the model switch, gallery queries."""

    def __init__(self, db: SqlDatabase):
        self.db = db

    # creating

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

    # reading

    async def get(self, job_id: int) -> Job | None:
        """One job by id."""
        row = await self.db.fetchone("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return job_from_row(row) if row else None

    async def push_missed(self) -> int:
        """How many jobs' results were found by a poll although a completion call was expected."""
        row = await self.db.fetchone("SELECT COUNT(*) AS n FROM jobs WHERE push_missed_at IS NOT NULL")
        return int(row["n"]) if row else 0

    async def search(
        self,
        *,
        owner_id: int | None = None,
        states: Sequence[JobState] | None = None,
        limit: int = 20,
        newest_first: bool = True,
    ) -> list[Job]:
        """Jobs by owner and states."""
        where: list[str] = ["1 = 1"]
        params: list[Any] = []
        if owner_id is not None:
            where.append("owner_id = ?")
            params.append(owner_id)
        if states:
            where.append(f"state IN ({marks(states)})")
            params += [s.value for s in states]
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT * FROM jobs WHERE {' AND '.join(where)} ORDER BY id {order} LIMIT ?"
        return [job_from_row(r) for r in await self.db.fetchall(sql, (*params, limit))]

    async def touched_since(self, since: float, *, limit: int = 100_000) -> list[Job]:
        """Unfinished jobs and jobs created or finished since ``since``, oldest first."""
        sql = (
            f"SELECT * FROM jobs WHERE state IN ({marks(_UNFINISHED)}) OR created_at >= ? OR finished_at >= ?"
            " ORDER BY id LIMIT ?"
        )
        return [job_from_row(r) for r in await self.db.fetchall(sql, (*_UNFINISHED, since, since, limit))]

    async def runnable(self, *, now: float, limit: int = 200, skip: Collection[int] = ()) -> list[Job]:
        """Unfinished jobs that are due, oldest first, less those in ``skip`` (the caller's running jobs: their
        rows still count towards ``limit`` but are not decoded, which a burst's dispatch did for every running
        job each time it looked)."""
        sql = (
            f"SELECT * FROM jobs WHERE state IN ({marks(_UNFINISHED)})"
            " AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?"
        )
        rows = await self.db.fetchall(sql, (*_UNFINISHED, now, limit))
        return [job_from_row(r) for r in rows if r["id"] not in skip]

    async def next_due(self, *, now: float, worker_id: str) -> float | None:
        """The earliest moment after ``now`` at which an unfinished job falls due for ``worker_id``."""
        sql = (
            "SELECT MIN(due) FROM (SELECT CASE WHEN lease_owner IS NOT NULL AND lease_owner <> ?"
            " AND lease_expires > COALESCE(next_attempt_at, 0) THEN lease_expires ELSE next_attempt_at END AS due"
            f" FROM jobs WHERE state IN ({marks(_UNFINISHED)})) AS pending WHERE due > ?"
        )
        row = await self.db.fetchone(sql, (worker_id, *_UNFINISHED, now))
        return float(row[0]) if row and row[0] is not None else None

    async def queue_position(self, job_id: int) -> int:
        """1-based place in the queue, 0 when the job is not queued."""
        row = await self.db.fetchone(
            "SELECT CASE WHEN j.state = ? THEN (SELECT COUNT(*) FROM jobs q WHERE q.state = ? AND q.id <= j.id)"
            " ELSE 0 END FROM jobs j WHERE j.id = ?",
            (JobState.QUEUED.value, JobState.QUEUED.value, job_id),
        )
        return int(row[0]) if row else 0

    # moving through the states

    async def update(self, job_id: int, *, expect: Sequence[JobState] | None = None, **fields: Any) -> Job:
        """Set fields; with ``expect``, only when the job is in one of those states."""
        async with self.db.transaction(locks=[]) as conn:
            return await self._update(conn, job_id, expect, fields)

    async def _update(
        self,
        conn: Conn,
        job_id: int,
        expect: Sequence[JobState] | None,
        fields: dict[str, Any],
    ) -> Job:
        unknown = set(fields) - _COLUMNS
        if unknown:
            raise StorageError(f"unknown job fields {sorted(unknown)}")
        assignments: list[str] = []
        params: list[Any] = []
        for name, value in fields.items():
            column = JSON_COLUMNS.get(name, name)
            if name in JSON_COLUMNS:
                value = json.dumps(value.to_json() if isinstance(value, JobInputs) else value)
            elif isinstance(value, JobState):
                value = value.value
            elif isinstance(value, bool):
                value = int(value)
            assignments.append(f"{column} = ?")
            params.append(value)
        if "updated_at" not in fields:
            assignments.append("updated_at = ?")
            params.append(time.time())
        where, where_params = "id = ?", [cast(Any, job_id)]
        if expect is not None:
            where += f" AND state IN ({marks(expect)})"
            where_params += [s.value for s in expect]
        cur = await conn.execute(f"UPDATE jobs SET {', '.join(assignments)} WHERE {where}", (*params, *where_params))
        row = await (await conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,))).fetchone()
        if row is None:
            raise StaleJob(f"job {job_id} does not exist")
        if cur.rowcount == 0:
            raise StaleJob(f"job {job_id} is {row['state']}, expected {[s.value for s in expect or ()]}")
        return job_from_row(row)

    async def finish(
        self,
        job_id: int,
        state: JobState,
        *,
        now: float,
        ledger: str | None,
        expect: Sequence[JobState] | None = None,
        **fields: Any,
    ) -> Job:
        """Final state + settle the reservation, in one transaction.  Settling is idempotent."""
        if not state.finished:
            raise StorageError(f"{state} is not a final state")
        async with self.db.transaction(locks=[]) as conn:
            job = await self._update(
                conn, job_id, expect, {"state": state, "finished_at": now, "lease_owner": None, **fields}
            )
            if ledger is not None:
                await quota.settle_in(conn, job_id, ledger, now)
            await costs.settle_in(conn, job_id, state, now, committed=ledger == "committed")
            await self.db.notify(conn)  # a running slot is free
            return job

    async def claim(
        self, job_id: int, *, worker_id: str, now: float, lease_seconds: float, caps: Caps | None = None
    ) -> Job | None:
        """Take the lease when free, expired, or already ours; with ``caps``, a QUEUED job only if a slot is free.

        The row is locked with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL: a worker never waits for a row
        another is claiming, it skips it.  The caps count leased unfinished jobs in the database, so they
        hold across every process; the user's and the provider's advisory locks make check-and-claim atomic.
        """
        locks: list[str] = []
        if caps is not None:
            known = await self.get(job_id)  # owner and model never change: safe to read before locking
            if known is None:
                return None
            locks = [f"user:{known.owner_id}", f"provider:{known.provider}"]
        async with self.db.transaction(locks) as conn:
            sql = f"SELECT * FROM jobs WHERE id = ? AND {_CLAIMABLE}{self.db.skip_locked}"
            row = await (await conn.execute(sql, (job_id, *_UNFINISHED, worker_id, now))).fetchone()
            if row is None:
                return None
            job = job_from_row(row)
            if caps is not None and job.state is JobState.QUEUED and not await self._slot_free(conn, job, caps, now):
                return None
            await conn.execute(
                "UPDATE jobs SET lease_owner = ?, lease_expires = ?, updated_at = ? WHERE id = ?",
                (worker_id, now + lease_seconds, now, job_id),
            )
            row = await (await conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,))).fetchone()
        return job_from_row(row)

    async def _slot_free(self, conn: Conn, job: Job, caps: Caps, now: float) -> bool:
        """Whether fewer than the caps' leased unfinished jobs are running for this user / provider / overall."""
        live = (
            f"SELECT COUNT(*) FROM jobs WHERE id != ? AND state IN ({marks(_UNFINISHED)})"
            " AND lease_owner IS NOT NULL AND lease_expires >= ?"
        )
        checks: list[tuple[str, tuple[Any, ...], int | None]] = [
            (" AND owner_id = ?", (job.owner_id,), caps.per_user),
            (" AND model LIKE ?", (f"{job.provider}:%",), caps.per_provider),
            ("", (), caps.total),
        ]
        for extra, params, limit in checks:
            if limit is None:
                continue
            async with conn.execute(live + extra, (job.id, *_UNFINISHED, now, *params)) as cur:
                row = await cur.fetchone()
            if row is not None and int(row[0]) >= limit:
                return False
        return True

    async def renew_leases(self, worker_id: str, *, now: float, lease_seconds: float) -> None:
        """Extend this worker's leases."""
        async with self.db.transaction(locks=[]) as conn:
            await conn.execute(
                f"UPDATE jobs SET lease_expires = ? WHERE lease_owner = ? AND state IN ({marks(_UNFINISHED)})",
                (now + lease_seconds, worker_id, *_UNFINISHED),
            )

    async def switch_model(
        self,
        job_id: int,
        model: str,
        *,
        seconds: float,
        reason: str,
        expect: Sequence[JobState],
        now: float | None = None,
        spec: dict[str, Any] | None = None,
        inputs: JobInputs | None = None,
    ) -> Job:
        """Move a job to ``model`` and back to QUEUED (no task, fresh attempts), in ONE transaction that also
        re-prices its single quota reservation to ``seconds`` (never a second charge).  ``fallback_from``
        keeps the first model asked for; ``spec``/``inputs`` replace the stored ones when given (a clamped
        duration or aspect, the models already tried).  The new model's deadline counts from its own submit
        (``started_at`` cleared), and the result is not cached as the answer to the original request
        (``fingerprint`` cleared).  StaleJob unless the job is in one of ``expect``.

        The money reservation (``job_costs``) is re-priced for the new model when its task is created
        (``bot.services.jobs.jobcost.reprice`` → ``costs.reprice``), keeping what an earlier task was billed."""
        stamp = time.time() if now is None else now
        sets = [
            "model = ?, fallback_from = COALESCE(fallback_from, model), fallback_reason = ?, state = ?,"
            " provider_task_id = NULL, attempts = 0, progress = 0, cost_seconds = ?, next_attempt_at = NULL,"
            " started_at = NULL, fingerprint = NULL, updated_at = ?"
        ]
        params: list[Any] = [model, reason, JobState.QUEUED.value, seconds, stamp]
        for column, value in (("spec_json", spec), ("inputs_json", None if inputs is None else inputs.to_json())):
            if value is not None:
                sets.append(f"{column} = ?")
                params.append(json.dumps(value))
        async with self.db.transaction(locks=[]) as conn:
            cur = await conn.execute(
                f"UPDATE jobs SET {', '.join(sets)} WHERE id = ? AND state IN ({marks(expect)})",
                (*params, job_id, *(s.value for s in expect)),
            )
            row = await (await conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,))).fetchone()
            if row is None:
                raise StaleJob(f"job {job_id} does not exist")
            if cur.rowcount == 0:
                raise StaleJob(f"job {job_id} is {row['state']}, expected {[s.value for s in expect]}")
            await quota.reprice_in(conn, job_id, seconds)
            await self.db.notify(conn)  # the job is runnable again (maybe on another process's provider slot)
            return job_from_row(row)

    # result pages and galleries

    async def gallery(self, query: GalleryQuery) -> list[Job]:
        """Finished, not removed results of a server, newest first, strictly after ``query.before``."""
        where = ["guild_id = ?", "state = ?", "removed_at IS NULL", "result_path IS NOT NULL", "kind <> ?"]
        params: list[Any] = [query.guild_id, JobState.DONE.value, SOUND_ONLY_KIND]
        if query.owner_id is not None:
            where.append("owner_id = ?")
            params.append(query.owner_id)
        if query.model is not None:
            where.append("model = ?")
            params.append(query.model)
        if query.sound is not None:  # a result made before sound was recorded (NULL) counts as silent
            where.append("COALESCE(result_audio, 0) = ?")
            params.append(int(query.sound))
        if query.before is not None:  # keyset: stable while newer results arrive
            where.append("(created_at < ? OR (created_at = ? AND id < ?))")
            params += [query.before[0], query.before[0], query.before[1]]
        sql = f"SELECT * FROM jobs WHERE {' AND '.join(where)} ORDER BY created_at DESC, id DESC LIMIT ?"
        return [job_from_row(r) for r in await self.db.fetchall(sql, (*params, query.limit))]

    async def gallery_facets(
        self, guild_id: int, owner_id: int | None = None
    ) -> tuple[list[tuple[int, str | None]], list[str]]:
        """The members (id, latest display name) and models that have results in a server's gallery."""
        base = "FROM jobs WHERE guild_id = ? AND state = ? AND removed_at IS NULL AND kind <> ?"
        params: tuple[Any, ...] = (guild_id, JobState.DONE.value, SOUND_ONLY_KIND)
        if owner_id is not None:
            base += " AND owner_id = ?"
            params += (owner_id,)
        owners = await self.db.fetchall(
            f"SELECT owner_id, MAX(owner_name) AS name {base} GROUP BY owner_id ORDER BY name, owner_id", params
        )
        models = await self.db.fetchall(f"SELECT DISTINCT model {base} ORDER BY model", params)
        return [(int(r[0]), r[1]) for r in owners], [str(r[0]) for r in models]

    async def children(self, job_id: int, *, limit: int = 50) -> list[Job]:
        """Jobs made from this one (extends, re-rolls, and whatever else names it as parent), oldest first."""
        sql = "SELECT * FROM jobs WHERE parent_job_id = ? ORDER BY id LIMIT ?"
        return [job_from_row(r) for r in await self.db.fetchall(sql, (job_id, limit))]


def _locks(news: Sequence[NewJob], charges: Sequence[Charge | None]) -> list[str]:
    # What the checks read decides the locks (storage/database.py): a new check over other rows (e.g. a
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


async def _insert(conn: Conn, new: NewJob, charge: Charge | None, now: float) -> Job:
    cur = await conn.execute(
        "INSERT INTO jobs (kind, state, owner_id, guild_id, channel_id, model, spec_json, inputs_json,"
        " delivery_json, parent_job_id, cost_seconds, fingerprint, result_path, owner_name, created_at,"
        " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            new.kind,
            new.state.value,
            new.owner_id,
            new.guild_id,
            new.channel_id,
            new.model,
            json.dumps(new.spec),
            json.dumps(new.inputs.to_json()),
            json.dumps(new.delivery),
            new.parent_job_id,
            charge.seconds if charge else 0.0,
            new.fingerprint,
            new.result_path,
            new.owner_name,
            now,
            now,
        ),
    )
    job_id = cur.lastrowid
    if job_id is None:
        raise StorageError("insert returned no id")
    if charge is not None and charge.seconds > 0:
        await quota.reserve_in(conn, job_id, new, charge.seconds, now, user_install=charge.user_install)
    if charge is not None and charge.spend is not None:
        await costs.reserve_in(conn, job_id, new, charge.spend, now)
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
    user = await quota.usage_in(conn, "user_id", new.owner_id, charge.window_start, user_install=charge.user_install)
    if user.used + charge.seconds > charge.user_limit + 1e-9:
        raise QuotaRefused("user", user, charge.user_limit)
    if charge.guild_budget is not None and new.guild_id is not None:
        guild = await quota.usage_in(conn, "guild_id", new.guild_id, charge.window_start)
        if guild.used + charge.seconds > charge.guild_budget + 1e-9:
            raise QuotaRefused("guild", guild, charge.guild_budget)
    spend = charge.spend
    if spend is not None and spend.cost.usd > 0:  # a free job is never refused for money
        spend_caps = (("spend_guild", new.guild_id, spend.guild_cap_usd), ("spend_bot", None, spend.bot_cap_usd))
        for scope, guild_id, cap in spend_caps:
            if cap is None or (scope == "spend_guild" and guild_id is None):
                continue
            spent = await costs.month_spend_in(conn, guild_id, spend.month_start)
            if spent + spend.cost.usd > cap + 1e-9:
                raise QuotaRefused(scope, Usage(used=spent, oldest_at=None), cap)
