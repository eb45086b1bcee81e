"""The janitor on real files and a real SQLite file: ages are set with os.utime, nothing sleeps."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from bot.cli import main as videobot
from bot.services.janitor import DAY, Janitor
from storage import JobInputs, JobState, NewJob, SqliteStorage
from tests.support.cancel import SwallowedCancel

NOW = time.time()
KIB = 1024


@pytest.fixture
async def storage(make_settings):
    settings = make_settings(retention_days=14, media_disk_cap_mb=1000)
    store = await SqliteStorage.open(settings.db_path)
    yield store, settings
    await store.close()


def put(path: Path, size: int = 1000, age_days: float = 0.0) -> Path:
    """A file of ``size`` bytes last modified ``age_days`` ago."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * size)
    when = NOW - age_days * DAY
    os.utime(path, (when, when))
    return path


async def job(store, *, age_days: float, state: JobState = JobState.DONE, finished_days: float | None = None, **fields):
    """A job created ``age_days`` ago, moved to ``state`` (finished ``finished_days`` ago)."""
    created = NOW - age_days * DAY
    inputs = JobInputs.from_json(fields.pop("inputs", {}))
    new = NewJob(
        kind="generate",
        owner_id=1,
        guild_id=None,
        channel_id=None,
        model="local:storyboard",
        spec={},
        cost_seconds=0.0,
        inputs=inputs,
        fingerprint=fields.pop("fingerprint", None),
    )
    row = await store.jobs.create(new, charge=None, now=created)
    if state.finished:
        finished = NOW - (finished_days if finished_days is not None else age_days) * DAY
        return await store.jobs.finish(row.id, state, now=finished, ledger=None, **fields)
    return await store.jobs.update(row.id, state=state, **fields)


async def test_old_media_goes_recent_and_busy_media_stays(storage):
    store, settings = storage
    media, inputs = settings.media_dir, settings.inputs_dir
    # an old finished job: everything it left is past retention
    old_image = put(inputs / "old.png", age_days=30)
    old = await job(store, age_days=30, inputs={"image": str(old_image)}, fingerprint="f-old")
    old_result = put(media / "results" / f"{old.id}.mp4", age_days=30)
    await store.jobs.update(old.id, result_path=str(old_result))
    await store.cache.put("f-old", old.id, str(old_result), now=NOW - 30 * DAY)
    old_leftovers = [
        put(media / "raw" / f"{old.id}.mp4", age_days=30),
        put(media / "fitted" / f"{old.id}-9000000.mp4", age_days=30),
        put(media / "local" / f"local-{old.id}.json", age_days=30),
        put(media / "local" / f"local-{old.id}.mp4", age_days=30),
        put(media / "local" / ".render-abc" / "still.png", age_days=30),
        put(media / "results" / ".7.deadbeef.tmp.mp4", age_days=30),
    ]
    # a recent result, and a recent re-roll that still needs the old job's image
    shared_image = put(inputs / "shared.png", age_days=30)
    recent = await job(store, age_days=2, inputs={"image": str(shared_image)})
    recent_result = put(media / "results" / f"{recent.id}.mp4", age_days=2)
    await store.jobs.update(recent.id, result_path=str(recent_result))
    # a job that has been running for 20 days (a stuck provider): its files are in use
    busy_image = put(inputs / "busy.png", age_days=20)
    busy = await job(store, age_days=20, state=JobState.POSTPROCESSING, inputs={"image": str(busy_image)})
    busy_files = [
        put(media / "raw" / f"{busy.id}.mp4", age_days=20),
        put(media / "local" / f"local-{busy.id}.json", age_days=20),
    ]
    fresh_tmp = put(media / "results" / f".{busy.id}.cafe.tmp.mp4")

    report = await Janitor(store, settings).run()

    gone = [old_image, old_result, *old_leftovers]
    assert [p for p in gone if p.exists()] == []
    kept = [shared_image, recent_result, busy_image, *busy_files, fresh_tmp]
    assert [p for p in kept if not p.exists()] == []
    assert report.deleted_files == len(gone) and report.freed_bytes == 1000 * len(gone) and not report.over_cap
    assert report.cache_rows_dropped == 1 and await store.cache.get("f-old") is None
    assert not (media / "local" / ".render-abc").exists() and (media / "local").is_dir()
    assert (await store.jobs.get(old.id)).state is JobState.DONE  # the row and its history stay
    again = await Janitor(store, settings).run()
    assert again.deleted_files == 0 and again.cache_rows_dropped == 0


