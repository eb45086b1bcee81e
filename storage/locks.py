"""Named locks: the interface both backends' ``Storage.try_lock`` returns, and SQLite's implementation.

SQLite's named locks are shared by every process using one database: ``flock`` on files next to it.  Each
acquisition opens its own file descriptor, so two holders in one process exclude each other as two
processes do; the kernel drops a dead process's locks with its descriptors, so a crash never leaves a lock
held.  This serves processes on one machine (SQLite's own reach); the PostgreSQL backend uses advisory locks
(:class:`storage.postgres.PgLocks`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
from pathlib import Path
from typing import Protocol


class NamedLock(Protocol):
    """A held named lock (see :meth:`storage.facade.Storage.try_lock`)."""

    name: str

    async def release(self) -> None:
        """Let the next holder in (safe to call twice)."""
        ...


class NamedLocks(Protocol):
    """Where a backend's named locks live: it hands out a lock if nobody holds it."""

    async def try_lock(self, name: str) -> NamedLock | None:
        """The lock, or None when someone (this process included) holds it."""
        ...


class FileLock:
    """A held lock (an open, ``flock``-ed descriptor); :meth:`release` is idempotent."""

    def __init__(self, name: str, fd: int):
        self.name = name
        self._fd: int | None = fd

    async def release(self) -> None:
        """Let the next holder in."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


class FileLocks:
    """SQLite's named locks: lock files in ``folder``."""

    def __init__(self, folder: Path):
        self.folder = folder

    def path_for(self, name: str) -> Path:
        """The lock file of a name (readable when the name is, a hash keeps distinct names distinct)."""
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:60]
        return self.folder / f"{safe}.{hashlib.sha256(name.encode()).hexdigest()[:12]}.lock"

    async def try_lock(self, name: str) -> FileLock | None:
        """The lock, or None when someone (this process included) holds it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path_for(name), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
        return FileLock(name, fd)
