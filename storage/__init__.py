"""Persistence: the only package with SQL.  The core depends on :class:`storage.base.Storage`."""

from pathlib import Path

from storage.base import NamedLock, QuotaRefused, StaleJob, Storage, StorageError
from storage.facade import SqlStorage
from storage.models import (
    ACTIVE_STATES,
    Breaker,
    Caps,
    Charge,
    Cost,
    GalleryQuery,
    Job,
    JobState,
    LedgerState,
    ModelTiming,
    NewJob,
    QuotaLimits,
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
    "ACTIVE_STATES", "Breaker", "Caps", "Charge", "Cost", "GalleryQuery", "Job", "JobState", "LedgerState",
    "ModelTiming", "NamedLock", "NewJob", "QuotaLimits", "QuotaRefused", "Spend", "SpendLine", "SpendReport",
    "SqlStorage", "SqliteStorage", "StaleJob", "Storage", "StorageError", "Usage", "open_database", "open_storage",
]  # fmt: skip
