"""Provider health for owners: each enabled provider's circuit breaker, the fallback lists, the queue and, with
push on, how many results arrived by polling although a completion call was expected
(``videobot models`` and ``/admin status``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from bot.i18n import Phrase, phrase
from bot.providers.registry import ProviderRegistry
from bot.services.fallback.policy import KINDS, Fallback, breaker_line, provider_label
from bot.settings import Settings
from storage import JobState, Storage

_LIVE = [s for s in JobState if not s.finished]


@dataclass(frozen=True)
class HealthReport:
    """What an owner reads: one line per provider, the fallback lists, jobs by state."""

    providers: list[Phrase]
    fallback: list[Phrase]
    queue: dict[str, int]  # by JobState value
    push_missed: int | None = None  # results found by polling although push was on; None: push is off

    @property
    def push_line(self) -> Phrase | None:
        """What the owner reads about push, when it is on."""
        if self.push_missed is None:
            return None
        if not self.push_missed:
            return phrase("health.push_on")
        return phrase(
            "health.push_missed_one" if self.push_missed == 1 else "health.push_missed", count=self.push_missed
        )

    def lines(self) -> list[str]:
        """The report as plain text lines."""
        queue = ", ".join(f"{n} {state}" for state, n in self.queue.items()) or "empty"
        push = [f"Push: {self.push_line}"] if self.push_line else []
        return [
            "Providers:",
            *(f"  {p}" for p in self.providers),
            "Fallback:",
            *(f"  {f}" for f in self.fallback),
            f"Queue: {queue}",
            *push,
        ]


class HealthService:
    """Reads the breakers (stored, so every process shows the same) and the queue."""

    def __init__(
        self,
        storage: Storage,
        registry: ProviderRegistry,
        settings: Settings,
        fallback: Fallback,
        clock: Callable[[], float],
    ):
        self.storage = storage
        self.registry = registry
        self.settings = settings
        self.fallback = fallback
        self.clock = clock

    async def report(self) -> HealthReport:
        """The current health of every enabled provider (and of any with a breaker row)."""
        now = self.clock()
        breakers = {b.provider: b for b in await self.storage.breakers.all()}
        names = sorted(set(self.registry.providers) | set(breakers), key=lambda p: (p == "local", p))
        providers = []
        for name in names:
            healthy = phrase("health.healthy", provider=provider_label(name))
            line = breaker_line(breakers[name], now) if name in breakers else healthy
            if name not in self.registry.providers:
                line = line.then("health.not_enabled")
            providers.append(line)
        s = self.settings
        fallback = [
            phrase(
                "health.fallback_list", kind=phrase(f"health.kind.{kind}"), models=" → ".join(self.fallback.lists[kind])
            )
            if self.fallback.lists[kind]
            else phrase("health.fallback_none", kind=phrase(f"health.kind.{kind}"))
            for kind in KINDS
        ]
        fallback.append(
            phrase(
                "health.clamp_yes" if s.fallback_clamp else "health.clamp_no",
                threshold=s.breaker_threshold,
                cooldown=f"{s.breaker_cooldown_seconds:.0f}",
            )
        )
        jobs = await self.storage.jobs.search(states=_LIVE, limit=10_000)
        counts = Counter(job.state.value for job in jobs)
        pushing = any(getattr(p, "pushes", False) for p in self.registry.providers.values())
        missed = await self.storage.jobs.push_missed() if pushing else None
        return HealthReport(providers, fallback, {s.value: counts[s.value] for s in _LIVE if counts[s.value]}, missed)
