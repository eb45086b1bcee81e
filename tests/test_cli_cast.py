"""`videobot cast add|list|delete --guild ID` and `videobot generate --cast NAME`: real subprocesses, the offline
renderer, a real SQLite file."""

import pytest
from PIL import Image

from tests.support.cli import run_cli
from tests.support.video import make_voice

pytestmark = pytest.mark.slow  # slow: the CLI in subprocesses, with real renders


def test_a_cast_from_the_command_line_is_used_recorded_and_deleted(tmp_path):
    photos = []
    for n in range(2):
        path = tmp_path / f"mara-{n}.png"
        Image.effect_mandelbrot((160, 120), (-2.0 + n / 4, -1.2, 1.0, 1.2), 60).convert("RGB").save(path)
        photos.append(path)
    voice = make_voice(tmp_path / "mara.wav", seconds=2.0)
    added = run_cli(
        "cast",
        "add",
        "Mara",
        "--guild",
        "7",
        "--image",
        str(photos[0]),
        "--image",
        str(photos[1]),
        "--voice",
        str(voice),
        "--description",
        "a fox in a blue scarf",
        cwd=tmp_path,
    )
    assert added.returncode == 0, added.stderr
    assert "added Mara" in added.stdout and "2 photo(s), voice" in added.stdout
    listed = run_cli("cast", "list", "--guild", "7", cwd=tmp_path)
    assert "Mara  2 photo(s), voice 2.0 s" in listed.stdout and "a fox in a blue scarf" in listed.stdout
    assert run_cli("cast", "list", "--guild", "8", cwd=tmp_path).stdout == ""  # another server's cast

    made = run_cli("generate", "@Mara bows", "--guild", "7", "--duration", "1", "-o", "mara.mp4", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "local:storyboard" in made.stderr and (tmp_path / "mara.mp4").stat().st_size > 0
    jobs = run_cli("jobs", cwd=tmp_path)
    assert "(with Mara)" in jobs.stdout

    no_guild = run_cli("generate", "a bow", "--cast", "Mara", cwd=tmp_path)
    assert no_guild.returncode == 2 and "--cast needs --guild" in no_guild.stderr
    deleted = run_cli("cast", "delete", "mara", "--guild", "7", cwd=tmp_path)
    assert deleted.returncode == 0 and "deleted Mara" in deleted.stdout
    gone = run_cli("generate", "a bow", "--cast", "Mara", "--guild", "7", cwd=tmp_path)
    assert gone.returncode == 2 and "no 'Mara'" in gone.stderr
    assert "(with Mara)" in run_cli("jobs", cwd=tmp_path).stdout  # the old job keeps its cast
    taken = run_cli("cast", "add", "x", "--guild", "7", "--image", str(photos[0]), cwd=tmp_path)
    assert taken.returncode == 2 and "one word of 2 to 32" in taken.stderr
