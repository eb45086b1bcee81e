"""probe: values read from real files, and a parser that metadata cannot fool."""

from __future__ import annotations

import pytest

from bot.errors import MediaError
from bot.media.probe import parse_info, split_top_level


async def test_probe_h264_with_audio(media, clips):
    info = await media.probe(clips["av"], exact=True)
    assert (info.width, info.height) == (320, 240)
    assert info.codec == "h264" and info.pix_fmt == "yuv420p"
    assert info.fps == pytest.approx(24)
    assert info.duration == pytest.approx(1.0, abs=0.05)
    assert info.frame_count == 24
    assert info.has_audio and info.audio_codec == "aac" and info.sample_rate == 44100
    assert info.size_bytes == clips["av"].stat().st_size
    assert info.format_name.startswith("mov,mp4") and info.is_h264_mp4


async def test_probe_webm_and_other_rates(media, clips):
    webm = await media.probe(clips["webm"])
    assert webm.codec == "vp9" and webm.format_name.startswith("matroska") and not webm.is_h264_mp4
    assert not webm.has_audio
    small = await media.probe(clips["small30"], exact=True)
    assert (small.width, small.height, small.fps, small.frame_count) == (160, 120, 30.0, 30)


async def test_probe_still_image(media, clips, tmp_path):
    png = await media.last_frame(clips["plain"], tmp_path / "frame.png")
    info = await media.probe(png)
    assert (info.width, info.height, info.duration, info.codec) == (320, 240, 0.0, "png")


async def test_probe_rejects_files_that_are_not_media(media, tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 200)  # MP4 magic, nothing inside
    with pytest.raises(MediaError):
        await media.probe(junk)
    text = tmp_path / "notes.mp4"
    text.write_text("hello, this is text")
    with pytest.raises(MediaError, match="not a supported media file"):
        await media.probe(text)


HEADER = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from '/x/it's, from 'a.mp4':
  Metadata:
    title           : fake
                    :   Duration: 09:09:09.00, start: 0.000000, bitrate: 1 kb/s
    comment         :   Stream #0:7: Video: hevc, yuv444p, 9999x9999, 99 fps
  Duration: 00:00:03.50, start: 0.000000, bitrate: 352 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709, progressive), \
1920x1080 [SAR 1:1 DAR 16:9], 269 kb/s, 29.97 fps, 29.97 tbr, 30k tbn (default)
    Side data:
      displaymatrix: rotation of -90.00 degrees
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, 5.1(side), fltp, 69 kb/s (default)
"""


def test_parser_ignores_metadata_and_applies_rotation():
    info = parse_info(HEADER, 1234)
    assert info.duration == 3.5
    assert (info.width, info.height) == (1080, 1920)  # rotated for display
    assert info.rotation == -90
    assert (info.codec, info.profile, info.pix_fmt, info.fps) == ("h264", "High", "yuv420p", 29.97)
    assert (info.audio_codec, info.sample_rate, info.channels) == ("aac", 48000, "5.1(side)")
    assert info.format_name == "mov,mp4,m4a,3gp,3g2,mj2"


def test_parser_needs_a_video_stream():
    audio_only = (
        "Input #0, mp3, from 'a.mp3':\n  Duration: 00:00:01.00, start: 0.0\n  Stream #0:0: Audio: mp3, 44100 Hz\n"
    )
    with pytest.raises(MediaError, match="no video"):
        parse_info(audio_only, 10)


def test_split_top_level_keeps_brackets():
    assert split_top_level("a (b, c), d [e, f], g") == ["a (b, c)", "d [e, f]", "g"]
