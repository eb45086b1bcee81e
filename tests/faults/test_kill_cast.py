"""kill -9 while a cast member is being added, after its photos are stored and before its row: the cast has the
whole member or none (here none: the row is one INSERT after the files), and adding it again works, reusing the
stored files (they are named by content hash)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from storage import open_storage
from tests.support.cli import ROOT, run_cli
from tests.support.video import FFMPEG, make_voice

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]  # a CLI process killed with SIGKILL


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    ours = ("VIDEOBOT_", "RUNWAYML_", "REPLICATE_", "LUMAAI_", "FAL_", "DISCORD_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.update(VIDEOBOT_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT), **extra)
    return env


async def test_a_kill_between_the_photos_and_the_row_leaves_no_member_and_a_retry_makes_a_whole_one(tmp_path):
    photo = tmp_path / "mara.png"
    Image.effect_mandelbrot((160, 120), (-2.0, -1.2, 1.0, 1.2), 60).convert("RGB").save(photo)
    voice = make_voice(tmp_path / "mara.wav", seconds=2.0)
    marker = tmp_path / "decoding"
    wrapper = tmp_path / "ffmpeg"  # holds the voice sample's decode (after the photo is stored) until killed
    wrapper.write_text(
        f'#!/bin/sh\ncase "$*" in *"-map 0:a:0"*) touch "{marker}"; sleep 100;; esac\nexec "{FFMPEG}" "$@"\n'
    )
    wrapper.chmod(0o755)
    args = ["cast", "add", "Mara", "--guild", "7", "--image", str(photo), "--voice", str(voice)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
        env=_env(tmp_path, VIDEOBOT_FFMPEG=str(wrapper)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the voice sample was never decoded"
            time.sleep(0.05)
        cast_dir = tmp_path / "data" / "cast"
        stored = sorted(p.name for p in cast_dir.iterdir() if p.suffix == ".png")
        assert len(stored) == 1  # the photo is stored by now
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    storage = await open_storage(None, tmp_path / "data" / "videobot.sqlite3")
    try:
        assert await storage.cast.members(7) == []  # none: no half member
    finally:
        await storage.close()

    again = run_cli(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    storage = await open_storage(None, tmp_path / "data" / "videobot.sqlite3")
    try:
        [mara] = await storage.cast.members(7)
        assert mara.voice and [f"{h}.png" for h in mara.photos] == stored  # the same file, not a second copy
        assert (cast_dir / mara.voice).is_file()
    finally:
        await storage.close()
