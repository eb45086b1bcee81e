"""Fixtures of the storage tests (the ``storage`` and ``database_url`` fixtures are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage import Storage, open_storage


@pytest.fixture
async def storages(database_url: str) -> AsyncIterator[list[Storage]]:
    """Three storages on one database: separate pools (PostgreSQL) or connections to one file (SQLite)."""
    opened = [await open_storage(database_url) for _ in range(3)]
    yield opened
    for s in opened:
        await s.close()
