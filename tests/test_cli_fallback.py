"""Fallback from the command line (subprocesses against the provider emulators): a create refused at connect
moves the job to the fallback, the note is printed, the stored breaker shows in `videobot models` of another
process; fallback lists are checked at start like the default model."""

from pathlib import Path

import pytest

from bot.media import Media
from tests.support.cli import generate

pytestmark = pytest.mark.slow  # slow: the CLI in subprocesses

DOWN = {"RUNWAYML_BASE_URL": "http://127.0.0.1:9"}  # nothing listens: every Runway call is refused at connect


async def test_generate_falls_back_and_models_shows_the_open_breaker(emulators, tmp_path: Path):
    env = {
        **emulators,
        **DOWN,
        "VIDEOBOT_FALLBACK_TEXT": "runway:gen4.5, luma:ray-flash-2",
        "VIDEOBOT_BREAKER_THRESHOLD": "1",
    }
    out = tmp_path / "fox.mp4"
    made = generate(
        env, tmp_path, "generate", "a red fox in snow", "--model", "runway:gen4.5", "--duration", "5", "-o", str(out)
    )
    assert made.returncode == 0, made.stderr
    assert "note: Runway is unavailable; made with Luma ray-flash-2" in made.stderr
    assert (await Media().probe(out)).duration > 0
    listed = generate(env, tmp_path, "models")
    assert listed.returncode == 0, listed.stderr
    assert "Runway: OPEN" in listed.stdout and "new jobs go to the fallback" in listed.stdout
    assert "text: runway:gen4.5 → luma:ray-flash-2" in listed.stdout and "Luma: closed" in listed.stdout


def test_a_mistyped_fallback_model_is_refused_at_start_with_close_matches(emulators, tmp_path: Path):
    started = generate({**emulators, "VIDEOBOT_FALLBACK_TEXT": "luma:ray-flash2"}, tmp_path, "models")
    assert started.returncode != 0
    assert "VIDEOBOT_FALLBACK_TEXT" in started.stderr and "Did you mean luma:ray-flash-2" in started.stderr
    wrong_kind = generate({**emulators, "VIDEOBOT_FALLBACK_VIDEO": "luma:ray-2"}, tmp_path, "models")
    assert wrong_kind.returncode != 0 and "luma:ray-2 cannot do video-to-video" in wrong_kind.stderr
    keyless = generate({"VIDEOBOT_FALLBACK_IMAGE": "fal:kling-2.1"}, tmp_path, "models")  # known, no key: skipped
    assert keyless.returncode == 0, keyless.stderr
