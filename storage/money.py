"""The money repository's interface (split from :mod:`storage.base`, which names it as ``Storage.costs``)."""

from __future__ import annotations

from typing import Any, Protocol

from storage.models import Cost, NewJob, SpendReport


class CostRepository(Protocol):
    """What jobs cost: money reservations (made by ``jobs.create``), the providers' figures, caps, reports."""

    async def record_actual(self, job_id: int, cost: Cost) -> None:
        """Store the provider's own figure for a job's task (from its final poll)."""
        ...

    async def reprice(self, job_id: int, model: str, cost: Cost) -> bool:
        """Set an unsettled job's money reservation for the model that actually runs it; whether one changed."""
        ...

    async def record_cached(self, job_id: int, new: NewJob, cost: Cost, *, now: float) -> None:
        """Record a cache hit and what it saved."""
        ...

    async def job_cost(self, job_id: int) -> dict[str, Any] | None:
        """A job's money row, or None."""
        ...

    async def spent_since(self, guild_id: int | None, since: float) -> float:
        """Dollars reserved or spent since ``since`` by a server (None: the whole bot)."""
        ...

    async def spend_cap(self, guild_id: int) -> float | None:
        """A server's monthly cap in dollars."""
        ...

    async def set_spend_cap(self, guild_id: int, usd: float | None, *, now: float) -> None:
        """Set or clear a server's monthly cap."""
        ...

    async def report(self, guild_id: int | None, since: float) -> SpendReport:
        """Spend by model and member, jobs, failures refunded, cache hits saved."""
        ...
