"""Persistence: the only package with SQL.  The core depends on :class:`storage.facade.Storage`.

One module per repository, its interface (a Protocol) beside its SQL, written once and run on both backends:

- ``jobs``: the jobs table: creation with the reservations, reads, state changes, claims, model switch, galleries
- ``quota``: quota seconds: usage, admin limits, the ledger rows a job's transactions write
- ``costs``: what jobs cost: money reservations, the providers' figures, spend caps, usage reports
- ``cache``: results by request fingerprint
- ``presets``: named option sets per user and server
- ``cast``: servers' cast members (named characters from reference photos)
- ``breakers``: per-provider circuit breakers
- ``timings``: models' run times, learned
- ``sequences``: /sequence films' failed shots: the member's decision, the seconds given back once

and around them:

- ``facade``: :class:`Storage`, the one interface the core uses, and :class:`SqlStorage`, which composes the
  repositories over one backend database
- ``database``: :class:`SqlDatabase`, what repositories see of a backend, and the SQL dialect helpers
- ``sqlite``, ``postgres``: the two backends (connections, transactions, migrations, wake-ups)
- ``locks``: named locks (the interface, and SQLite's file locks)
- ``models``: the frozen values repositories return; ``errors``: StorageError, QuotaRefused, StaleJob
- ``transfer``: ``videobot db copy`` / ``db check``; ``migrations/``: the numbered schema files of both backends
"""

from pathlib import Path

from storage.errors import CastFull, CastNameTaken, QuotaRefused, StaleJob, StorageError
from storage.facade import SqlStorage, Storage
from storage.locks import NamedLock
from storage.models import (
    ACTIVE_STATES,
    Breaker,
    Caps,
    CastMember,
    CastUse,
    Charge,
    Cost,
    GalleryQuery,
    Job,
    JobInputs,
    JobState,
    LedgerState,
    ModelTiming,
    NewCastMember,
    NewJob,
    QuotaLimits,
    ShotDecision,
    Spend,
    SpendLine,
    SpendReport,
    Usage,
)
from storage.sqlite import SqliteStorage, open_database

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def sqlite_path(url: str) -> Path:
    """``sqlite:///relative/file.db`` or ``sqlite:////absolute/file.db`` → the file's path."""
    if not url.startswith("sqlite:///"):
        raise StorageError(f"not a sqlite:/// URL: {url!r}")
    return Path(url.removeprefix("sqlite:///"))


async def open_storage(url: str | None, path: Path | None = None) -> SqlStorage:
    """The backend ``url`` names (``postgresql://…`` or ``sqlite:///…``); none: SQLite at ``path``.  Migrated."""
    if url and url.startswith(POSTGRES_SCHEMES):
        from storage.postgres import PostgresStorage  # asyncpg is imported only when asked for

        return await PostgresStorage.open(url)
    if url:
        return await SqliteStorage.open(sqlite_path(url))
    if path is None:
        raise StorageError("open_storage needs a URL or a SQLite path")
    return await SqliteStorage.open(path)


__all__ = [
    "ACTIVE_STATES",
    "Breaker",
    "Caps",
    "CastFull",
    "CastMember",
    "CastNameTaken",
    "CastUse",
    "Charge",
    "Cost",
    "GalleryQuery",
    "Job",
    "JobInputs",
    "JobState",
    "LedgerState",
    "ModelTiming",
    "NamedLock",
    "NewCastMember",
    "NewJob",
    "QuotaLimits",
    "QuotaRefused",
    "ShotDecision",
    "Spend",
    "SpendLine",
    "SpendReport",
    "SqlStorage",
    "SqliteStorage",
    "StaleJob",
    "Storage",
    "StorageError",
    "Usage",
    "open_database",
    "open_storage",
]
