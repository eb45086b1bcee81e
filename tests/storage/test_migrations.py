"""Migrations on real SQLite files: fresh, old, and too new."""

import sqlite3
import time

import pytest

from storage import SqliteStorage, StorageError, open_database
from storage.models import JobState
from storage.sqlite import migrations


async def test_fresh_database_is_migrated_and_in_wal_mode(tmp_path):
    db = await open_database(tmp_path / "v.db")
    try:
        assert await db.user_version() == migrations()[-1][0]
        row = await db.fetchone("PRAGMA journal_mode")
        assert row[0].lower() == "wal"
        tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"jobs", "quota_ledger", "quota_limits", "result_cache"} <= tables
    finally:
        await db.close()


async def test_old_database_keeps_its_rows_when_upgraded(tmp_path):
    path = tmp_path / "old.db"
    old = await open_database(path, migrate=False)
    assert await old.migrate(target=1) == 1
    now = time.time()
    async with old.transaction() as conn:
        await conn.execute(
            "INSERT INTO jobs (kind, state, owner_id, model, spec_json, created_at, updated_at)"
            " VALUES ('generate', 'done', 7, 'local:motion', '{\"subject\": \"a cat\"}', ?, ?)",
            (now, now),
        )
        await conn.execute(
            "INSERT INTO quota_ledger (job_id, user_id, seconds, state, created_at) VALUES (1, 7, 5, 'committed', ?)",
            (now,),
        )
    await old.close()

    storage = await SqliteStorage.open(path)
    try:
        assert await storage.db.user_version() == migrations()[-1][0]
        job = await storage.jobs.get(1)
        assert job is not None and job.state is JobState.DONE and job.spec == {"subject": "a cat"}
        assert job.fingerprint is None  # column added by migration 2
        usage = await storage.quota.usage(user_id=7, since=now - 10)
        assert usage.used == 5
    finally:
        await storage.close()


async def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    with pytest.raises(StorageError, match="newer"):
        await open_database(path)


def test_migration_files_are_numbered_in_sequence():
    versions = [v for v, _, _ in migrations()]
    assert versions == list(range(1, len(versions) + 1))
