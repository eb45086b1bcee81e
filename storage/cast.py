"""The cast repository (the only SQL about a server's cast members), shared by both backends."""

from __future__ import annotations

import json
from typing import Any, Protocol

from storage.database import SqlDatabase
from storage.errors import CastFull, CastNameTaken
from storage.models import CastMember, NewCastMember

_COLUMNS = "id, guild_id, name, photos, voice, voice_seconds, description, added_by, added_by_name, created_at"


def name_key(name: str) -> str:
    """The form names are compared in: a server cannot have both "Mara" and "mara"."""
    return name.strip().casefold()


def _member(row: Any) -> CastMember:
    return CastMember(
        id=int(row[0]),
        guild_id=int(row[1]),
        name=str(row[2]),
        photos=tuple(str(p) for p in json.loads(row[3])),
        voice=str(row[4]) if row[4] else None,
        voice_seconds=float(row[5]) if row[5] is not None else None,
        description=str(row[6] or ""),
        added_by=int(row[7]),
        added_by_name=str(row[8]) if row[8] else None,
        created_at=float(row[9]),
    )


class CastRepository(Protocol):
    """A server's named characters."""

    async def add(self, member: NewCastMember, *, limit: int, now: float) -> CastMember:
        """Create a member in one transaction; CastNameTaken or CastFull (``limit`` members) refuse it."""
        ...

    async def get(self, guild_id: int, name: str) -> CastMember | None:
        """A member by name (any case), or None."""
        ...

    async def by_id(self, member_id: int) -> CastMember | None:
        """A member by id, or None."""
        ...

    async def members(self, guild_id: int) -> list[CastMember]:
        """A server's members, by name."""
        ...

    async def delete(self, guild_id: int, member_id: int) -> bool:
        """Delete a member; whether it existed."""
        ...


class SqlCast:
    """A server's named characters, in the ``cast_members`` table."""

    def __init__(self, db: SqlDatabase):
        self.db = db

    async def add(self, member: NewCastMember, *, limit: int, now: float) -> CastMember:
        """Create a member: the name and the server's limit are checked in the transaction that inserts it, under
        the server's lock, so two members added at once can neither share a name nor pass the limit."""
        key = name_key(member.name)
        async with self.db.transaction(locks=[f"cast:{member.guild_id}"]) as conn:
            count, taken = await (
                await conn.execute(
                    "SELECT COUNT(*), SUM(CASE WHEN name_key = ? THEN 1 ELSE 0 END) FROM cast_members"
                    " WHERE guild_id = ?",
                    (key, member.guild_id),
                )
            ).fetchone()
            if taken:
                raise CastNameTaken(member.name)
            if int(count or 0) >= limit:
                raise CastFull(f"{count} members")
            cursor = await conn.execute(
                "INSERT INTO cast_members (guild_id, name, name_key, photos, voice, voice_seconds, description,"
                " added_by, added_by_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING " + _COLUMNS,
                (
                    member.guild_id,
                    member.name.strip(),
                    key,
                    json.dumps(list(member.photos)),
                    member.voice,
                    member.voice_seconds,
                    member.description,
                    member.added_by,
                    member.added_by_name,
                    now,
                ),
            )
            row = await cursor.fetchone()
        return _member(row)

    async def get(self, guild_id: int, name: str) -> CastMember | None:
        """A member by name (any case), or None."""
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM cast_members WHERE guild_id = ? AND name_key = ?", (guild_id, name_key(name))
        )
        return _member(row) if row is not None else None

    async def by_id(self, member_id: int) -> CastMember | None:
        """A member by id, or None."""
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM cast_members WHERE id = ?", (member_id,))
        return _member(row) if row is not None else None

    async def members(self, guild_id: int) -> list[CastMember]:
        """A server's members, by name."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM cast_members WHERE guild_id = ? ORDER BY name_key", (guild_id,)
        )
        return [_member(r) for r in rows]

    async def delete(self, guild_id: int, member_id: int) -> bool:
        """Delete a member; whether it existed (its files stay: jobs that used it still point at them)."""
        async with self.db.transaction(locks=[f"cast:{guild_id}"]) as conn:
            cursor = await conn.execute("DELETE FROM cast_members WHERE guild_id = ? AND id = ?", (guild_id, member_id))
            return bool(cursor.rowcount)
