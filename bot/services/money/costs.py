"""What a job costs, in one place: the estimate for (model, seconds) and the actual figure from what the provider
reported, both in the provider's unit and in US dollars.

Prices are data (:mod:`bot.providers.prices`, each with the month it was read).  Runway credits become dollars
at ``VIDEOBOT_RUNWAY_CREDIT_USD``.  Replicate's ``metrics.predict_time`` is the bill for models billed by the
second of hardware; models billed by output are priced from the table for the seconds made (and nothing for a
failure).  Luma and fal report no money figure: the table prices a success's seconds, a failure costs nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.providers.base import ProviderCost
from bot.providers.prices import CREDITS, HARDWARE, VIDEO, price_of
from storage import Cost

DEFAULT_CREDIT_USD = 0.01
UNITS = {CREDITS: "credits", HARDWARE: "GPU s", VIDEO: "videos"}  # otherwise "output s"
ZERO = Cost(0.0, "output s", 0.0)


def _unit(kind: str) -> str:
    return UNITS.get(kind, "output s")


def estimate(model: str, seconds: float, *, credit_usd: float = DEFAULT_CREDIT_USD, sound: bool = False) -> Cost:
    """What a clip of ``seconds`` on ``model`` is expected to cost (``sound``: made with sound, where the model
    prices that apart); a model the table lacks: nothing."""
    price = price_of(model, sound=sound)
    if price is None or seconds <= 0:
        return ZERO if price is None else Cost(0.0, _unit(price.unit), 0.0)
    if price.unit == CREDITS:
        credits = price.amount * seconds
        return Cost(float(credits), "credits", round(credits * credit_usd, 6))
    if price.unit == HARDWARE:
        busy = price.hardware_seconds * seconds
        return Cost(float(busy), "GPU s", round(busy * price.amount, 6))
    if price.unit == VIDEO:
        return Cost(1.0, "videos", float(price.amount))
    return Cost(float(seconds), "output s", round(price.amount * seconds, 6))


def actual(
    model: str,
    seconds: float,
    reported: ProviderCost | None,
    *,
    succeeded: bool,
    credit_usd: float = DEFAULT_CREDIT_USD,
    sound: bool = False,
) -> Cost:
    """What the task really cost, from the provider's own figure where it gives one (see the module doc)."""
    price = price_of(model)
    if reported is not None and reported.unit == "credits":
        return Cost(reported.amount, "credits", round(reported.amount * credit_usd, 6))
    if reported is not None and reported.unit == "gpu_seconds":  # ComfyUI: priced by the provider at the owner's rate
        return Cost(reported.amount, "GPU s", round(reported.usd or 0.0, 6))
    if reported is not None and reported.unit == "predict_seconds" and price is not None and price.unit == HARDWARE:
        return Cost(reported.amount, "GPU s", round(reported.amount * price.amount, 6))
    if not succeeded:
        return Cost(0.0, _unit(price.unit) if price else "output s", 0.0)
    return estimate(model, seconds, credit_usd=credit_usd, sound=sound)


def month_start(now: float) -> float:
    """The first moment of ``now``'s calendar month (UTC)."""
    day = datetime.fromtimestamp(now, UTC)
    return datetime(day.year, day.month, 1, tzinfo=UTC).timestamp()


def next_month(now: float) -> datetime:
    """The first day of the next calendar month (UTC): when a monthly cap resets."""
    day = datetime.fromtimestamp(now, UTC)
    return datetime(day.year + (day.month == 12), day.month % 12 + 1, 1, tzinfo=UTC)


def dollars(usd: float) -> str:
    """``$0.12``, ``$1,234.50``; sub-cent amounts keep their digits (``$0.0042``)."""
    if 0 < abs(usd) < 0.01:
        return f"${usd:.4f}"
    return f"${usd:,.2f}"


def amount(units: float, unit: str) -> str:
    """``120 credits``, ``12.5 GPU s``, ``10 output s``."""
    return f"{units:,.4g} {unit}" if unit else ""