async def test_over_the_cap_intermediates_go_first_then_the_oldest_results(storage, make_settings):
    store, _ = storage
    settings = make_settings(retention_days=14, media_disk_cap_mb=1)  # 1024 KiB
    media = settings.media_dir
    results = []
    for days in (5, 4, 3, 2):  # four finished results of 300 KiB, all within retention
        done = await job(store, age_days=days)
        results.append(put(media / "results" / f"{done.id}.mp4", 300 * KIB, age_days=days))
        await store.jobs.update(done.id, result_path=str(results[-1]))
    spare = put(media / "fitted" / f"{done.id}-5000000.mp4", 100 * KIB, age_days=1)
    busy = await job(store, age_days=1, state=JobState.DELIVERING)
    busy_result = put(media / "results" / f"{busy.id}.mp4", 200 * KIB, age_days=6)
    writing = put(media / "results" / ".99.beef.tmp.mp4", 50 * KIB, age_days=6)
    # 1550 KiB in all: the fitted copy, then the two oldest results must go to get under 1024 KiB
    report = await Janitor(store, settings).run()
    assert not spare.exists() and not results[0].exists() and not results[1].exists()
    assert results[2].exists() and results[3].exists() and busy_result.exists() and writing.exists()
    assert report.remaining_bytes == 850 * KIB and not report.over_cap


async def test_files_of_unfinished_jobs_are_never_deleted_even_over_the_cap(storage, make_settings):
    store, _ = storage
    settings = make_settings(retention_days=0, media_disk_cap_mb=1)
    image = put(settings.inputs_dir / "upload.png", 700 * KIB, age_days=3)
    busy = await job(store, age_days=3, state=JobState.RUNNING, inputs={"image": str(image)})
    raw = put(settings.media_dir / "raw" / f"{busy.id}.mp4", 700 * KIB, age_days=3)
    report = await Janitor(store, settings).run()
    assert image.exists() and raw.exists()
    assert report.deleted_files == 0 and report.over_cap


def test_videobot_cleanup(make_settings, monkeypatch, capsys):
    settings = make_settings()
    monkeypatch.setenv("VIDEOBOT_RETENTION_DAYS", "7")
    stale = put(settings.media_dir / "raw" / "12.mp4", 2 * 1024 * KIB, age_days=8)
    assert videobot(["cleanup"]) == 0
    assert not stale.exists()
    assert "deleted 1 file(s), 2.0 MiB" in capsys.readouterr().out


async def test_the_bot_cleans_up_when_it_starts(launch, bot_settings):
    settings = bot_settings(retention_days=1)
    stale = put(settings.media_dir / "raw" / "77.mp4", age_days=3)
    bot = await launch(settings)
    async with asyncio.timeout(30):
        while stale.exists():
            await asyncio.sleep(0.05)
    assert bot.app.janitor is not None


async def test_stop_ends_the_loop_even_when_a_library_swallows_the_cancel(storage):
    """A cancel swallowed inside the pass's query (tests/support/cancel.py): the loop must still end, not sleep
    for an hour."""
    store, settings = storage
    touched_since, swallow = store.jobs.touched_since, SwallowedCancel()

    async def touched_since_then_a_wait_for(*args, **kw):
        jobs = await touched_since(*args, **kw)
        await swallow.point()
        return jobs

    store.jobs.touched_since = touched_since_then_a_wait_for
    janitor = Janitor(store, settings)
    janitor.start(interval=3600)
    await swallow.stop(janitor.stop)
