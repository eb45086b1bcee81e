"""The sequence repository (the only SQL about /sequence films besides their jobs), shared by both backends.

A film is a ``sequence`` job holding the one quota reservation for all its shots; the shots are ``shot`` jobs that
name it as parent (created by :meth:`storage.jobs.JobRepository.create_many`, free of charge). This repository
keeps, per failed shot, the question put to the member and its answer, and gives the shot's seconds back from the
film's reservation (and the same share of its dollars) at most once (the drop and the ledger change are one
transaction), so a refund is exact however often a resumed film runs the same step.
"""

from __future__ import annotations

from typing import Any, Protocol

from storage import costs, quota
from storage.database import SqlDatabase
from storage.models import ShotDecision

ANSWERS = ("finish", "cancel", "timeout")


class SequenceRepository(Protocol):
    """Failed shots of films: the member's decision and the seconds given back."""

    async def ask(self, sequence_id: int, shot: int, *, now: float) -> ShotDecision:
        """Record that the member is asked about a failed shot (the first ask stands); the stored row."""
        ...

    async def answer(self, sequence_id: int, shot: int, answer: str, *, now: float) -> bool:
        """The first answer to an asked question wins; whether this one was stored."""
        ...

    async def decisions(self, sequence_id: int) -> list[ShotDecision]:
        """The film's failed shots, by shot."""
        ...

    async def drop(self, sequence_id: int, shot: int, seconds: float, *, now: float) -> bool:
        """Leave the shot out and give its ``seconds`` back from the film's reservation, once; whether it
        happened now (False: dropped before)."""
        ...

    async def keep(self, sequence_id: int, seconds: float) -> None:
        """Set the film's unsettled reservation to ``seconds`` (cancel the rest: only what was made stays)."""
        ...


class SqlSequences:
    """Failed shots' decisions and refunds."""

    def __init__(self, db: SqlDatabase):
        self.db = db

    async def ask(self, sequence_id: int, shot: int, *, now: float) -> ShotDecision:
        """Insert the question unless it was asked; return the stored row."""
        async with self.db.transaction(locks=[]) as conn:
            await conn.execute(
                "INSERT INTO sequence_shots (sequence_id, shot, asked_at) VALUES (?, ?, ?)"
                " ON CONFLICT (sequence_id, shot) DO NOTHING",
                (sequence_id, shot, now),
            )
            row = await (
                await conn.execute(
                    "SELECT * FROM sequence_shots WHERE sequence_id = ? AND shot = ?", (sequence_id, shot)
                )
            ).fetchone()
        return _decision(row)

    async def answer(self, sequence_id: int, shot: int, answer: str, *, now: float) -> bool:
        """Store ``answer`` if the question is asked and not answered yet."""
        if answer not in ANSWERS:
            raise ValueError(f"unknown answer {answer!r}")
        async with self.db.transaction(locks=[]) as conn:
            cur = await conn.execute(
                "UPDATE sequence_shots SET answer = ?, answered_at = ?"
                " WHERE sequence_id = ? AND shot = ? AND answer IS NULL",
                (answer, now, sequence_id, shot),
            )
            return bool(cur.rowcount)

    async def decisions(self, sequence_id: int) -> list[ShotDecision]:
        """Every failed shot of the film, by shot."""
        rows = await self.db.fetchall(
            "SELECT * FROM sequence_shots WHERE sequence_id = ? ORDER BY shot", (sequence_id,)
        )
        return [_decision(r) for r in rows]

    async def drop(self, sequence_id: int, shot: int, seconds: float, *, now: float) -> bool:
        """Mark the shot dropped and lower the film's reservation by ``seconds``, in one transaction, once."""
        async with self.db.transaction(locks=[]) as conn:
            await conn.execute(
                "INSERT INTO sequence_shots (sequence_id, shot, asked_at) VALUES (?, ?, ?)"
                " ON CONFLICT (sequence_id, shot) DO NOTHING",
                (sequence_id, shot, now),
            )
            cur = await conn.execute(
                "UPDATE sequence_shots SET dropped_at = ?, refunded = ?"
                " WHERE sequence_id = ? AND shot = ? AND dropped_at IS NULL",
                (now, seconds, sequence_id, shot),
            )
            if not cur.rowcount:
                return False
            before = await quota.reserved_seconds_in(conn, sequence_id)
            await quota.refund_part_in(conn, sequence_id, seconds)
            if before:
                await costs.scale_reservation_in(conn, sequence_id, (before - seconds) / before)
            return True

    async def keep(self, sequence_id: int, seconds: float) -> None:
        """Re-price the film's reservation to ``seconds``, its dollars in the same proportion."""
        async with self.db.transaction(locks=[]) as conn:
            before = await quota.reserved_seconds_in(conn, sequence_id)
            await quota.reprice_in(conn, sequence_id, seconds)
            if before:
                await costs.scale_reservation_in(conn, sequence_id, seconds / before)


def _decision(row: Any) -> ShotDecision:
    data = dict(row)
    return ShotDecision(
        sequence_id=int(data["sequence_id"]),
        shot=int(data["shot"]),
        asked_at=float(data["asked_at"]),
        answer=data["answer"],
        answered_at=None if data["answered_at"] is None else float(data["answered_at"]),
        dropped_at=None if data["dropped_at"] is None else float(data["dropped_at"]),
        refunded=float(data["refunded"]),
    )
