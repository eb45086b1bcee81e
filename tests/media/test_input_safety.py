"""A crafted input must not make ffmpeg open anything but itself.

A named pipe stands in for "another local file": if anything opens it for reading, the writer
waiting on its other end wakes up, so the test sees every read attempt, even a failed one.  The
same files are first shown to trip the wire when given to a bare ``ffmpeg -protocol_whitelist
file`` (the whitelist alone allows other local files), so the test can fail.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.errors import MediaError
from bot.media import Media
from tests.support.tripwire import fifo_tripwire as tripwire
from tests.support.video import FFMPEG


def bare_ffmpeg_probe(path: Path) -> None:
    subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-protocol_whitelist", "file", "-i", str(path)],
        capture_output=True,
        timeout=20,
        check=False,
        cwd=path.parent,
    )


def concat_script(folder: Path) -> Path:
    evil = folder / "holiday.mp4"
    evil.write_text("ffconcat version 1.0\nfile 'secret.ts'\n")
    return evil


def hls_playlist(folder: Path, name: str) -> Path:
    evil = folder / name
    evil.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:1.0,\n{folder / 'secret.ts'}\n#EXT-X-ENDLIST\n")
    return evil


async def attempt_everything(media: Media, evil: Path, folder: Path) -> None:
    """Every entry point that opens an input refuses it."""
    attempts = [
        media.probe(evil),
        media.last_frame(evil, folder / "frame.png"),
        media.concat([evil], folder / "joined.mp4"),
        media.fit_to_size(evil, folder / "fit.mp4", 1_000_000),
        media.resize(evil, folder / "r.mp4", 64, 64),
    ]
    for attempt in attempts:
        with pytest.raises(MediaError) as caught:
            await attempt
        assert "only plain video" in caught.value.user_message


@pytest.mark.parametrize("make", [concat_script, lambda d: hls_playlist(d, "clip.m3u8")], ids=["concat", "hls"])
def test_the_wire_detects_a_bare_ffmpeg(tmp_path, make):
    evil = make(tmp_path)
    with tripwire(tmp_path / "secret.ts") as opened:
        bare_ffmpeg_probe(evil)
        assert opened.wait(5), "bare ffmpeg should have followed the script to the other file"


@pytest.mark.parametrize(
    "make",
    [concat_script, lambda d: hls_playlist(d, "clip.mp4"), lambda d: hls_playlist(d, "clip.m3u8")],
    ids=["concat-as-mp4", "hls-as-mp4", "hls-as-m3u8"],
)
async def test_scripts_and_playlists_are_refused_unread(tmp_path, media, make):
    evil = make(tmp_path)
    with tripwire(tmp_path / "secret.ts") as opened:
        await attempt_everything(media, evil, tmp_path)
        assert not opened.is_set()


async def test_mp4_magic_does_not_unlock_other_demuxers(tmp_path, media):
    evil = tmp_path / "tricky.mp4"
    body = f"#EXTM3U\n#EXTINF:1.0,\n{tmp_path / 'secret.ts'}\n#EXT-X-ENDLIST\n"
    evil.write_bytes(b"\x00\x00\x00\x10ftypisom\x00\x00\x00\x00" + body.encode())
    with tripwire(tmp_path / "secret.ts") as opened:
        with pytest.raises(MediaError):
            await media.probe(evil)  # forced to the MP4 demuxer, which finds no movie in it
        assert not opened.is_set()
