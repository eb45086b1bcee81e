"""The fallback's storage: a job's move to another model (one transaction with its reservation's re-price),
and the per-provider circuit breakers every process sees.  Shared by both backends."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from storage._sql import SqlDatabase, marks
from storage.base import StaleJob
from storage.models import Breaker, Job, JobState, LedgerState, job_from_row


class ModelSwitch:
    """``switch_model``, mixed into the job repository."""

    db: SqlDatabase

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
        inputs: dict[str, Any] | None = None,
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
            "model = ?", "fallback_from = COALESCE(fallback_from, model)", "fallback_reason = ?", "state = ?",
            "provider_task_id = NULL", "attempts = 0", "progress = 0", "cost_seconds = ?", "next_attempt_at = NULL",
            "started_at = NULL", "fingerprint = NULL", "updated_at = ?",
        ]  # fmt: skip
        params: list[Any] = [model, reason, JobState.QUEUED.value, seconds, stamp]
        for column, value in (("spec_json", spec), ("inputs_json", inputs)):
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
            await conn.execute(
                "UPDATE quota_ledger SET seconds = ? WHERE job_id = ? AND state = ?",
                (seconds, job_id, LedgerState.RESERVED.value),
            )
            await self.db.notify(conn)  # the job is runnable again (maybe on another process's provider slot)
            return job_from_row(row)


def _breaker(row: Any) -> Breaker:
    return Breaker(
        str(row["provider"]), int(row["failures"]), row["opened_at"], row["open_until"], row["last_failure_at"],
        row["last_reason"], float(row["updated_at"]),
    )  # fmt: skip


_ONE = "SELECT * FROM provider_breakers WHERE provider = ?"


class SqlBreakers:
    """Per-provider circuit breakers (table ``provider_breakers``)."""

    def __init__(self, db: SqlDatabase):
        self.db = db

    async def failed(self, provider: str, *, now: float, threshold: int, cooldown: float, reason: str) -> Breaker:
        """Count one provider-side failure; the breaker opens (for ``cooldown`` s) at ``threshold`` in a row."""
        async with self.db.transaction([f"breaker:{provider}"]) as conn:
            await conn.execute(
                "INSERT INTO provider_breakers (provider, failures, updated_at) VALUES (?, 0, ?)"
                " ON CONFLICT (provider) DO NOTHING",
                (provider, now),
            )
            row = await (await conn.execute(_ONE, (provider,))).fetchone()
            old = _breaker(row)
            failures = old.failures + 1
            opened_at, open_until = old.opened_at, old.open_until
            if failures >= threshold and not old.is_open(now):
                opened_at, open_until = now, now + cooldown
            await conn.execute(
                "UPDATE provider_breakers SET failures = ?, opened_at = ?, open_until = ?, last_failure_at = ?,"
                " last_reason = ?, updated_at = ? WHERE provider = ?",
                (failures, opened_at, open_until, now, reason[:300], now, provider),
            )
            row = await (await conn.execute(_ONE, (provider,))).fetchone()
            return _breaker(row)

    async def succeeded(self, provider: str, *, now: float) -> None:
        """A create went through: the provider works, its breaker closes (a no-op when it was closed)."""
        async with self.db.transaction(locks=[]) as conn:
            await conn.execute(
                "UPDATE provider_breakers SET failures = 0, opened_at = NULL, open_until = NULL, updated_at = ?"
                " WHERE provider = ? AND (failures > 0 OR open_until IS NOT NULL)",
                (now, provider),
            )

    async def all(self) -> list[Breaker]:
        """Every provider that ever failed, by name."""
        return [_breaker(r) for r in await self.db.fetchall("SELECT * FROM provider_breakers ORDER BY provider")]

    async def open_providers(self, *, now: float) -> set[str]:
        """Providers whose breaker is open at ``now``."""
        rows = await self.db.fetchall("SELECT provider FROM provider_breakers WHERE open_until > ?", (now,))
        return {str(r[0]) for r in rows}
