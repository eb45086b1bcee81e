"""The offline finish (local:finish): a real clip twice as smooth (new frames interpolated by motion, not
repeated) and scaled to the asked size; the target sizes follow the source's aspect."""

from __future__ import annotations

import pytest

from bot.media.finish import finish, finish_args, target_size
from tests.support.video import frames_gray, make_clip, mean_abs_diff

pytestmark = pytest.mark.timeout(180)


async def test_finish_doubles_the_frame_rate_with_new_frames_and_scales(media, tmp_path):
    source = make_clip(tmp_path / "draft.mp4", seconds=1, size="320x180", rate=30)  # testsrc2: moving parts
    before = await media.probe(source, exact=True)

    out = await finish(media, source, tmp_path / "finished.mp4", size=(640, 360), fps=60)

    after = await media.probe(out, exact=True)
    assert (after.width, after.height) == (640, 360)
    assert after.fps == 60
    assert before.frame_count and after.frame_count
    assert 1.8 <= after.frame_count / before.frame_count <= 2.1  # about twice the frames
    frames = frames_gray(out, 320, 180)
    in_between = range(1, len(frames) - 1, 2)  # 30 -> 60 fps: every odd frame is a new one
    for i in in_between:
        gap = mean_abs_diff(frames[i - 1], frames[i + 1])  # how far the picture moves between two source frames
        assert gap > 0.5, f"the test clip stands still at frame {i}"
        # a repeated frame would equal one neighbour (only encoding noise apart); an interpolated one sits between
        assert mean_abs_diff(frames[i], frames[i - 1]) > 0.25 * gap, f"frame {i} repeats the one before"
        assert mean_abs_diff(frames[i], frames[i + 1]) > 0.25 * gap, f"frame {i} repeats the one after"


async def test_finish_at_the_same_rate_only_scales_and_keeps_the_sound(media, tmp_path):
    source = make_clip(tmp_path / "draft.mp4", seconds=1, size="320x240", rate=24, audio=True)

    out = await finish(media, source, tmp_path / "finished.mp4", size=(480, 360), fps=24)

    info = await media.probe(out, exact=True)
    assert (info.width, info.height, info.fps, info.has_audio) == (480, 360, 24, True)
    assert "minterpolate" not in " ".join(finish_args(source, out, (480, 360), 24, 24, audio=True))
    assert "lanczos" in " ".join(finish_args(source, out, (480, 360), 24, 24, audio=True))


@pytest.mark.parametrize(
    ("source", "resolution", "expected"),
    [
        ((1280, 720), "1080p", (1920, 1080)),
        ((1280, 720), "4k", (3840, 2160)),
        ((720, 1280), "2k", (1440, 2560)),
        ((960, 960), "1080p", (1080, 1080)),
        ((576, 320), "1080p", (1944, 1080)),  # Zeroscope's 576x320: the aspect is kept, the size stays even
    ],
)
def test_target_size_keeps_the_aspect_and_sets_the_short_side(source, resolution, expected):
    assert target_size(*source, resolution) == expected
