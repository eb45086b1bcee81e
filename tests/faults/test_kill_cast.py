"""kill -9 while a cast member is being added, after its photos and voice are stored and before its row: the cast
has the whole member or none (here none: the row is one INSERT after the files), and adding it again makes a whole
member, reusing the stored files (they are named by content hash)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from storage import open_storage
from tests.support.cli import ROOT, run_cli
from tests.support.video import make_voice

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]  # a CLI process killed with SIGKILL


def _env(tmp_path: Path) -> dict[str, str]:
    ours = ("VIDEOBOT_", "RUNWAYML_", "REPLICATE_", "LUMAAI_", "FAL_", "DISCORD_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.update(VIDEOBOT_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT))
    return env


def _placed(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else []


async def test_a_kill_between_the_stored_files_and_the_row_leaves_no_member_and_a_retry_makes_a_whole_one(tmp_path):
    photo = tmp_path / "mara.png"
    Image.effect_mandelbrot((160, 120), (-2.0, -1.2, 1.0, 1.2), 60).convert("RGB").save(photo)
    voice = make_voice(tmp_path / "mara.wav", seconds=2.0)
    assert run_cli("cast", "list", "--guild", "7", cwd=tmp_path).returncode == 0  # the database exists, migrated
    cast_dir, database = tmp_path / "data" / "cast", tmp_path / "data" / "videobot.sqlite3"
    args = ["cast", "add", "Mara", "--guild", "7", "--image", str(photo), "--voice", str(voice)]
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the add's INSERT waits behind this write lock, its files already stored
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(_placed(cast_dir)) < 2:  # the photo and the voice sample
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the files were never stored"
            time.sleep(0.02)
        stored = _placed(cast_dir)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        holder.execute("ROLLBACK")
        holder.close()
    # killed while waiting to write the row (or, on a machine stalled past SQLite's 10 s busy timeout, refused
    # with "database is locked": the same files stored and no row, so the rest holds either way)
    assert proc.returncode in (-signal.SIGKILL, 2)
    storage = await open_storage(None, database)
    try:
        assert await storage.cast.members(7) == []  # none: no half member
    finally:
        await storage.close()

    again = run_cli(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    storage = await open_storage(None, database)
    try:
        [mara] = await storage.cast.members(7)
        assert sorted([*(f"{h}.png" for h in mara.photos), str(mara.voice)]) == stored  # the same files, reused
    finally:
        await storage.close()
    assert _placed(cast_dir) == stored  # no second copy
