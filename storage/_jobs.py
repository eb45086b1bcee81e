"""The job repository (the only SQL about jobs), shared by both backends through :mod:`storage._sql`."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any, cast

from storage._costs import settle_in
from storage._create import JobCreation
from storage._gallery import GalleryQueries
from storage._sql import Conn, SqlDatabase, marks
from storage._switch import ModelSwitch
from storage.base import StaleJob, StorageError
from storage.models import (
    JSON_COLUMNS,
    Caps,
    Job,
    JobState,
    LedgerState,
    job_from_row,
)

_UNFINISHED = tuple(s.value for s in JobState if not s.finished)
_COLUMNS = {
    "state", "model", "spec", "inputs", "delivery", "provider_task_id", "progress", "cost_seconds",
    "raw_path", "result_path", "result_url", "error", "error_detail", "attempts", "cancel_requested",
    "message_id", "delivered_at", "lease_owner", "lease_expires", "next_attempt_at", "started_at",
    "finished_at", "fingerprint", "channel_id", "delivery_attempts", "owner_name", "removed_at",
    "result_width", "result_height", "result_seconds", "pushed_at", "fallback_from", "fallback_reason",
    "push_missed_at",
}  # fmt: skip


_marks = marks
_CLAIMABLE = (
    f"state IN ({_marks(_UNFINISHED)}) AND"
    " (lease_owner IS NULL OR lease_owner = ? OR lease_expires IS NULL OR lease_expires < ?)"
)


class SqliteJobs(JobCreation, GalleryQueries, ModelSwitch):
    """Jobs (the name is historical: the same SQL runs on SQLite and PostgreSQL)."""

    def __init__(self, db: SqlDatabase):
        self.db = db

    async def get(self, job_id: int) -> Job | None:
        """One job by id."""
        row = await self.db.fetchone("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return job_from_row(row) if row else None

    async def push_missed(self) -> int:
        """How many jobs' results were found by a poll although a completion call was expected."""
        row = await self.db.fetchone("SELECT COUNT(*) AS n FROM jobs WHERE push_missed_at IS NOT NULL")
        return int(row["n"]) if row else 0

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
        unknown = set(fields) - _COLUMNS - {"updated_at"}
        if unknown:
            raise StorageError(f"unknown job fields {sorted(unknown)}")
        assignments: list[str] = []
        params: list[Any] = []
        for name, value in fields.items():
            column = JSON_COLUMNS.get(name, name)
            if name in JSON_COLUMNS:
                value = json.dumps(value)
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
            where += f" AND state IN ({_marks(expect)})"
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
                await conn.execute(
                    "UPDATE quota_ledger SET state = ?, settled_at = ? WHERE job_id = ? AND state = ?",
                    (LedgerState(ledger).value, now, job_id, LedgerState.RESERVED.value),
                )
            await settle_in(conn, job_id, state, now)
            await self.db.notify(conn)  # a running slot is free
            return job

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
            where.append(f"state IN ({_marks(states)})")
            params += [s.value for s in states]
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT * FROM jobs WHERE {' AND '.join(where)} ORDER BY id {order} LIMIT ?"
        return [job_from_row(r) for r in await self.db.fetchall(sql, (*params, limit))]

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
            f"SELECT COUNT(*) FROM jobs WHERE id != ? AND state IN ({_marks(_UNFINISHED)})"
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
                f"UPDATE jobs SET lease_expires = ? WHERE lease_owner = ? AND state IN ({_marks(_UNFINISHED)})",
                (now + lease_seconds, worker_id, *_UNFINISHED),
            )

    async def touched_since(self, since: float, *, limit: int = 100_000) -> list[Job]:
        """Unfinished jobs and jobs created or finished since ``since``, oldest first."""
        sql = (
            f"SELECT * FROM jobs WHERE state IN ({_marks(_UNFINISHED)}) OR created_at >= ? OR finished_at >= ?"
            " ORDER BY id LIMIT ?"
        )
        return [job_from_row(r) for r in await self.db.fetchall(sql, (*_UNFINISHED, since, since, limit))]

    async def runnable(self, *, now: float, limit: int = 200) -> list[Job]:
        """Unfinished jobs that are due, oldest first."""
        sql = (
            f"SELECT * FROM jobs WHERE state IN ({_marks(_UNFINISHED)})"
            " AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?"
        )
        return [job_from_row(r) for r in await self.db.fetchall(sql, (*_UNFINISHED, now, limit))]

    async def next_due(self, *, now: float, worker_id: str) -> float | None:
        """The earliest moment after ``now`` at which an unfinished job falls due for ``worker_id``."""
        sql = (
            "SELECT MIN(due) FROM (SELECT CASE WHEN lease_owner IS NOT NULL AND lease_owner <> ?"
            " AND lease_expires > COALESCE(next_attempt_at, 0) THEN lease_expires ELSE next_attempt_at END AS due"
            f" FROM jobs WHERE state IN ({_marks(_UNFINISHED)})) AS pending WHERE due > ?"
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
