"""Edits of results: stitch (cuts and crossfades), soundtrack (picture copied, sound fitted), and the offline
interpolation between two stills."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import pytest
from PIL import Image

from bot.media.edits import soundtrack, stitch, transition, under
from tests.support.video import audio_codec, band_level, ffmpeg, stream_seconds, video_stream_md5

pytestmark = pytest.mark.timeout(180)


def rgb_frames(video: Path, w: int, h: int) -> list[bytes]:
    data = ffmpeg("-i", str(video), "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-")
    return [data[i : i + w * h * 3] for i in range(0, len(data), w * h * 3)]


def diff(a: bytes, b: bytes) -> float:
    return sum(abs(x - y) for x, y in zip(a[::13], b[::13], strict=True)) / len(a[::13])


def picture_hash(video: Path) -> str:
    return hashlib.sha256(ffmpeg("-i", str(video), "-map", "0:v", "-c:v", "copy", "-f", "h264", "-")).hexdigest()


async def test_stitch_with_hard_cuts_and_with_a_crossfade(media, clips, tmp_path):
    cut = await stitch(media, [clips["plain"], clips["small30"], clips["plain_bars"]], tmp_path / "cut.mp4")
    assert abs((await media.probe(cut)).duration - 3.0) < 0.15  # different sizes and rates: re-encoded
    faded = await stitch(media, [clips["plain"], clips["plain_bars"]], tmp_path / "fade.mp4", crossfade=0.5)
    info = await media.probe(faded)
    assert abs(info.duration - 1.5) < 0.15 and (info.width, info.height) == (320, 240)
    frames = rgb_frames(faded, 80, 60)
    first, bars = rgb_frames(clips["plain"], 80, 60), rgb_frames(clips["plain_bars"], 80, 60)
    middle = frames[len(frames) // 2]  # halfway through the dissolve: unlike either clip alone
    assert diff(middle, first[-6]) > 5 and diff(middle, bars[6]) > 5
    assert diff(frames[-1], bars[-1]) < 6


async def test_soundtrack_copies_the_picture_and_fits_the_sound(media, clips, tmp_path):
    video = clips["two"]  # 2 s with its own tone
    long_sound = tmp_path / "long.mp3"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=880:duration=6", str(long_sound))
    short_sound = tmp_path / "short.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=220:duration=0.5", str(short_sound))
    for sound in (long_sound, short_sound):
        out = await soundtrack(media, video, sound, tmp_path / f"{sound.stem}.mp4", volume=0.5)
        info = await media.probe(out)
        assert info.has_audio and info.audio_codec == "aac"
        assert abs(info.duration - 2.0) < 0.1  # cut or padded to the video's length
        assert picture_hash(out) == picture_hash(video)  # the picture stream copied, not re-encoded


async def test_interpolation_starts_on_the_first_image_and_ends_on_the_last(media, tmp_path):
    first, last = tmp_path / "first.png", tmp_path / "last.png"
    Image.new("RGB", (200, 120), (220, 40, 40)).save(first)
    striped = Image.new("RGB", (200, 120), (30, 60, 220))
    for x in range(0, 200, 20):
        for y in range(120):
            striped.putpixel((x, y), (255, 255, 255))
    striped.save(last)
    out = await transition(media, first, last, tmp_path / "t.mp4", seconds=2, size=(160, 96))
    info = await media.probe(out, exact=True)
    assert info.frame_count is not None and info.frame_count >= 47 and (info.width, info.height) == (160, 96)
    frames = rgb_frames(out, 160, 96)
    red = Image.new("RGB", (160, 96), (220, 40, 40)).tobytes()
    blue = striped.resize((160, 96)).tobytes()
    assert diff(frames[0], red) < 12 and diff(frames[0], blue) > 60
    assert diff(frames[-1], blue) < 25 and diff(frames[-1], red) > 60
    middle = frames[len(frames) // 2]  # an in-between frame, neither still (not a cut)
    assert diff(middle, red) > 20 and diff(middle, blue) > 20
    # gradual: no single step carries the change
    steps = [diff(a, b) for a, b in itertools.pairwise(frames)]
    assert max(steps) < 0.5 * diff(frames[0], frames[-1])


async def test_stitch_of_a_silent_and_a_sounding_clip_keeps_the_sound_in_place(media, clips, tmp_path):
    for crossfade in (0.0, 0.5):
        out = await stitch(
            media, [clips["plain"], clips["av"]], tmp_path / f"mixed-{crossfade}.mp4", crossfade=crossfade
        )
        info = await media.probe(out)
        assert info.has_audio and info.audio_codec == "aac"
        picture, sound = stream_seconds(out, "v"), stream_seconds(out, "a")
        assert abs(picture - (2.0 - crossfade)) < 0.15 and abs(sound - picture) < 0.1, (crossfade, picture, sound)
        # the first (silent) clip's stretch is silence, the second's is the tone
        head = tmp_path / f"head-{crossfade}.wav"
        tail = tmp_path / f"tail-{crossfade}.wav"
        ffmpeg("-i", str(out), "-t", "0.3", "-vn", str(head))
        ffmpeg("-ss", str(round(picture - 0.4, 2)), "-i", str(out), "-vn", str(tail))
        assert band_level(head, 330) < -60 < band_level(tail, 330)


async def test_under_keeps_the_clips_own_sound_ducked_and_copies_the_picture(media, clips, tmp_path):
    video = clips["two"]  # 2 s with a 330 Hz tone
    new = tmp_path / "new.mp3"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=880:duration=6", str(new))
    out = await under(media, video, new, tmp_path / "under.mp4")
    assert picture_hash(out) == picture_hash(video) and video_stream_md5(out) == video_stream_md5(video)
    assert abs(stream_seconds(out, "a") - stream_seconds(video, "v")) < 0.1
    before = band_level(video, 330)
    assert before - 15 < band_level(out, 330) < before - 3 and band_level(out, 880) > before - 6


async def test_fit_to_size_keeps_a_clip_with_sound_whole_and_under_the_limit(media, clips, tmp_path):
    source = clips["two"]
    result = await media.fit_to_size_detailed(source, tmp_path / "fitted.mp4", 120_000)
    assert result.size_bytes <= 120_000
    assert audio_codec(result.path) == "aac"
    assert abs(stream_seconds(result.path, "a") - stream_seconds(result.path, "v")) < 0.1
    assert abs(stream_seconds(result.path, "v") - 2.0) < 0.1
