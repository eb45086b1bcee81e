"""Quotas: seconds of generated video per rolling 24 h, per user, with an optional guild budget.

Limits resolve from the most specific admin override to the settings default:
(guild, user) → (any guild, user) → (guild default) → ``VIDEOBOT_DAILY_SECONDS``.  The check and
the reservation happen inside storage in one transaction (see :class:`storage.models.Charge`),
so concurrent submits by one user can never overspend.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.errors import InvalidOption, QuotaExceeded
from bot.i18n import said
from bot.services.money.spend import SpendService
from bot.settings import Settings
from storage import Charge, QuotaRefused, Storage, Usage

WINDOW = 24 * 3600.0


@dataclass(frozen=True)
class QuotaStatus:
    """What a user has used and has left."""

    used: float
    limit: float
    remaining: float
    next_free_at: float | None  # when the oldest charge in the window leaves it
    guild_used: float | None = None
    guild_budget: float | None = None


def format_seconds(value: float) -> str:
    """'12 s' / '1 min 30 s' — compact, for messages."""
    value = max(0.0, value)
    if value < 60:
        return f"{value:g} s"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"


def format_wait(seconds: float) -> str:
    """'3 h 12 min' / '5 min' / 'a moment'."""
    if seconds < 60:
        return "a moment"
    minutes = math.ceil(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


class QuotaService:
    """Limits, charges and the messages that explain a refusal."""

    def __init__(self, storage: Storage, settings: Settings, clock: Callable[[], float] = time.time):
        self.storage = storage
        self.settings = settings
        self.clock = clock
        self.spend = SpendService(storage, settings, clock)  # the money side: estimates, caps, reports

    async def limits_for(self, guild_id: int | None, user_id: int) -> tuple[float, float | None]:
        """(user seconds per 24 h, guild budget per 24 h or None)."""
        rows = await self.storage.quota.limits(guild_id, user_id)
        user_limit: float = float(self.settings.daily_seconds)
        for row in rows:  # most specific first
            if row.user_daily_seconds is not None and (row.user_id == user_id or row.user_id == 0):
                user_limit = row.user_daily_seconds
                break
        budget = self.settings.guild_daily_budget
        guild_budget: float | None = float(budget) if budget is not None else None
        for row in rows:
            if row.user_id == 0 and row.guild_id == (guild_id or 0) and row.guild_daily_budget is not None:
                guild_budget = row.guild_daily_budget
                break
        return user_limit, guild_budget

    async def charge(
        self,
        guild_id: int | None,
        user_id: int,
        seconds: float,
        model: str | None = None,
        *,
        user_install: bool = False,
        priced_seconds: float | None = None,
        sound: bool = False,
    ) -> Charge:
        """The reservation to make with a new job; with ``model``, its dollars too (checked against the caps), for
        ``priced_seconds`` of output when that differs from the quota's ``seconds`` (a sound job: free of the
        seconds quota, not of its price) and with ``sound`` where the model prices sound apart.
        ``user_install``: where the app is installed on the user, outside servers the bot is in: their own pool
        of ``VIDEOBOT_USER_INSTALL_DAILY_SECONDS``, no server's limits."""
        if user_install:
            user_limit, guild_budget, guild_id = float(self.settings.user_install_daily_seconds), None, None
        else:
            user_limit, guild_budget = await self.limits_for(guild_id, user_id)
        priced = seconds if priced_seconds is None else priced_seconds
        spend = await self.spend.reservation(guild_id, model, priced, sound=sound) if model else None
        return Charge(
            spend=spend,
            seconds=seconds,
            window_start=self.clock() - WINDOW,
            user_limit=user_limit,
            guild_budget=guild_budget,
            max_queued=self.settings.max_queued_per_user,
            user_install=user_install,
        )

    async def status(self, user_id: int, guild_id: int | None = None, *, user_install: bool = False) -> QuotaStatus:
        """Used, left and when it frees up (``user_install``: the pool outside servers the bot is in)."""
        since = self.clock() - WINDOW
        usage = await self.storage.quota.usage(user_id=user_id, since=since, user_install=user_install)
        if user_install:
            limit, budget, guild_id = float(self.settings.user_install_daily_seconds), None, None
        else:
            limit, budget = await self.limits_for(guild_id, user_id)
        guild_used = None
        if guild_id is not None and budget is not None:
            guild_used = (await self.storage.quota.usage(guild_id=guild_id, since=since)).used
        return QuotaStatus(
            used=usage.used,
            limit=limit,
            remaining=max(0.0, limit - usage.used),
            next_free_at=usage.oldest_at + WINDOW if usage.oldest_at is not None else None,
            guild_used=guild_used,
            guild_budget=budget,
        )

    async def set_user_limit(self, guild_id: int | None, user_id: int, seconds: float | None) -> None:
        """Admin: a user's seconds per 24 h in a guild (None: back to the guild's default)."""
        _check_amount(seconds)
        await self.storage.quota.set_limits(guild_id, user_id, user_daily_seconds=seconds, now=self.clock())

    async def set_guild_limits(self, guild_id: int, *, default_seconds: Any = ..., budget: Any = ...) -> None:
        """Admin: a guild's default seconds per user and its daily budget (None clears; ``...`` keeps)."""
        for value in (default_seconds, budget):
            if value is not ...:
                _check_amount(value)
        await self.storage.quota.set_limits(
            guild_id, None, user_daily_seconds=default_seconds, guild_daily_budget=budget, now=self.clock()
        )

    def refusal_for(self, refused: QuotaRefused, charge: Charge | None, count: int = 1) -> QuotaExceeded:
        """The words for a refused reservation of ``count`` jobs each charged like ``charge`` (seconds or dollars)."""
        if refused.scope.startswith("spend") and charge is not None and charge.spend is not None:
            return self.spend.refusal(refused, charge.spend.cost.usd * count)
        return self.refusal(refused, (charge.seconds if charge else 0.0) * count)

    def refusal(self, refused: QuotaRefused, needed: float) -> QuotaExceeded:
        """Turn a storage refusal into a message that says what is left and when it frees up."""
        now = self.clock()
        if refused.scope.startswith("spend"):
            return self.spend.refusal(refused)
        if refused.scope == "queue":
            return QuotaExceeded(
                f"You already have {int(refused.limit)} unfinished jobs; wait for one to finish "
                "or cancel one with /cancel.",
                remaining=0.0,
                resets_at=None,
            ).keyed("quota.queue", limit=int(refused.limit))
        remaining = max(0.0, refused.limit - refused.usage.used)
        frees_at = when_enough_frees(refused.usage, refused.limit, needed)
        amounts = {"remaining": format_seconds(remaining), "limit": format_seconds(refused.limit)}
        amounts["needed"] = format_seconds(needed)
        if refused.scope == "guild":
            key = "quota.guild"
            text = (
                f"This server's daily video budget is used up: {amounts['remaining']} of "
                f"{amounts['limit']} left, and this needs {amounts['needed']}."
            )
        else:
            key = "quota.user"
            text = (
                f"Not enough quota: you have {amounts['remaining']} of video left "
                f"(limit {amounts['limit']} per 24 h) and this needs {amounts['needed']}."
            )
        then: tuple[str, dict[str, str]] | None = None  # what to do about it, if anything
        if needed > refused.limit:
            text += " That is more than the whole daily limit; ask for a shorter clip."
            then = ("quota.too_long", {})
        elif frees_at is not None:
            text += f" Enough frees up in {format_wait(frees_at - now)}."
            then = ("quota.frees_in", {"wait": format_wait(frees_at - now)})
        error = QuotaExceeded(text, remaining=remaining, resets_at=frees_at).keyed(key, **amounts)
        return error.keyed(then[0], **then[1]) if then is not None else error


def _check_amount(seconds: float | None) -> None:
    if seconds is not None and not (0 <= seconds <= 10_000_000):  # also refuses NaN
        raise said(InvalidOption, "admin.quota_range")


def when_enough_frees(usage: Usage, limit: float, needed: float) -> float | None:
    """The moment enough old charges leave the window for ``needed`` seconds to fit."""
    if needed > limit:
        return None
    excess = usage.used + needed - limit
    freed = 0.0
    for created_at, seconds in usage.entries:
        freed += seconds
        if freed >= excess - 1e-9:
            return created_at + WINDOW
    return usage.oldest_at + WINDOW if usage.oldest_at is not None else None
