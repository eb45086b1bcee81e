"""Media operations on real clips: last frame, concat, resize, loop, sound, frames, interpolation."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PIL import Image

from bot.errors import MediaError
from bot.media import Frame
from bot.media.ops import poster_time
from tests.support.video import ffmpeg, make_clip


async def test_last_frame_is_the_last_one(media, tmp_path):
    clip = tmp_path / "red_then_blue.mp4"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=c=red:s=320x240:r=24:d=1",
        "-f",
        "lavfi",
        "-i",
        "color=c=blue:s=320x240:r=24:d=0.5",
        "-filter_complex",
        "[0][1]concat=n=2",
        "-pix_fmt",
        "yuv420p",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        str(clip),
    )
    png = await media.last_frame(clip, tmp_path / "last.png")
    with Image.open(png) as image:
        assert image.size == (320, 240) and image.mode == "RGB"
        r, g, b = image.getpixel((160, 120))
    assert b > 200 and r < 40 and g < 40


async def test_last_frame_of_a_very_short_clip(media, tmp_path):
    clip = make_clip(tmp_path / "short.mp4", seconds=0.2, size="64x48")
    png = await media.last_frame(clip, tmp_path / "last.png")
    with Image.open(png) as image:
        assert image.size == (64, 48)


async def test_concat_identical_settings_is_a_stream_copy(media, clips, tmp_path):
    out = await media.concat([clips["plain"], clips["plain_bars"], clips["plain"]], tmp_path / "joined.mp4")
    info = await media.probe(out, exact=True)
    assert info.frame_count == 72 and info.duration == pytest.approx(3.0, abs=0.05)
    # a re-encode would be libx264 "High"; the copied ultrafast stream keeps its own profile
    assert info.profile == "Constrained Baseline"


async def test_concat_different_clips_reencodes_to_the_first(media, clips, tmp_path):
    parts = [clips["av"], clips["small30"], clips["webm"]]
    out = await media.concat(parts, tmp_path / "mixed.mp4")
    info = await media.probe(out, exact=True)
    assert (info.width, info.height, info.fps) == (320, 240, 24.0)
    assert info.codec == "h264" and info.pix_fmt == "yuv420p" and info.profile == "High"
    assert info.has_audio  # the silent clips got silence, so the sound stays in sync
    assert info.duration == pytest.approx(3.0, abs=0.1)
    with pytest.raises(MediaError):
        await media.concat(parts, tmp_path / "forced.mp4", copy=True)


async def test_resize_modes(media, clips, tmp_path):
    fit = await media.probe(await media.resize(clips["av"], tmp_path / "fit.mp4", 640, 360))
    fill = await media.probe(await media.resize(clips["plain"], tmp_path / "fill.mp4", 200, 200, mode="fill"))
    assert (fit.width, fit.height, fit.has_audio) == (640, 360, True)
    assert (fill.width, fill.height, fill.has_audio) == (200, 200, False)
    with pytest.raises(ValueError):
        await media.resize(clips["plain"], tmp_path / "odd.mp4", 201, 200)


async def test_loop_repeats_picture_and_sound(media, clips, tmp_path):
    silent = await media.probe(await media.loop(clips["plain"], tmp_path / "x3.mp4", 3), exact=True)
    assert silent.frame_count == 72 and silent.duration == pytest.approx(3.0, abs=0.05)
    sound = await media.probe(await media.loop(clips["av"], tmp_path / "av2.mp4", 2), exact=True)
    assert sound.has_audio and sound.duration == pytest.approx(2.0, abs=0.1)


async def test_add_audio_ends_with_the_shorter(media, clips, tmp_path):
    longer_sound = await media.probe(await media.add_audio(clips["plain"], clips["two"], tmp_path / "a.mp4"))
    assert longer_sound.has_audio and longer_sound.duration == pytest.approx(1.0, abs=0.1)
    wav = tmp_path / "half.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=500:duration=0.5", str(wav))
    shorter_sound = await media.probe(await media.add_audio(clips["webm"], wav, tmp_path / "b.mp4"))
    assert shorter_sound.codec == "h264" and shorter_sound.duration == pytest.approx(0.5, abs=0.12)


async def test_failed_run_leaves_nothing_behind(media, clips, tmp_path):
    dest = tmp_path / "out" / "never.mp4"
    with pytest.raises(MediaError) as caught:
        await media.add_audio(clips["plain"], clips["plain_bars"], dest)  # that "audio" has no sound
    assert caught.value.detail and "ffmpeg exited" in caught.value.detail
    assert not dest.exists() and list(dest.parent.iterdir()) == []


async def test_frames_to_video(media, tmp_path):
    frames = []
    for index, (colour, size) in enumerate([("red", (101, 80)), ("green", (50, 50)), ("blue", (300, 200))]):
        path = tmp_path / f"f{index}.{'jpg' if index == 1 else 'png'}"
        Image.new("RGB", size, colour).save(path)
        frames.append(path)
    info = await media.probe(await media.frames_to_video(frames, tmp_path / "slides.mp4", 2), exact=True)
    assert (info.width, info.height) == (100, 80)  # the first frame's size, made even
    assert info.frame_count == 3 and info.duration == pytest.approx(1.5, abs=0.05)
    bad = tmp_path / "bad.png"
    bad.write_text("<svg/>")
    with pytest.raises(MediaError):
        await media.frames_to_video([frames[0], bad], tmp_path / "bad.mp4", 2)


async def test_interpolate_doubles_the_rate(media, clips, tmp_path):
    info = await media.probe(await media.interpolate(clips["plain"], tmp_path / "smooth.mp4", 48), exact=True)
    assert info.fps == 48 and info.frame_count is not None and 44 <= info.frame_count <= 48
    assert info.duration == pytest.approx(1.0, abs=0.1)


async def test_progress_reaches_one(media, clips, tmp_path):
    seen: list[float] = []
    await media.loop(clips["plain"], tmp_path / "p.mp4", 4, on_progress=seen.append)
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)


async def test_timeout_kills_ffmpeg(media, tmp_path):
    sink = tmp_path / "endless.raw"
    args = ["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=1000", "-f", "rawvideo", str(sink)]
    with pytest.raises(MediaError, match="too long"):
        await media.run(args, timeout=0.5)
    size = sink.stat().st_size if sink.exists() else -1  # (a loaded machine may not have started it yet)
    await asyncio.sleep(0.3)
    assert (sink.stat().st_size if sink.exists() else -1) == size  # nothing writes any more: the process is gone


async def test_cancel_kills_ffmpeg(media, tmp_path):
    sink = tmp_path / "endless.raw"
    args = ["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=1000", "-f", "rawvideo", str(sink)]
    task = asyncio.create_task(media.run(args, timeout=30))
    while not sink.exists() or sink.stat().st_size == 0:
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    size = sink.stat().st_size
    await asyncio.sleep(0.3)
    assert sink.stat().st_size == size


RAW = ["-f", "rawvideo", "-pix_fmt", "gray", "-s", "8x4", "-r", "24", "-i", "pipe:0"]


async def test_fed_frames_reach_ffmpeg_in_order(media, tmp_path):
    sink = tmp_path / "fed.raw"
    frames = [bytes([n * 10]) * 32 for n in range(20)]
    await media.run([*RAW, "-f", "rawvideo", str(sink)], feed=iter(frames))
    assert sink.read_bytes() == b"".join(frames)


async def test_a_failing_feed_is_the_error(media, tmp_path):
    def frames():
        yield bytes(32)
        raise ValueError("the renderer broke")

    with pytest.raises(ValueError, match="renderer broke"):
        await media.run([*RAW, "-f", "rawvideo", str(tmp_path / "fed.raw")], feed=frames())


async def test_a_failing_ffmpeg_stops_its_feed(media, tmp_path):
    made = []

    def endless():
        while True:
            made.append(1)
            yield bytes(32)

    with pytest.raises(MediaError):  # no such encoder: ffmpeg exits at once and the writer's pipe breaks
        await media.run([*RAW, "-c:v", "no-such-codec", str(tmp_path / "x.mp4")], feed=endless())
    count = len(made)
    await asyncio.sleep(0.2)
    assert len(made) == count  # the writer thread has stopped


def test_the_bundled_ffmpeg_is_found_without_running_it(monkeypatch):
    # imageio-ffmpeg's get_ffmpeg_exe runs "ffmpeg -version" (once per process): one more process start per command
    import imageio_ffmpeg

    from bot.media.ffmpeg import find_ffmpeg

    expected = imageio_ffmpeg.get_ffmpeg_exe()

    def no_check():
        raise AssertionError("asked imageio-ffmpeg, which runs the binary")

    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.delenv("IMAGEIO_FFMPEG_EXE", raising=False)
    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", no_check)
    assert find_ffmpeg() == expected


def _colour_clip(path, *colours: str, seconds: float = 1.0):
    """A 320x240 clip showing each colour for ``seconds`` in turn."""
    inputs = [arg for c in colours for arg in ("-f", "lavfi", "-i", f"color=c={c}:s=320x240:r=24:d={seconds}")]
    joined = "".join(f"[{i}]" for i in range(len(colours))) + f"concat=n={len(colours)}"
    ffmpeg(
        *inputs, "-filter_complex", joined, "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", str(path)
    )
    return path


def _rgb(path):
    with Image.open(path) as image:
        return image.size, image.getpixel((image.width // 2, image.height // 2))


async def test_stills_take_the_first_a_timed_and_the_last_frame_in_one_run(media, tmp_path, monkeypatch):
    clip = _colour_clip(tmp_path / "rgb.mp4", "red", "lime", "blue")
    runs = []
    real_run = media.run

    async def counted(args, **options):
        runs.append(list(args))
        return await real_run(args, **options)

    monkeypatch.setattr(media, "run", counted)
    first, middle, last = tmp_path / "first.jpg", tmp_path / "middle.jpg", tmp_path / "last.jpg"
    await media.stills(clip, [Frame(first, 160), Frame(middle, 480, at=1.5), Frame(last, 160, last=True)])
    assert len(runs) == 1  # no probe either (it would be a run of its own)
    (size, (r1, g1, b1)), (big, (r2, g2, b2)), (_, (r3, g3, b3)) = _rgb(first), _rgb(middle), _rgb(last)
    assert size == (160, 120) and big == (320, 240)  # at most the width asked, never upscaled
    assert r1 > 200 and g1 < 60 and b1 < 60
    assert g2 > 200 and r2 < 60 and b2 < 60
    assert b3 > 200 and r3 < 60 and g3 < 60
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.jpg", "last.jpg", "middle.jpg", "rgb.mp4"]


async def test_the_last_still_is_the_very_last_frame_as_the_overwriting_run_makes_it(media, tmp_path):
    """The last frame comes out of the seek's second reversed (one JPEG encoded): the same file, byte for byte, as
    the one-run fallback makes by writing every frame over the one before; here the last frame alone is blue."""
    inputs = ["-f", "lavfi", "-i", "color=c=red:s=320x240:r=24:d=2", "-f", "lavfi", "-i", "color=c=blue:s=320x240:r=24"]
    clip = tmp_path / "blue-at-the-end.mp4"
    ffmpeg(*inputs, "-filter_complex", "[1]trim=end_frame=1[b];[0][b]concat=n=2", "-pix_fmt", "yuv420p", str(clip))
    combined, overwritten = tmp_path / "combined.jpg", tmp_path / "overwritten.jpg"
    await media.stills(clip, [Frame(tmp_path / "first.jpg", 160), Frame(combined, 160, last=True)])
    await media.still(clip, overwritten, 160, last=True)
    r, g, b = _rgb(combined)[1]
    assert b > 200 and r < 60 and g < 60
    assert combined.read_bytes() == overwritten.read_bytes()


async def test_stills_of_a_very_short_clip_fall_back_to_one_run_each(media, tmp_path):
    clip = make_clip(tmp_path / "short.mp4", seconds=0.2, size="64x48")
    first, last = tmp_path / "first.jpg", tmp_path / "last.jpg"
    await media.stills(clip, [Frame(first, 320), Frame(last, 320, last=True)])
    assert _rgb(first)[0] == (64, 48) and _rgb(last)[0] == (64, 48)


async def test_stills_of_something_that_is_not_a_video_explain_it(media, tmp_path):
    sound = tmp_path / "tone.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac", str(sound))
    with pytest.raises(MediaError):
        await media.stills(sound, [Frame(tmp_path / "first.jpg", 320)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tone.m4a"]  # no temporary file left behind


async def test_a_poster_with_known_info_needs_no_probe(media, clips, tmp_path, monkeypatch):
    info = await media.probe(clips["plain"])

    async def no_probe(*args, **options):
        raise AssertionError("probed")

    monkeypatch.setattr(media, "probe", no_probe)
    assert await media.poster(clips["plain"], tmp_path / "poster.jpg", 160, info) is info
    assert _rgb(tmp_path / "poster.jpg")[0] == (160, 120)


def test_frame_options_seek_and_keep_one_frame():
    assert Frame(Path("a.jpg"), 320).seek() == {}
    assert Frame(Path("a.jpg"), 320, at=1.5).seek() == {"ss": 1.5}
    assert Frame(Path("a.jpg"), 320, last=True).seek() == {"sseof": -1.0}
    assert Frame(Path("a.jpg"), 320).output()["vframes"] == 1
    assert Frame(Path("a.jpg"), 320, last=True).output()["update"] == 1  # the last frame written wins


def test_the_poster_is_a_third_in_and_at_most_two_seconds():
    assert poster_time(3.0) == 1.0
    assert poster_time(10.0) == 2.0
    assert poster_time(0.3) == 0.1


async def test_quick_runs_take_turns_for_their_slots_and_long_runs_do_not_wait(monkeypatch):
    from bot.media import media as media_module

    running, most, release = [], [], asyncio.Event()

    async def fake_ffmpeg(binary, args, **options):  # stands in for the process, not for our code
        running.append(args[0])
        most.append(len(running))
        await release.wait()
        running.remove(args[0])

    monkeypatch.setattr(media_module, "run_ffmpeg", fake_ffmpeg)
    media = media_module.Media(quick_runs=2)
    quick = [asyncio.create_task(media.run([f"quick{i}"], quick=True)) for i in range(5)]
    long = asyncio.create_task(media.run(["render"]))
    for _ in range(20):
        await asyncio.sleep(0)
    assert sorted(running) == ["quick0", "quick1", "render"]  # two quick slots full; the render did not wait
    release.set()
    await asyncio.wait_for(asyncio.gather(*quick, long), 10)
    assert max(most) == 3 and not running
