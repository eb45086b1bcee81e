"""`videobot sequence FILE`: a film from a file of shots, as a real subprocess on the offline renderer."""

from __future__ import annotations

import pytest

from bot.media import Media
from tests.support.cli import run_cli

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]  # slow: the CLI in a subprocess, with real renders


async def test_a_film_from_a_file_of_shots(tmp_path):
    shots = tmp_path / "story.txt"
    shots.write_text("a paper boat sets sail | 2s\n\nthe boat drifts under a bridge | 1s\n", encoding="utf-8")
    film = run_cli(
        "sequence", str(shots), "--transition", "fade", "--aspect", "1:1", "--model", "local:storyboard",
        "-o", "film.mp4", cwd=tmp_path,
    )  # fmt: skip
    assert film.returncode == 0, film.stderr
    assert "Making a film of 2 shots (2.5 s)" in film.stderr
    assert abs((await Media(timeout=60).probe(tmp_path / "film.mp4")).duration - 2.5) < 0.2  # 2 + 1 - 0.5

    one = tmp_path / "one.txt"
    one.write_text("only one shot\n", encoding="utf-8")
    refused = run_cli("sequence", str(one), "-o", "x.mp4", cwd=tmp_path)
    assert refused.returncode != 0 and "at least 2 shots" in refused.stderr
    assert not (tmp_path / "x.mp4").exists()


async def test_sound_on_the_command_line_is_refused_offline_before_anything(tmp_path):
    shots = tmp_path / "story.txt"
    shots.write_text("a paper boat sets sail\nthe boat drifts under a bridge\n", encoding="utf-8")
    refused = run_cli(
        "sequence", str(shots), "--model", "local:storyboard", "--sound", "waves on a beach", "-o", "film.mp4",
        cwd=tmp_path,
    )  # fmt: skip
    assert refused.returncode != 0 and "no offline sound generator" in refused.stderr
    assert not (tmp_path / "film.mp4").exists() and "job #" not in refused.stderr  # refused before any job
