"""The fault harness's own knobs: the emulators' ``output_delay``, the slow-probe ffmpeg wrapper, the read-only
database views (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from emulators.providers import EmulatorServer, Script
from tests.support.harness import JobDb, slow_ffmpeg
from tests.support.pg_jobdb import PgJobDb

pytestmark = pytest.mark.timeout(60)


async def test_output_delay_holds_every_download_of_the_output(live_providers: EmulatorServer) -> None:
    api = live_providers.luma
    api.script_next(Script(queued=0, running=0, output_delay=0.5))
    headers = {"Authorization": f"Bearer {api.api_key}"}
    async with httpx.AsyncClient(base_url=live_providers.luma_url, headers=headers, timeout=10) as client:
        created = (await client.post("/generations", json={"prompt": "a delayed clip", "model": "ray-2"})).json()
        url = (await client.get(f"/generations/{created['id']}")).json()["assets"]["video"]
        for _ in range(2):
            started = time.monotonic()
            video = await client.get(url)
            assert time.monotonic() - started >= 0.5
            assert video.status_code == 200 and video.content[4:8] == b"ftyp"


def test_slow_ffmpeg_holds_only_raw_inputs(tmp_path: Path) -> None:
    wrapper = slow_ffmpeg(tmp_path / "bin", 0.6)
    raw = tmp_path / "data" / "media" / "raw" / "1.mp4"
    spy, log = tmp_path / "spy", tmp_path / "sleeps.log"  # a `sleep` that only writes down what it was asked
    spy.mkdir()
    (spy / "sleep").write_text(f'#!/bin/sh\necho "$@" >> "{log}"\n')
    (spy / "sleep").chmod(0o755)
    env = {**os.environ, "PATH": f"{spy}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run([str(wrapper), "-hide_banner", "-version"], env=env, check=True, capture_output=True, timeout=30)
    assert not log.exists()  # no hold for anything but a downloaded raw file
    subprocess.run([str(wrapper), "-hide_banner", "-i", str(raw)], env=env, capture_output=True, timeout=30)
    assert log.read_text().split() == ["0.600"]  # (the spy does see a hold)
    started = time.monotonic()
    done = subprocess.run([str(wrapper), "-hide_banner", "-i", str(raw)], capture_output=True, timeout=30)
    assert time.monotonic() - started >= 0.6 and b"No such file" in done.stderr  # the real ffmpeg ran after


def test_job_db_reads_a_live_wal_database_read_only(tmp_path: Path) -> None:
    path = tmp_path / "videobot.sqlite3"
    assert JobDb(path).rows("SELECT 1") == []  # not created yet
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT, spec_json TEXT)")
    writer.execute("INSERT INTO jobs VALUES (1, 'queued', '{\"subject\": \"a tagged job\"}')")
    writer.commit()
    db = JobDb(path)
    assert db.tagged("tagged")[0]["state"] == "queued" and db.ledger(1) == []  # no ledger table yet
    writer.execute("UPDATE jobs SET state = 'running'")
    writer.commit()
    assert db.job(1)["state"] == "running"  # type: ignore[index]
    with pytest.raises(sqlite3.OperationalError):
        db.rows("DELETE FROM jobs")
    writer.close()


async def test_pg_job_db_reads_the_latest_commit_of_another_connection(pg_url: str) -> None:
    db = PgJobDb(pg_url)
    try:
        assert db.rows("SELECT * FROM jobs") == []  # the first read migrated the empty schema
        writer = await asyncpg.connect(pg_url)
        try:
            job_id = await writer.fetchval(
                "INSERT INTO jobs (kind, state, owner_id, model, spec_json, created_at, updated_at) "
                "VALUES ('video', 'queued', 42, 'local:storyboard', '{\"subject\": \"a tagged job\"}', 1, 1) "
                "RETURNING id"
            )
            found = db.tagged("tagged")  # SQLite spelling (? placeholders) runs on PostgreSQL
            assert [(r["id"], r["state"], r["owner_id"]) for r in found] == [(job_id, "queued", 42)]
            assert db.ledger(job_id) == []
            await writer.execute("UPDATE jobs SET state = 'running' WHERE id = $1", job_id)
            assert db.job(job_id)["state"] == "running"  # type: ignore[index]
            assert db.job(job_id + 1) is None
        finally:
            await writer.close()
    finally:
        db.close()
    assert not db._thread.is_alive()
