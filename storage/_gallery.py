"""The job repository's read-only queries for result pages and galleries (shared by both backends)."""

from __future__ import annotations

from typing import Any

from storage.database import SqlDatabase
from storage.models import GalleryQuery, Job, JobState, job_from_row


class GalleryQueries:
    """Gallery pages, their filters, and a job's children; mixed into the job repository."""

    db: SqlDatabase

    async def gallery(self, query: GalleryQuery) -> list[Job]:
        """Finished, not removed results of a server, newest first, strictly after ``query.before``."""
        where = ["guild_id = ?", "state = ?", "removed_at IS NULL", "result_path IS NOT NULL"]
        params: list[Any] = [query.guild_id, JobState.DONE.value]
        if query.owner_id is not None:
            where.append("owner_id = ?")
            params.append(query.owner_id)
        if query.model is not None:
            where.append("model = ?")
            params.append(query.model)
        if query.before is not None:  # keyset: stable while newer results arrive
            where.append("(created_at < ? OR (created_at = ? AND id < ?))")
            params += [query.before[0], query.before[0], query.before[1]]
        sql = f"SELECT * FROM jobs WHERE {' AND '.join(where)} ORDER BY created_at DESC, id DESC LIMIT ?"
        return [job_from_row(r) for r in await self.db.fetchall(sql, (*params, query.limit))]

    async def gallery_facets(
        self, guild_id: int, owner_id: int | None = None
    ) -> tuple[list[tuple[int, str | None]], list[str]]:
        """The members (id, latest display name) and models that have results in a server's gallery."""
        base = "FROM jobs WHERE guild_id = ? AND state = ? AND removed_at IS NULL"
        params: tuple[Any, ...] = (guild_id, JobState.DONE.value)
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
