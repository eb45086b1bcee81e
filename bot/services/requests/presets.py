"""Presets: a user's saved options under a name, per server (a result's cast too, by name).  A preset fills
the options a request leaves out; options given explicitly win.  Names are up to 32 characters; at most 25 presets
per user."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.errors import InvalidOption, JobNotFound
from bot.i18n import said
from bot.prompt import PromptSpec
from storage import Storage

if TYPE_CHECKING:
    from bot.services.requests.generation import GenerationService
    from bot.services.requests.requester import Requester

FIELDS = ("camera", "style", "setting", "lighting", "details", "negative", "aspect", "duration", "model", "audio")
MAX_NAME = 32
MAX_PER_USER = 25


def clean_name(name: str) -> str:
    """The name as stored, or InvalidOption."""
    text = " ".join(unicodedata.normalize("NFKC", name).split())
    if not text or len(text) > MAX_NAME or any(unicodedata.category(c).startswith("C") for c in text):
        raise said(InvalidOption, "preset.bad_name", max=MAX_NAME)
    return text


class Presets:
    """A user's saved options: save, list, delete, and fill a request's missing options from one."""

    def __init__(self, storage: Storage, core: GenerationService, clock: Callable[[], float] = time.time):
        self.storage = storage
        self.core = core  # whose results the options may be taken from
        self.clock = clock

    async def save(self, who: Requester, name: str, job: int | None = None) -> dict[str, Any]:
        """Save the options of one of ``who``'s results (default: the latest) as ``name``; returns them."""
        name = clean_name(name)
        if job is None:
            latest = await self.core.history(who.user_id, limit=1)
            if not latest:
                raise said(JobNotFound, "preset.no_video")
            source = latest[0]
        else:
            source = await self.core.extendable(who, job)  # own, finished
        presets = self.storage.presets
        exists = await presets.get(who.user_id, who.guild_id, name) is not None
        if not exists and await presets.count(who.user_id) >= MAX_PER_USER:
            raise said(InvalidOption, "limit.presets", limit=MAX_PER_USER)
        options = {k: source.spec[k] for k in FIELDS if source.spec.get(k) not in (None, "")}
        if source.inputs.cast:  # a preset can hold a cast: the names, resolved again when the preset is used
            options["cast"] = ", ".join(c.name for c in source.inputs.cast)
        await presets.put(who.user_id, who.guild_id, name, options, now=self.clock())
        return options

    async def listing(self, user_id: int, guild_id: int | None) -> list[tuple[str, dict[str, Any]]]:
        """A user's presets in this server."""
        return await self.storage.presets.names(user_id, guild_id)

    async def delete(self, who: Requester, name: str) -> None:
        """Delete one of ``who``'s presets."""
        if not await self.storage.presets.delete(who.user_id, who.guild_id, clean_name(name)):
            raise said(InvalidOption, "preset.unknown", name=repr(clean_name(name)))

    async def cast_of(self, user_id: int, guild_id: int | None, name: str | None) -> str | None:
        """The cast names a preset holds (None: no preset, or one without a cast)."""
        if not name:
            return None
        options = await self.storage.presets.get(user_id, guild_id, clean_name(name))
        cast = (options or {}).get("cast")
        return str(cast) if cast else None

    async def apply(self, user_id: int, guild_id: int | None, name: str | None, spec: PromptSpec) -> PromptSpec:
        """``spec`` with the preset's options where ``spec`` leaves them out (None: ``spec`` unchanged)."""
        if not name:
            return spec
        options = await self.storage.presets.get(user_id, guild_id, clean_name(name))
        if options is None:
            raise said(InvalidOption, "preset.unknown_here", name=repr(clean_name(name)))
        filled = {k: v for k, v in options.items() if k in FIELDS and getattr(spec, k) in (None, "")}
        merged = replace(spec, **filled)
        return PromptSpec.create(
            merged.subject, allow_empty_subject=True, **{k: getattr(merged, k) for k in (*FIELDS, "seed")}
        )
