"""The cast of a server: add, list, show and delete its members, and resolve the members a request asks for.

A request names members in its ``cast:`` option (up to three, comma-separated) and as ``@Name`` in its prompt; an
``@word`` that is no member's name stays text.  The job records each member as it was used
(:class:`storage.CastUse`: id, name, the photo and voice files), so a later deletion or change never breaks its
page, its lineage or a re-roll.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.errors import InvalidMedia, InvalidOption
from bot.i18n import said
from bot.media import Media
from bot.prompt import clean_text
from bot.services.cast.files import check_photo, photo_path, store_photo, store_voice, voice_path
from bot.services.requests.requester import Requester, page_name
from bot.settings import Settings
from storage import CastFull, CastMember, CastNameTaken, CastUse, Job, JobState, NewCastMember, Storage

MIN_NAME, MAX_NAME = 2, 32
MAX_PHOTOS = 3
MAX_PER_REQUEST = 3
MAX_DESCRIPTION = 300
Members = tuple[CastUse, ...]  # the members a request uses, as its job records them
_NAME = re.compile(r"^[^\W_][\w'-]*$")  # one word (letters, digits, _ ' -), so ``@Name`` can call it
_MENTION = re.compile(r"(?<![\w@])@([^\W_][\w'-]{0,31})")


def clean_name(name: str) -> str:
    """The name as stored, or InvalidOption saying what a name may be."""
    text = unicodedata.normalize("NFKC", name).strip()
    if not MIN_NAME <= len(text) <= MAX_NAME or not _NAME.match(text):
        raise said(InvalidOption, "cast.bad_name", min=MIN_NAME, max=MAX_NAME)
    return text


def mentions(prompt: str) -> list[str]:
    """The ``@words`` of a prompt, in order."""
    return _MENTION.findall(prompt)


@dataclass(frozen=True)
class Shown:
    """A member with the last results that used it (``/cast show``)."""

    member: CastMember
    photos: tuple[str, ...]  # the photo files, in order
    results: tuple[Job, ...]


class Roster:
    """A server's cast members."""

    def __init__(self, storage: Storage, settings: Settings, media: Media, clock: Callable[[], float] = time.time):
        self.storage = storage
        self.settings = settings
        self.media = media
        self.clock = clock

    async def add(
        self,
        who: Requester,
        name: str,
        photos: Sequence[bytes],
        voice: bytes | None = None,
        description: str | None = None,
    ) -> CastMember:
        """Add a member: its photos and voice are all checked, then stored (content-addressed), then one row is
        written, so a refusal stores nothing and a crash leaves a whole member or none (at worst files that no
        member names, which a later add of the same pictures reuses)."""
        guild = _guild(who)
        name = clean_name(name)
        if not 1 <= len(photos) <= MAX_PHOTOS:
            raise said(InvalidMedia, "cast.photo_count", max=MAX_PHOTOS, count=len(photos))
        text = clean_text(description)
        if len(text) > MAX_DESCRIPTION:
            raise said(InvalidOption, "cast.description_too_long", length=len(text), limit=MAX_DESCRIPTION)
        if await self.storage.cast.get(guild, name) is not None:  # refused before any file is written
            raise _taken(name)
        if len(await self.storage.cast.members(guild)) >= self.settings.max_cast_per_server:
            raise _full(self.settings.max_cast_per_server)
        for data in photos:  # every photo is checked before any file is stored: a refusal leaves nothing
            await check_photo(self.settings, data)
        stored = await store_voice(self.settings, self.media, voice) if voice is not None else None
        hashes = tuple([await store_photo(self.settings, data) for data in photos])
        new = NewCastMember(
            guild_id=guild,
            name=name,
            photos=hashes,
            added_by=who.user_id,
            voice=stored.name if stored else None,
            voice_seconds=stored.seconds if stored else None,
            description=text,
            added_by_name=page_name(who.display_name),
        )
        try:
            return await self.storage.cast.add(new, limit=self.settings.max_cast_per_server, now=self.clock())
        except CastNameTaken:
            raise _taken(name) from None
        except CastFull:
            raise _full(self.settings.max_cast_per_server) from None

    async def members(self, guild_id: int | None) -> list[CastMember]:
        """A server's members, by name (none outside a server)."""
        return await self.storage.cast.members(guild_id) if guild_id else []

    async def member(self, guild_id: int | None, name: str) -> CastMember:
        """One member by name (any case), or InvalidOption."""
        found = await self.storage.cast.get(guild_id, name) if guild_id else None
        if found is None:
            raise said(InvalidOption, "cast.unknown", name=repr(clean_text(name)[:40]))
        return found

    async def show(self, guild_id: int | None, name: str, *, results: int = 5) -> Shown:
        """A member, its photo files and the server's last finished results that used it."""
        member = await self.member(guild_id, name)
        recent = await self.storage.jobs.search(states=[JobState.DONE], limit=200)
        used = [j for j in recent if j.guild_id == guild_id and any(c.id == member.id for c in j.inputs.cast)]
        files = tuple(str(photo_path(self.settings, h)) for h in member.photos)
        return Shown(member, files, tuple(used[:results]))

    async def delete(self, who: Requester, name: str, *, manager: bool) -> CastMember:
        """Delete a member: the member who added it, or someone with Manage Server (``manager``)."""
        member = await self.member(who.guild_id, name)
        if member.added_by != who.user_id and not manager:
            raise said(InvalidOption, "cast.not_yours", name=member.name)
        await self.storage.cast.delete(member.guild_id, member.id)
        return member

    async def resolve(self, guild_id: int | None, names: str | None, prompt: str) -> Members:
        """The members a request asks for: those in ``names`` (comma-separated; an unknown one is refused), then
        the prompt's ``@Name`` mentions that are members (others stay text); at most three."""
        asked = [part.strip().lstrip("@") for part in (names or "").split(",") if part.strip()]
        if asked and not guild_id:
            raise said(InvalidOption, "cast.server_only")
        chosen: dict[int, CastMember] = {}
        for name in asked:
            member = await self.member(guild_id, name)
            chosen.setdefault(member.id, member)
        if guild_id:
            for word in mentions(prompt):
                found = await self.storage.cast.get(guild_id, word)
                if found is not None:
                    chosen.setdefault(found.id, found)
        if len(chosen) > MAX_PER_REQUEST:
            raise said(InvalidOption, "cast.too_many", max=MAX_PER_REQUEST, count=len(chosen))
        return tuple(self.use(m) for m in chosen.values())

    def photo_file(self, digest: str) -> str:
        """The stored file of a member's photo (``/cast list`` shows each member's first)."""
        return str(photo_path(self.settings, digest))

    def use(self, member: CastMember) -> CastUse:
        """The member as a job records it."""
        return CastUse(
            id=member.id,
            name=member.name,
            photos=tuple(str(photo_path(self.settings, h)) for h in member.photos),
            voice=str(voice_path(self.settings, member.voice)) if member.voice else None,
            description=member.description,
        )


def _guild(who: Requester) -> int:
    if not who.guild_id:
        raise said(InvalidOption, "cast.server_only_cast")
    return who.guild_id


def _taken(name: str) -> InvalidOption:
    return said(InvalidOption, "cast.taken", name=name)


def _full(limit: int) -> InvalidOption:
    return said(InvalidOption, "cast.full", limit=limit)
