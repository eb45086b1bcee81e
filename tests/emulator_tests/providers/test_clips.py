"""The emulators' clip factory (emulators/providers/_media.py): real files, made once."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import imageio_ffmpeg

from emulators.providers import VideoFactory


def counting_ffmpeg(folder: Path) -> tuple[str, Path]:
    """A real ffmpeg behind a script that writes one line per run to ``runs.txt``."""
    runs = folder / "runs.txt"
    script = folder / "ffmpeg"
    script.write_text(f'#!/bin/sh\necho run >> "{runs}"\nexec "{imageio_ffmpeg.get_ffmpeg_exe()}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script), runs


async def test_first_uses_that_arrive_together_share_one_make(tmp_path: Path) -> None:
    binary, runs = counting_ffmpeg(tmp_path)
    clips = VideoFactory(tmp_path / "clips", ffmpeg=binary)
    made = await asyncio.gather(*(clips.clip(5) for _ in range(20)), *(clips.sound_clip(3) for _ in range(20)))
    assert len(set(made[:20])) == 1 and len(set(made[20:])) == 1 and made[0] != made[20]
    assert made[0][4:8] == b"ftyp"  # an MP4
    assert runs.read_text().splitlines() == ["run", "run"]  # one make per file
    assert sorted(os.listdir(tmp_path / "clips")) == ["clip-3s-sound.mp4", "clip-5s.mp4"]  # no temporary left


async def test_a_failed_make_fails_its_waiters_and_the_next_use_tries_again(tmp_path: Path) -> None:
    clips = VideoFactory(tmp_path / "clips", ffmpeg=str(tmp_path / "missing-ffmpeg"))
    results = await asyncio.gather(*(clips.clip(2) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, OSError) for r in results)
    clips.ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    assert (await clips.clip(2))[4:8] == b"ftyp"
