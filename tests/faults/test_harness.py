"""The fault harness's own knobs: the emulators' ``output_delay``, the slow-probe ffmpeg wrapper, the read-only
database views (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import shlex
import sqlite3
import subprocess
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from emulators.providers import EmulatorServer, Script
from tests.support.harness import JobDb, RenderGate, slow_ffmpeg
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


def test_the_render_gate_holds_a_render_until_it_has_a_pass(tmp_path: Path) -> None:
    gate = RenderGate(tmp_path / "renders")
    wrapper = slow_ffmpeg(tmp_path / "bin", 0.0, gate)
    render = [str(wrapper), "-v", "error", "-f", "rawvideo", "-s", "2x2", "-pix_fmt", "gray", "-i", "pipe:0"]
    render += ["-f", "null", "-"]  # (what matters is the pipe: its input is empty, so it ends at once)

    def until(condition, what: str) -> None:
        deadline = time.monotonic() + 30
        while not condition():
            assert time.monotonic() < deadline, what
            time.sleep(0.01)

    subprocess.run(render, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)  # open: no pass needed
    assert gate.used == 0
    gate.close()
    held = subprocess.Popen(render, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        until(lambda: gate.waiting == 1, "the render to wait")
        assert held.poll() is None  # still held
        gate.allow()
        held.wait(timeout=30)
    finally:
        held.kill()
    assert gate.used == 1 and gate.waiting == 0
    # a render whose parent (the bot) dies while it waits gives up, and never takes a later pass
    waiting = f'while [ ! -e "{gate.folder}/waiting-$!" ]; do sleep 0.01; done'
    parent = f"{shlex.join(render)} </dev/null >/dev/null 2>&1 & {waiting}; echo $!"  # ends once it waits
    orphan = Path(f"/proc/{int(subprocess.run(['sh', '-c', parent], capture_output=True, timeout=30).stdout)}/stat")

    def gone() -> bool:  # exited (a zombie until init reaps it) or reaped
        try:
            return orphan.read_text().rsplit(")", 1)[1].split()[0] == "Z"
        except (FileNotFoundError, ProcessLookupError):
            return True

    until(lambda: gate.waiting == 0 and gone(), "the orphan to give up")
    gate.allow()
    assert gate.used == 1  # the pass is still there for the next render


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
