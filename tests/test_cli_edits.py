"""`videobot generate --video`, `--end-image`, and `videobot stitch | loop | soundtrack`, as real subprocesses
on the offline renderer."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from bot.media import Media
from tests.support.cli import run_cli
from tests.support.video import ffmpeg, make_clip

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]  # slow: the CLI in subprocesses, with real renders


def _job(result) -> int:
    match = re.search(r"job #(\d+)", result.stderr)
    assert match, result.stderr
    return int(match.group(1))


async def test_remix_interpolate_and_the_edits_on_the_command_line(tmp_path):
    media = Media(timeout=60)
    clip = make_clip(tmp_path / "in.mp4", seconds=2, size="160x96")
    remix = run_cli(
        "generate", "a watercolour", "--video", str(clip), "--style", "artistic", "-o", "r.mp4", cwd=tmp_path
    )
    assert remix.returncode == 0, remix.stderr
    assert "local:restyle" in remix.stderr
    assert abs((await media.probe(tmp_path / "r.mp4")).duration - 2.0) < 0.15
    first, last = tmp_path / "a.png", tmp_path / "b.png"
    Image.new("RGB", (160, 90), (200, 30, 30)).save(first)
    Image.new("RGB", (160, 90), (30, 30, 200)).save(last)
    between = run_cli(
        "generate",
        "red turns blue",
        "--image",
        str(first),
        "--end-image",
        str(last),
        "--duration",
        "2",
        "-o",
        "i.mp4",
        cwd=tmp_path,
    )
    assert between.returncode == 0, between.stderr
    assert "local:interpolate" in between.stderr
    one, two = _job(remix), _job(between)

    stitched = run_cli("stitch", str(one), str(two), "--crossfade", "0.5", "-o", "s.mp4", cwd=tmp_path)
    assert stitched.returncode == 0, stitched.stderr
    assert abs((await media.probe(tmp_path / "s.mp4")).duration - 3.5) < 0.25
    looped = run_cli("loop", str(one), "--times", "3", "-o", "l.mp4", cwd=tmp_path)
    assert looped.returncode == 0, looped.stderr
    assert abs((await media.probe(tmp_path / "l.mp4")).duration - 6.0) < 0.2
    song = tmp_path / "song.flac"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:duration=1", str(song))
    scored = run_cli("soundtrack", str(one), str(song), "-o", "m.mp4", cwd=tmp_path)
    assert scored.returncode == 0, scored.stderr
    info = await media.probe(tmp_path / "m.mp4")
    assert info.has_audio and abs(info.duration - 2.0) < 0.15  # padded to the video's length
    bad = run_cli("soundtrack", str(one), str(first), "-o", "x.mp4", cwd=tmp_path)
    assert bad.returncode != 0 and "not audio" in bad.stderr
