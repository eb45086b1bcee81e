"""The member settings repository (the only SQL about a member's own settings), shared by both backends.

One row per member who changed a setting; a member without a row has the defaults (mentioned when a slow result
is ready).  Plain, portable SQL."""

from __future__ import annotations

from typing import Protocol

from storage.database import SqlDatabase


class MemberSettingsRepository(Protocol):
    """Each member's own settings."""

    async def notify(self, user_id: int) -> bool:
        """Whether a slow result mentions the member (default: yes)."""
        ...

    async def set_notify(self, user_id: int, on: bool, *, now: float) -> None:
        """Turn the mention on or off."""
        ...


class SqlMemberSettings:
    """Each member's own settings."""

    def __init__(self, db: SqlDatabase):
        self.db = db

    async def notify(self, user_id: int) -> bool:
        """Whether a slow result mentions the member (default: yes)."""
        row = await self.db.fetchone("SELECT notify FROM member_settings WHERE user_id = ?", (user_id,))
        return row is None or bool(row[0])

    async def set_notify(self, user_id: int, on: bool, *, now: float) -> None:
        """Turn the mention on or off (one upsert)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO member_settings (user_id, notify, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET notify = excluded.notify, updated_at = excluded.updated_at",
                (user_id, int(on), now),
            )
