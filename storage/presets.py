"""The presets repository (the only SQL about presets), shared by both backends.  Plain, portable SQL."""

from __future__ import annotations

import json
from typing import Any, Protocol

from storage.database import SqlDatabase


class PresetRepository(Protocol):
    """Named option sets per (user, guild); guild None is stored as 0."""

    async def put(self, user_id: int, guild_id: int | None, name: str, spec: dict[str, Any], *, now: float) -> None:
        """Save (or replace) a preset."""
        ...

    async def get(self, user_id: int, guild_id: int | None, name: str) -> dict[str, Any] | None:
        """A preset's options, or None."""
        ...

    async def names(self, user_id: int, guild_id: int | None) -> list[tuple[str, dict[str, Any]]]:
        """(name, options) of a user's presets in a guild, by name."""
        ...

    async def count(self, user_id: int) -> int:
        """How many presets a user has, all guilds together."""
        ...

    async def delete(self, user_id: int, guild_id: int | None, name: str) -> bool:
        """Delete a preset; whether it existed."""
        ...


class SqlPresets:
    """Named option sets per (user, guild)."""

    def __init__(self, db: SqlDatabase):
        self.db = db

    async def put(self, user_id: int, guild_id: int | None, name: str, spec: dict[str, Any], *, now: float) -> None:
        """Save (or replace) a preset."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM presets WHERE user_id = ? AND guild_id = ? AND name = ?", (user_id, guild_id or 0, name)
            )
            await conn.execute(
                "INSERT INTO presets (user_id, guild_id, name, spec, created_at) VALUES (?, ?, ?, ?, ?)",
                (user_id, guild_id or 0, name, json.dumps(spec, sort_keys=True), now),
            )

    async def get(self, user_id: int, guild_id: int | None, name: str) -> dict[str, Any] | None:
        """A preset's options, or None."""
        row = await self.db.fetchone(
            "SELECT spec FROM presets WHERE user_id = ? AND guild_id = ? AND name = ?", (user_id, guild_id or 0, name)
        )
        return dict(json.loads(row[0])) if row is not None else None

    async def names(self, user_id: int, guild_id: int | None) -> list[tuple[str, dict[str, Any]]]:
        """(name, options) of a user's presets in a guild, by name."""
        rows = await self.db.fetchall(
            "SELECT name, spec FROM presets WHERE user_id = ? AND guild_id = ? ORDER BY name", (user_id, guild_id or 0)
        )
        return [(r[0], dict(json.loads(r[1]))) for r in rows]

    async def count(self, user_id: int) -> int:
        """How many presets a user has, all guilds together."""
        row = await self.db.fetchone("SELECT COUNT(*) FROM presets WHERE user_id = ?", (user_id,))
        return int(row[0]) if row is not None else 0

    async def delete(self, user_id: int, guild_id: int | None, name: str) -> bool:
        """Delete a preset; whether it existed."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM presets WHERE user_id = ? AND guild_id = ? AND name = ?", (user_id, guild_id or 0, name)
            )
            return bool(cursor.rowcount)
