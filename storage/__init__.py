"""Persistence: the only package with SQL.  The core depends on :class:`storage.base.Storage`."""

from storage.base import QuotaRefused, StaleJob, Storage, StorageError
from storage.models import ACTIVE_STATES, Charge, GalleryQuery, Job, JobState, LedgerState, NewJob, QuotaLimits, Usage
from storage.sqlite import SqliteStorage, open_database

__all__ = [
    "ACTIVE_STATES", "Charge", "GalleryQuery", "Job", "JobState", "LedgerState", "NewJob", "QuotaLimits",
    "QuotaRefused", "SqliteStorage", "StaleJob", "Storage", "StorageError", "Usage", "open_database",
]  # fmt: skip
