"""`videobot` as a newcomer runs it: real subprocesses, the offline renderer, a real SQLite file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from bot.media import Media


def run_cli(*args, cwd: Path, timeout=240, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDEOBOT_", "RUNWAYML_", "REPLICATE_", "LUMAAI_"))}
    env.update({"VIDEOBOT_DATA_DIR": str(cwd / "data"), **(env_extra or {})})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def cat_png(tmp_path):
    img = Image.new("RGB", (640, 480), (40, 90, 160))
    draw = ImageDraw.Draw(img)
    draw.ellipse((220, 120, 420, 320), fill=(250, 200, 80))
    draw.rectangle((0, 400, 640, 480), fill=(30, 140, 60))
    path = tmp_path / "cat.png"
    img.save(path)
    return path


async def test_generate_both_clips_of_the_readme_offline(tmp_path, cat_png):
    dog = run_cli(
        "generate",
        "a golden retriever running through a field of sunflowers",
        "--camera",
        "tracking",
        "--style",
        "cinematic",
        "--lighting",
        "golden hour",
        "-o",
        "dog.mp4",
        cwd=tmp_path,
    )
    assert dog.returncode == 0, dog.stderr
    assert "dog.mp4" in dog.stdout and "1280x720" in dog.stdout and "MiB" in dog.stdout

    cat = run_cli(
        "generate",
        "the cat slowly turns its head",
        "--image",
        str(cat_png),
        "--camera",
        "dolly_in",
        "--duration",
        "6",
        "--aspect",
        "9:16",
        "-o",
        "cat.mp4",
        cwd=tmp_path,
    )
    assert cat.returncode == 0, cat.stderr

    media = Media()
    dog_info = await media.probe(tmp_path / "dog.mp4", exact=True)
    cat_info = await media.probe(tmp_path / "cat.mp4", exact=True)
    for info, seconds, ratio in ((dog_info, 5, 16 / 9), (cat_info, 6, 9 / 16)):
        assert info.codec == "h264" and info.pix_fmt == "yuv420p"
        assert abs(info.duration - seconds) <= 0.1
        assert abs(info.width / info.height - ratio) < 0.01

    jobs = run_cli("jobs", cwd=tmp_path)
    assert jobs.returncode == 0 and jobs.stdout.count("done") == 2 and "local:motion" in jobs.stdout

    quota = run_cli("quota", "--user", "0", cwd=tmp_path)
    assert "used 11 s of 1 min per 24 h, 49 s left" in quota.stdout, quota.stdout
    assert "frees up in 24 h" in quota.stdout


def test_bad_input_is_a_clear_message_and_costs_nothing(tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_text("this is not an image")
    result = run_cli("generate", "a cat", "--image", str(fake), "-o", "x.mp4", cwd=tmp_path)
    assert result.returncode == 2 and "error:" in result.stderr and "image" in result.stderr.lower()
    assert "Traceback" not in result.stderr
    too_long = run_cli("generate", "a cat", "--duration", "45", cwd=tmp_path)
    assert too_long.returncode == 2 and "seconds" in too_long.stderr
    quota = run_cli("quota", "--user", "0", cwd=tmp_path)
    assert "used 0 s" in quota.stdout
    assert "no jobs yet" in run_cli("jobs", cwd=tmp_path).stdout


def test_a_wrong_setting_stops_at_start_naming_the_variable(tmp_path):
    result = run_cli("jobs", cwd=tmp_path, env_extra={"VIDEOBOT_DAILY_SECONDS": "plenty"})
    assert result.returncode == 2 and "VIDEOBOT_DAILY_SECONDS" in result.stderr


def test_quota_refusal_says_what_is_left(tmp_path):
    result = run_cli("generate", "a cat", "--duration", "5", cwd=tmp_path, env_extra={"VIDEOBOT_DAILY_SECONDS": "3"})
    assert result.returncode == 2 and "3 s of video left" in result.stderr


def test_the_data_dir_is_private(tmp_path):
    result = run_cli("jobs", cwd=tmp_path)
    assert result.returncode == 0
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700
