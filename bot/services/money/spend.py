"""Money: the monthly spend caps (per server, ``/admin spendcap``; bot-wide, ``VIDEOBOT_MONTHLY_SPEND_CAP``) and
the usage reports (``/admin usage``, ``videobot usage``).

A job's estimated dollars are reserved with its quota, in the same storage transaction, and checked there
against both caps (:class:`storage.models.Spend`); reserved dollars count until the job is settled, a failure's
reservation is freed (only what the provider still billed stays).  Caps are per calendar month, UTC.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.errors import InvalidOption, QuotaExceeded
from bot.i18n import Phrase, phrase, said
from bot.providers.base import ProviderCost
from bot.services.money import costs
from bot.settings import Settings
from storage import Cost, QuotaRefused, Spend, SpendReport, Storage

MAX_CAP_USD = 10_000_000.0
MAX_DAYS = 3650


@dataclass(frozen=True)
class UsageSummary:
    """``/admin usage``: the report, and where the month stands against the cap."""

    report: SpendReport
    days: int
    month_usd: float  # reserved or spent since the 1st (the server's, or the bot's for a bot-wide summary)
    cap_usd: float | None  # the server's cap (or the bot-wide one)
    bot_cap_usd: float | None
    resets: datetime


class SpendService:
    """Estimates, caps and reports; storage does the arithmetic that must not race."""

    def __init__(self, storage: Storage, settings: Settings, clock: Callable[[], float] = time.time):
        self.storage = storage
        self.settings = settings
        self.clock = clock

    def estimate(self, model: str, seconds: float, *, sound: bool = False) -> Cost:
        """What ``seconds`` of ``model`` should cost (see :func:`bot.services.money.costs.estimate`)."""
        return costs.estimate(model, seconds, credit_usd=self.settings.runway_credit_usd, sound=sound)

    def actual(self, model: str, seconds: float, reported: ProviderCost | None, *, succeeded: bool) -> Cost:
        """What a finished task cost (see :func:`bot.services.money.costs.actual`)."""
        return costs.actual(model, seconds, reported, succeeded=succeeded, credit_usd=self.settings.runway_credit_usd)

    async def reservation(self, guild_id: int | None, model: str, seconds: float, *, sound: bool = False) -> Spend:
        """The money part of a new job's charge: its estimate and the caps that apply now."""
        guild_cap = await self.storage.costs.spend_cap(guild_id) if guild_id is not None else None
        return Spend(
            model=model,
            cost=self.estimate(model, seconds, sound=sound),
            month_start=costs.month_start(self.clock()),
            guild_cap_usd=guild_cap,
            bot_cap_usd=self.settings.monthly_spend_cap or None,  # 0, like unset: no cap
        )

    def refusal(self, refused: QuotaRefused, needed_usd: float | None = None) -> QuotaExceeded:
        """'This server has spent $X of its $Y monthly cap; it resets on 1 January 2027 (UTC).'"""
        resets = costs.next_month(self.clock())
        who = "This server has" if refused.scope == "spend_guild" else "The bot has"
        need = f" This would cost about {costs.dollars(needed_usd)}." if needed_usd else ""
        text = (
            f"{who} spent {costs.dollars(refused.usage.used)} of its {costs.dollars(refused.limit)} monthly cap; "
            f"it resets on {resets.day} {resets:%B %Y} (UTC).{need} Nothing was charged."
        )
        return QuotaExceeded(text, remaining=0.0, resets_at=resets.timestamp())

    async def set_cap(self, guild_id: int, usd: float | None) -> None:
        """A server's monthly cap in dollars; 0 or None clears it."""
        if usd is not None and not (0 <= usd <= MAX_CAP_USD):  # also refuses NaN
            raise said(InvalidOption, "spend.cap_range", max=f"${MAX_CAP_USD:,.0f}")
        await self.storage.costs.set_spend_cap(guild_id, usd or None, now=self.clock())

    async def cap_status(self, guild_id: int) -> tuple[float, float | None]:
        """(dollars reserved or spent this month by the server, its cap or None)."""
        since = costs.month_start(self.clock())
        return await self.storage.costs.spent_since(guild_id, since), await self.storage.costs.spend_cap(guild_id)

    async def usage(self, guild_id: int | None, days: int = 30) -> UsageSummary:
        """Spend over the last ``days`` days of one server (None: the whole bot), and this month's against the cap."""
        if not 1 <= days <= MAX_DAYS:
            raise said(InvalidOption, "usage.days", max=MAX_DAYS)
        now = self.clock()
        report = await self.storage.costs.report(guild_id, now - days * 86_400.0)
        month = await self.storage.costs.spent_since(guild_id, costs.month_start(now))
        bot_cap = self.settings.monthly_spend_cap or None
        cap = await self.storage.costs.spend_cap(guild_id) if guild_id is not None else bot_cap
        return UsageSummary(report, days, month, cap, bot_cap, costs.next_month(now))


def report_lines(summary: UsageSummary, *, scope: str) -> list[Phrase]:
    """The summary as plain lines (the command line prints them; the Discord edge puts them in an embed, in the
    member's language: each line is a :class:`~bot.i18n.Phrase`, and so may ``scope`` be)."""
    d, report = costs.dollars, summary.report
    first = phrase("usage.total", scope=scope, days=summary.days, usd=d(report.usd), jobs=report.jobs)
    if report.unfinished:
        first = first.then("usage.reserved", usd=d(report.reserved_usd), unfinished=report.unfinished)
    lines = [first]
    lines.append(
        phrase(
            "usage.failures",
            refunded=report.failures_refunded,
            billed=d(report.failures_usd),
            hits=report.cache_hits,
            saved=d(report.cache_saved_usd),
        )
    )
    resets = f"{summary.resets:%Y-%m-%d}"
    if summary.cap_usd:
        lines.append(phrase("usage.month_cap", spent=d(summary.month_usd), cap=d(summary.cap_usd), resets=resets))
    else:
        lines.append(phrase("usage.month_no_cap", spent=d(summary.month_usd), resets=resets))
    if report.by_model:
        lines.append(phrase("usage.by_model"))
        lines += [
            phrase("usage.model_line", model=m.label, jobs=m.jobs, units=costs.amount(m.units, m.unit), usd=d(m.usd))
            for m in report.by_model
        ]
    if report.by_member:
        lines.append(phrase("usage.top_members"))
        lines += [
            phrase("usage.member_line", member=m.label, id=m.key, jobs=m.jobs, usd=d(m.usd)) for m in report.by_member
        ]
    return lines
