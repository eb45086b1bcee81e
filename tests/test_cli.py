"""`videobot` as a newcomer runs it: real subprocesses, the offline renderer, a real SQLite file."""

import re
import shlex
import time

import pytest
from PIL import Image, ImageDraw

from bot.media import Media
from tests.support.cli import run_cli
from tests.support.readme import readme_section

pytestmark = pytest.mark.slow  # slow: the CLI in subprocesses, with real renders


@pytest.fixture
def cat_png(tmp_path):
    img = Image.new("RGB", (640, 480), (40, 90, 160))
    draw = ImageDraw.Draw(img)
    draw.ellipse((220, 120, 420, 320), fill=(250, 200, 80))
    draw.rectangle((0, 400, 640, 480), fill=(30, 140, 60))
    path = tmp_path / "cat.png"
    img.save(path)
    return path


def readme_generate_lines() -> list[list[str]]:
    """The ``videobot generate`` lines of the first code block of the README's offline quick start."""
    block = re.search(r"```sh\n(.*?)```", readme_section("Quick start, offline"), re.DOTALL)
    assert block, "the offline quick start has no ```sh block"
    lines = block.group(1).splitlines()
    return [shlex.split(line)[1:] for line in lines if line.startswith("videobot generate ")]


def parse_wait(text: str) -> float:
    """Seconds in a ``format_wait`` answer ('23 h 59 min', '24 h', '5 min', 'a moment'): an upper bound."""
    if text == "a moment":
        return 60.0
    match = re.fullmatch(r"(?:(\d+) h)? ?(?:(\d+) min)?", text)
    assert match and any(match.groups()), text
    return 3600.0 * int(match.group(1) or 0) + 60.0 * int(match.group(2) or 0)


@pytest.mark.slow  # two real renders through the CLI in subprocesses
@pytest.mark.timeout(360)
async def test_generate_both_clips_of_the_readme_offline(tmp_path, cat_png):
    dog_args, cat_args = readme_generate_lines()  # the README's two clips, exactly as it prints them
    assert "dog.mp4" in dog_args and "cat.png" in cat_args and cat_png.name == "cat.png"
    before = time.time()
    dog = run_cli(*dog_args, cwd=tmp_path, env_extra={"VIDEOBOT_LOCAL_SCALE": "1"})  # the README's full size
    assert dog.returncode == 0, dog.stderr
    assert "dog.mp4" in dog.stdout and "1280x720" in dog.stdout and "MiB" in dog.stdout

    cat = run_cli(*cat_args, cwd=tmp_path)  # cat.png is in the working directory (the fixture)
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
    elapsed = time.time() - before
    assert "used 11 s of 1 min per 24 h, 49 s left" in quota.stdout, quota.stdout
    # The first charge was made after `before` and is read before `elapsed` ran out, so it frees up 24 h after
    # it was made: between 24 h minus the test's own run time and 24 h (rounded up to the minute).
    match = re.search(r"the oldest charge frees up in (.+)", quota.stdout)
    assert match, quota.stdout
    wait = parse_wait(match.group(1).strip())
    assert 86_400 - elapsed - 60 <= wait <= 86_400, (match.group(1), elapsed)


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
