"""`videobot db copy` and `videobot db check` end to end: real subprocesses, a real SQLite bot, the real server."""

import re
import time

import pytest
from PIL import Image

from storage import JobState, NewJob, open_storage
from tests.support.cli import run_cli

pytestmark = pytest.mark.slow  # slow: the CLI in subprocesses


def counts(output):
    return dict(re.findall(r"^(\w+): (\d+) rows$", output, re.MULTILINE))


async def test_an_existing_sqlite_bot_moves_to_postgresql(tmp_path, pg_url):
    made = run_cli("generate", "a red fox in the snow", "--duration", "2", "-o", "fox.mp4", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    limit = run_cli("quota", "--user", "42", "--set", "30", cwd=tmp_path)
    assert limit.returncode == 0, limit.stderr
    Image.new("RGB", (64, 48), (200, 60, 40)).save(tmp_path / "mara.png")
    cast = run_cli("cast", "add", "Mara", "--guild", "7", "--image", "mara.png", cwd=tmp_path)
    assert cast.returncode == 0, cast.stderr
    source = "sqlite:///data/videobot.sqlite3"  # relative to the bot's working directory, as in the README
    before = run_cli("db", "check", "--url", source, cwd=tmp_path)
    assert before.returncode == 0, before.stderr
    lite = counts(before.stdout)
    assert lite["jobs"] == "1" and lite["quota_ledger"] == "1" and lite["quota_limits"] == "1"
    assert lite["result_cache"] == "1" and lite["job_costs"] == "1"  # the job's money row
    assert lite["model_timings"] == "1"  # the finished job taught its model its run time
    assert lite["cast_members"] == "1"  # a server's cast moves too

    copied = run_cli("db", "copy", "--from", source, "--to", pg_url, cwd=tmp_path)
    assert copied.returncode == 0, copied.stderr
    assert copied.stdout.startswith("copied 7 rows")

    after = run_cli("db", "check", cwd=tmp_path, env_extra={"VIDEOBOT_DATABASE_URL": pg_url})
    assert after.returncode == 0, after.stderr
    assert "backend: postgresql" in after.stdout and re.search(
        r"schema version: (\d+) \(this videobot: \1\)", after.stdout
    )
    assert counts(after.stdout) == lite

    # the bot on PostgreSQL sees the same history, quota and limits
    jobs = run_cli("jobs", cwd=tmp_path, env_extra={"VIDEOBOT_DATABASE_URL": pg_url})
    assert jobs.returncode == 0 and "a red fox in the snow" in jobs.stdout, jobs.stdout + jobs.stderr
    storage = await open_storage(pg_url)
    try:
        [old] = await storage.jobs.search(limit=5)
        assert old.state is JobState.DONE and old.spec["subject"] == "a red fox in the snow"
        assert await storage.quota.ledger_state(old.id) == "committed"
        assert [(r.user_id, r.user_daily_seconds) for r in await storage.quota.limits(None, 42)] == [(42, 30)]
        assert old.fingerprint and (await storage.cache.get(old.fingerprint)).job_id == old.id
        mara = await storage.cast.get(7, "mara")
        assert mara is not None and mara.name == "Mara" and len(mara.photos) == 1
        new = await storage.jobs.create(NewJob("generate", 1, None, None, "local:motion", {}, 1), charge=None, now=0)
        assert new.id == old.id + 1  # ids continue after the copied ones
        await storage.jobs.update(new.id, state=JobState.CANCELLED, finished_at=time.time())
    finally:
        await storage.close()

    again = run_cli("db", "copy", "--from", source, "--to", pg_url, cwd=tmp_path)
    assert again.returncode == 2 and "the target is not empty (" in again.stderr and "jobs: 2 rows" in again.stderr


def test_copy_refuses_a_missing_source_and_a_sqlite_target(tmp_path, pg_url):
    missing = run_cli("db", "copy", "--from", "sqlite:///nowhere.db", "--to", pg_url, cwd=tmp_path)
    assert missing.returncode == 2 and "no SQLite database at nowhere.db" in missing.stderr
    wrong = run_cli("db", "copy", "--from", "sqlite:///a.db", "--to", "sqlite:///b.db", cwd=tmp_path)
    assert wrong.returncode == 2 and "--to must be a postgresql:// URL" in wrong.stderr


def test_check_reports_a_database_behind_this_videobot(tmp_path, pg_url):
    empty = run_cli("db", "check", "--url", pg_url, cwd=tmp_path)  # an empty schema: check migrates nothing
    assert empty.returncode == 1 and "schema version: 0 (this videobot:" in empty.stdout
