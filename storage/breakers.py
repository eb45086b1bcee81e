"""The per-provider circuit breakers every process sees (the only SQL about them), shared by both backends.

A provider-side failure counts against its provider; ``threshold`` failures in a row open its breaker for a
cooldown, during which new jobs skip it (the fallback moves them); a create that goes through closes it."""

from __future__ import annotations

from typing import Any, Protocol

from storage.database import SqlDatabase
from storage.models import Breaker


class BreakerRepository(Protocol):
    """Per-provider circuit breakers, shared by every process on the database."""

    async def failed(self, provider: str, *, now: float, threshold: int, cooldown: float, reason: str) -> Breaker:
        """Count a provider-side failure; open the breaker for ``cooldown`` s at ``threshold`` in a row."""
        ...

    async def succeeded(self, provider: str, *, now: float) -> None:
        """Close the breaker (a create went through)."""
        ...

    async def all(self) -> list[Breaker]:
        """Every breaker row."""
        ...

    async def open_providers(self, *, now: float) -> set[str]:
        """Providers whose breaker is open now."""
        ...


def _breaker(row: Any) -> Breaker:
    return Breaker(
        provider=str(row["provider"]),
        failures=int(row["failures"]),
        opened_at=row["opened_at"],
        open_until=row["open_until"],
        last_failure_at=row["last_failure_at"],
        last_reason=row["last_reason"],
        updated_at=float(row["updated_at"]),
    )


_ONE = "SELECT * FROM provider_breakers WHERE provider = ?"


class SqlBreakers:
    """Per-provider circuit breakers (table ``provider_breakers``)."""

    def __init__(self, db: SqlDatabase):
        self.db = db

    async def failed(self, provider: str, *, now: float, threshold: int, cooldown: float, reason: str) -> Breaker:
        """Count one provider-side failure; the breaker opens (for ``cooldown`` s) at ``threshold`` in a row."""
        async with self.db.transaction([f"breaker:{provider}"]) as conn:
            await conn.execute(
                "INSERT INTO provider_breakers (provider, failures, updated_at) VALUES (?, 0, ?)"
                " ON CONFLICT (provider) DO NOTHING",
                (provider, now),
            )
            row = await (await conn.execute(_ONE, (provider,))).fetchone()
            old = _breaker(row)
            failures = old.failures + 1
            opened_at, open_until = old.opened_at, old.open_until
            if failures >= threshold and not old.is_open(now):
                opened_at, open_until = now, now + cooldown
            await conn.execute(
                "UPDATE provider_breakers SET failures = ?, opened_at = ?, open_until = ?, last_failure_at = ?,"
                " last_reason = ?, updated_at = ? WHERE provider = ?",
                (failures, opened_at, open_until, now, reason[:300], now, provider),
            )
            row = await (await conn.execute(_ONE, (provider,))).fetchone()
            return _breaker(row)

    async def succeeded(self, provider: str, *, now: float) -> None:
        """A create went through: the provider works, its breaker closes (a no-op when it was closed)."""
        async with self.db.transaction(locks=[]) as conn:
            await conn.execute(
                "UPDATE provider_breakers SET failures = 0, opened_at = NULL, open_until = NULL, updated_at = ?"
                " WHERE provider = ? AND (failures > 0 OR open_until IS NOT NULL)",
                (now, provider),
            )

    async def all(self) -> list[Breaker]:
        """Every provider that ever failed, by name."""
        return [_breaker(r) for r in await self.db.fetchall("SELECT * FROM provider_breakers ORDER BY provider")]

    async def open_providers(self, *, now: float) -> set[str]:
        """Providers whose breaker is open at ``now``."""
        rows = await self.db.fetchall("SELECT provider FROM provider_breakers WHERE open_until > ?", (now,))
        return {str(r[0]) for r in rows}
