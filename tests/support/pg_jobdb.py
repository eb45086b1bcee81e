""":class:`PgJobDb`: the fault harness's :class:`~tests.support.harness.JobDb` on a PostgreSQL database.

The bot processes write the database; the test reads it with the same synchronous ``rows(sql, params)`` as
the SQLite reader (SQLite spelling, ``?`` placeholders), through :func:`storage.open_storage` and the
backend's own read path (one statement, one snapshot: always the latest commit).  asyncpg needs an event
loop, and the test's own loop is busy running the emulators, so the reader runs its pool on a private loop
in a daemon thread; each query blocks the caller for one round trip, as ``sqlite3`` does.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterable
from typing import Any, TypeVar

from storage import SqlStorage, open_storage
from tests.support.harness import JobDb, Row

T = TypeVar("T")
QUERY_TIMEOUT = 60.0  # safety net only: a read on loopback answers in milliseconds


class PgJobDb(JobDb):
    """Read-only views of a PostgreSQL bot database (``url``, e.g. a test's ``pg_url`` schema URL)."""

    def __init__(self, url: str):  # no SQLite path: the base class's ``path`` is never read here
        self.url = url
        self._storage: SqlStorage | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pg-jobdb", daemon=True)
        self._thread.start()

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(QUERY_TIMEOUT)

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """Run a SELECT (the first call connects, and migrates an empty schema as any process would)."""
        if self._storage is None:
            self._storage = self._call(open_storage(self.url))
        return [dict(r) for r in self._call(self._storage.db.fetchall(sql, tuple(params)))]

    def close(self) -> None:
        """Close the pool and stop the reader's thread."""
        if self._storage is not None:
            self._call(self._storage.close())
            self._storage = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
