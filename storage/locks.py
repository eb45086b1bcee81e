"""Named locks shared by every process using one SQLite database: ``flock`` on files next to it.

Each acquisition opens its own file descriptor, so two holders in one process exclude each other as two
processes do; the kernel drops a dead process's locks with its descriptors, so a crash never leaves a lock
held.  This serves processes on one machine (SQLite's own reach); the PostgreSQL backend uses advisory locks.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

POLL_SECONDS = 0.05


class FileLock:
    """A held lock (an open, ``flock``-ed descriptor); :meth:`release` is idempotent."""

    def __init__(self, name: str, fd: int):
        self.name = name
        self._fd: int | None = fd

    @property
    def held(self) -> bool:
        """Whether this lock has not been released yet."""
        return self._fd is not None

    async def release(self) -> None:
        """Let the next holder in."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


class FileLocks:
    """``try_lock`` / ``advisory_lock`` over lock files in ``folder``."""

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

    @contextlib.asynccontextmanager
    async def advisory_lock(self, name: str) -> AsyncIterator[FileLock]:
        """Wait for the lock (polling, so the event loop keeps running) and hold it for the block."""
        while True:  # flock has no async wait: poll (another process's release cannot wake us)
            lock = await self.try_lock(name)
            if lock is not None:
                break
            await asyncio.sleep(POLL_SECONDS)
        try:
            yield lock
        finally:
            await lock.release()
