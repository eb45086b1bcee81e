"""The storage interface the core depends on.

It is deliberately narrow so that a PostgreSQL backend can implement it later and serve
several bot processes (shards) at once: every multi-step decision that must not race (reserve
quota + create job, claim a job, settle a reservation) is one method, i.e. one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from storage._timings import TimingRepository
from storage.models import (
    Breaker,
    CacheEntry,
    Caps,
    Charge,
    GalleryQuery,
    Job,
    JobState,
    NewJob,
    QuotaLimits,
    Usage,
)
from storage.money import CostRepository


class StorageError(Exception):
    """Base of storage errors."""


class QuotaRefused(StorageError):
    """A reservation would exceed a limit.  ``scope`` is 'user', 'guild', 'queue', or for the monthly dollar
    caps 'spend_guild' / 'spend_bot' (``usage.used`` then holds the dollars reserved or spent this month)."""

    def __init__(self, scope: str, usage: Usage, limit: float):
        super().__init__(f"{scope} quota refused: used {usage.used} of {limit}")
        self.scope = scope
        self.usage = usage
        self.limit = limit


class StaleJob(StorageError):
    """A conditional update found the job in another state (someone else moved it)."""


class JobRepository(Protocol):
    """Jobs and their transitions."""

    async def push_missed(self) -> int:
        """How many jobs' results were found by a poll although a completion call was expected (push on)."""

    async def create(self, new: NewJob, *, charge: Charge | None, now: float) -> Job:
        """Insert a job; with ``charge``, reserve quota in the same transaction or raise QuotaRefused."""
        ...

    async def create_many(
        self, news: Sequence[NewJob], charges: Sequence[Charge | None], now: float, *, link_to_first: bool = False
    ) -> list[Job]:
        """Insert several jobs (``charges[i]`` for ``news[i]``) in one transaction: their total is checked
        against the user's limit, the guild's budget and the unfinished-job cap at once, each job gets its own
        ledger row, and a refusal (QuotaRefused) stores nothing.  ``link_to_first``: the later jobs get the
        first's id as parent."""
        ...

    async def get(self, job_id: int) -> Job | None:
        """One job."""
        ...

    async def update(self, job_id: int, *, expect: Sequence[JobState] | None = None, **fields: Any) -> Job:
        """Set fields (``updated_at`` too); with ``expect``, only if the state is one of them, else StaleJob."""
        ...

    async def search(
        self,
        *,
        owner_id: int | None = None,
        states: Sequence[JobState] | None = None,
        limit: int = 20,
        newest_first: bool = True,
    ) -> list[Job]:
        """Jobs filtered by owner and states."""
        ...

    async def claim(
        self, job_id: int, *, worker_id: str, now: float, lease_seconds: float, caps: Caps | None = None
    ) -> Job | None:
        """Take the job's lease if it is free, expired or already ours; None if another worker holds it.

        With ``caps``, a QUEUED job is claimed only while the owner's / provider's / overall running jobs
        (leased and unfinished, in every process) are under them, checked in the same transaction."""
        ...

    async def renew_leases(self, worker_id: str, *, now: float, lease_seconds: float) -> None:
        """Extend every unfinished job's lease held by this worker."""
        ...

    async def touched_since(self, since: float, *, limit: int = 100_000) -> list[Job]:
        """Unfinished jobs, and jobs created or finished at or after ``since`` (what the janitor keeps)."""
        ...

    async def runnable(self, *, now: float, limit: int = 200) -> list[Job]:
        """Unfinished jobs whose next attempt is due, oldest first."""
        ...

    async def next_due(self, *, now: float, worker_id: str) -> float | None:
        """The earliest moment after ``now`` at which an unfinished job falls due for ``worker_id``: its
        ``next_attempt_at`` or, while another worker's lease on it runs, that lease's expiry if later.
        None when no job falls due after ``now`` (the worker sleeps until woken or its idle maximum)."""
        ...

    async def queue_position(self, job_id: int) -> int:
        """1-based position among queued jobs (0 when not queued)."""
        ...

    async def finish(
        self,
        job_id: int,
        state: JobState,
        *,
        now: float,
        ledger: str | None,
        expect: Sequence[JobState] | None = None,
        **fields: Any,
    ) -> Job:
        """Move to a final state and settle its reservation ('committed'/'refunded') in one transaction."""
        ...

    async def gallery(self, query: GalleryQuery) -> list[Job]:
        """A server's finished, not removed results, newest first (keyset on created_at, id)."""
        ...

    async def gallery_facets(
        self, guild_id: int, owner_id: int | None = None
    ) -> tuple[list[tuple[int, str | None]], list[str]]:
        """(member id, display name) pairs and models with results in a server's gallery."""
        ...

    async def children(self, job_id: int, *, limit: int = 50) -> list[Job]:
        """Jobs whose parent is this one."""
        ...

    async def switch_model(
        self,
        job_id: int,
        model: str,
        *,
        seconds: float,
        reason: str,
        expect: Sequence[JobState],
        now: float | None = None,
        spec: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> Job:
        """Move a job to a fallback model, back to QUEUED, re-pricing its one reservation, in ONE transaction."""
        ...


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


class QuotaRepository(Protocol):
    """Usage, limits and settlement."""

    async def usage(self, *, user_id: int | None = None, guild_id: int | None = None, since: float) -> Usage:
        """Seconds reserved or committed since ``since`` by a user or a guild."""
        ...

    async def limits(self, guild_id: int | None, user_id: int | None) -> list[QuotaLimits]:
        """Override rows that apply: (guild, user), (0, user), (guild, 0), (0, 0)."""
        ...

    async def set_limits(
        self,
        guild_id: int | None,
        user_id: int | None,
        *,
        user_daily_seconds: Any = ...,
        guild_daily_budget: Any = ...,
        now: float,
    ) -> QuotaLimits:
        """Upsert an override row; ``...`` leaves a field as it is, None clears it."""
        ...

    async def ledger_state(self, job_id: int) -> str | None:
        """The reservation state of a job, if it was charged."""
        ...


class CacheRepository(Protocol):
    """The result cache."""

    async def get(self, fingerprint: str) -> CacheEntry | None:
        """A cached result."""
        ...

    async def put(self, fingerprint: str, job_id: int, result_path: str, *, now: float) -> None:
        """Remember a result."""
        ...

    async def drop(self, fingerprint: str) -> None:
        """Forget a result (its file is gone)."""
        ...

    async def entries(self, *, limit: int = 100_000) -> list[CacheEntry]:
        """Every cached result, oldest first (the janitor drops those whose file is gone)."""
        ...


class NamedLock(Protocol):
    """A held named lock (see :meth:`Storage.try_lock`)."""

    name: str

    async def release(self) -> None:
        """Let the next holder in (safe to call twice)."""
        ...


class PresetRepository(Protocol):
    """Named option sets per (user, guild); guild None is stored as 0."""

    async def put(self, user_id: int, guild_id: int | None, name: str, spec: dict[str, Any], *, now: float) -> None:
        """Save (or replace) a preset."""
        ...

    async def get(self, user_id: int, guild_id: int | None, name: str) -> dict[str, Any] | None:
        """A preset's options, or None."""
        ...

    async def names(self, user_id: int, guild_id: int | None) -> list[tuple[str, dict[str, Any]]]:
        """(name, options) of a user's presets in a guild, by name."""
        ...

    async def count(self, user_id: int) -> int:
        """How many presets a user has, all guilds together."""
        ...

    async def delete(self, user_id: int, guild_id: int | None, name: str) -> bool:
        """Delete a preset; whether it existed."""
        ...


class Storage(Protocol):
    """Everything the core needs from a database."""

    async def try_lock(self, name: str) -> NamedLock | None:
        """Take the named lock if nobody holds it, else None; every process on this database shares the names.

        A holder that dies (its process or connection gone) loses its locks.  Used for one-of-N duties
        (command sync) and Discord's identify buckets; SQLite: file locks, PostgreSQL: advisory locks."""
        ...

    def advisory_lock(self, name: str) -> AbstractAsyncContextManager[NamedLock]:
        """``async with storage.advisory_lock(name):`` waits for the named lock and holds it for the block."""
        ...

    @property
    def jobs(self) -> JobRepository:
        """Jobs."""
        ...

    @property
    def quota(self) -> QuotaRepository:
        """Quota usage and limits."""
        ...

    @property
    def cache(self) -> CacheRepository:
        """Cached results."""
        ...

    async def wait_for_work(self, timeout: float) -> None:
        """Return when a job was created or finished (in any process on PostgreSQL), or after ``timeout``."""
        ...

    async def notify_work(self) -> None:
        """Wake every idle worker waiting in :meth:`wait_for_work`."""
        ...

    async def hold_worker_id(self, worker_id: str) -> bool:
        """Take a worker id for this process's lifetime; False when another live process holds it."""
        ...

    async def release_worker_id(self, worker_id: str) -> None:
        """Give a worker id back."""
        ...

    @property
    def costs(self) -> CostRepository:
        """What jobs cost."""
        ...

    @property
    def presets(self) -> PresetRepository:
        """Saved option sets."""
        ...

    @property
    def breakers(self) -> BreakerRepository:
        """Per-provider circuit breakers."""
        ...

    @property
    def timings(self) -> TimingRepository:
        """Model run times, learned."""
        ...

    async def close(self) -> None:
        """Close connections."""
        ...
