"""Kill -9 in the middle of a /sequence film (three shots on Runway, side by side, joined with crossfades): the
command-line process is SIGKILLed while its shots run and again once a shot is made, `videobot worker` resumes
it on the same data dir, and the film is made once: one provider task per shot (no second create for any
shot), one job per shot, one reservation for the film, committed once, and the joined film of the right length.
A film with ``--sound`` killed while its soundtrack is made: the soundtrack is created once and the film gets it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from bot.media import Media
from emulators.providers import EmulatorServer, Script
from tests.support.harness import ROOT, JobDb, tasks_for
from tests.support.video import ffmpeg_streams, stream_seconds

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]  # CLI processes killed with SIGKILL
TAG = "kill-sequence-film"


def cli_env(data_dir: Path, providers: EmulatorServer) -> dict[str, str]:
    strip = ("VIDEOBOT_", "DISCORD_", "RUNWAYML_", "REPLICATE_", "LUMAAI_", "FAL_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(strip)}
    env.update(
        PYTHONPATH=str(ROOT),
        VIDEOBOT_DATA_DIR=str(data_dir),
        VIDEOBOT_POLL_INTERVAL_SECONDS="0.05",
        VIDEOBOT_POLL_MAX_INTERVAL_SECONDS="0.2",
        VIDEOBOT_DAILY_SECONDS="86400",
        **providers.env(),
    )
    return env


async def spawn(workdir: Path, env: dict[str, str], log: Path, *args: str) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", *args, cwd=workdir, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip


async def kill(proc: asyncio.subprocess.Process) -> None:
    assert proc.returncode is None, "the process ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    await asyncio.wait_for(proc.wait(), 10)


async def test_a_film_killed_mid_sequence_is_made_once(live_providers: EmulatorServer, tmp_path: Path) -> None:
    api = live_providers.runway
    api.rule(TAG, Script(queued=1, running=12))
    env, log = cli_env(tmp_path / "data", live_providers), tmp_path / "cli.log"
    db = JobDb(tmp_path / "data" / "videobot.sqlite3")
    shots = tmp_path / "shots.txt"
    shots.write_text("\n".join(f"{what} {TAG}" for what in ("a kite rises", "a kite loops", "a kite lands")))
    args = ("--model", "runway:gen4.5", "--duration", "2", "--transition", "crossfade", "-o", "film.mp4")

    def shot_rows() -> list[dict]:
        return db.rows("SELECT * FROM jobs WHERE kind = 'shot' ORDER BY id")

    first = await spawn(tmp_path, env, log, "sequence", str(shots), *args)
    try:
        # every shot's task is created and stored (a kill inside a create that Runway cannot look up would make
        # the film ask its member instead of creating the shot again: see test_sequence's questions)
        running = lambda: len(rows := shot_rows()) == 3 and all(r["provider_task_id"] for r in rows)  # noqa: E731
        await db.wait(running, 60, "every shot running")
    finally:
        await kill(first)
    [film] = db.rows("SELECT * FROM jobs WHERE kind = 'sequence'")
    assert film["state"] == "queued" and db.ledger(film["id"]) == ["reserved"]

    second = await spawn(tmp_path, env, log, "worker")
    try:
        await db.wait(lambda: any(r["state"] == "done" for r in shot_rows()), 60, "a shot made")
    finally:
        await kill(second)

    third = await spawn(tmp_path, env, log, "worker")
    deadline = time.monotonic() + 120
    while third.returncode is None and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert third.returncode == 0, log.read_text(errors="replace")[-3000:]

    film = db.job(film["id"])
    assert film is not None and film["state"] == "done", film
    rows = shot_rows()
    assert sorted(r["id"] for r in rows) == sorted({r["id"] for r in rows}) and len(rows) == 3  # a job per shot
    assert all(r["state"] == "done" and r["parent_job_id"] == film["id"] for r in rows)
    assert len(tasks_for(api, TAG)) == 3  # one Runway task per shot: none created twice across the kills
    assert db.ledger(film["id"]) == ["committed"] and all(db.ledger(r["id"]) == [] for r in rows)
    joined = await Media(timeout=60).probe(tmp_path / "film.mp4", exact=True)
    assert abs(joined.duration - (3 * 2 - 2 * 0.5)) <= 0.2


async def test_a_film_killed_while_its_soundtrack_is_made_gets_it_once(
    live_providers: EmulatorServer, tmp_path: Path
) -> None:
    api, tag = live_providers.runway, "kill-film-soundtrack"
    api.rule(tag, Script(queued=1, running=12))  # the soundtrack's task (its description carries the tag)
    env, log = cli_env(tmp_path / "data", live_providers), tmp_path / "cli.log"
    db = JobDb(tmp_path / "data" / "videobot.sqlite3")
    shots = tmp_path / "shots.txt"
    shots.write_text("a drummer sits down\nthe drummer plays")
    args = ("--model", "runway:gen4.5", "--duration", "2", "--sound", f"a drum roll {tag}", "-o", "film.mp4")

    def track() -> dict | None:
        rows = db.rows("SELECT * FROM jobs WHERE kind = 'filmsound'")
        return rows[0] if rows else None

    first = await spawn(tmp_path, env, log, "sequence", str(shots), *args)
    try:  # killed once the soundtrack's task exists (after every shot is made, before the join)
        await db.wait(lambda: (row := track()) is not None and row["provider_task_id"], 90, "the soundtrack running")
    finally:
        await kill(first)
    [film] = db.rows("SELECT * FROM jobs WHERE kind = 'sequence'")
    assert film["state"] == "queued"

    second = await spawn(tmp_path, env, log, "worker")
    try:  # and again once it is made (the join may or may not have run)
        await db.wait(lambda: (row := track()) is not None and row["state"] == "done", 60, "the soundtrack made")
    finally:
        await kill(second)

    third = await spawn(tmp_path, env, log, "worker")
    deadline = time.monotonic() + 120
    while third.returncode is None and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert third.returncode == 0, log.read_text(errors="replace")[-3000:]

    film = db.job(film["id"])
    assert film is not None and film["state"] == "done", film
    assert len(tasks_for(api, tag)) == 1 and api.creates["sound_effect"] == 1  # never created twice
    row = track()
    assert row is not None and row["parent_job_id"] == film["id"]
    [cost] = db.rows("SELECT * FROM job_costs WHERE job_id = ?", (row["id"],))
    assert cost["state"] == "settled" and cost["spent_usd"] > 0  # its price, charged once
    assert db.ledger(film["id"]) == ["committed"]
    made = tmp_path / "film.mp4"
    assert ffmpeg_streams(made) == ["video", "audio"]
    assert abs(stream_seconds(made, "a") - stream_seconds(made, "v")) < 0.1
