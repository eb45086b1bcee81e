"""The finishing models as data: each is asked in its own terms, and says what it makes when it cannot make
exactly what was asked."""

from __future__ import annotations

import pytest

from bot.errors import InvalidOption
from bot.providers.base import Capability
from bot.providers.finishes import FINISH_MODELS, FINISH_ORDER, finish_model, resolution_for


def test_every_finishing_model_is_in_the_order_and_can_only_finish():
    assert set(FINISH_ORDER) == set(FINISH_MODELS) and FINISH_ORDER[-1] == "local:finish"
    for entry in FINISH_MODELS.values():
        info = entry.info()
        assert info.capabilities == {Capability.FINISH} and not info.takes_prompt
        assert info.max_input_seconds == entry.max_input_seconds and entry.description


@pytest.mark.parametrize(
    ("model", "resolution", "fps", "made", "fields"),
    [
        ("runway:magnific-upscale", "1080p", None, ("1080p", None), {"resolution": "1k"}),  # Runway's 1k
        ("runway:magnific-upscale", "4k", 60, ("4k", None), {"resolution": "4k"}),  # keeps the frame rate
        ("runway:frame-rate", None, 60, (None, 60), {"target_framerate": "60"}),  # a string
        ("runway:frame-rate", "2k", 30, (None, 30), {"target_framerate": "30"}),  # keeps the size
        ("luma:upscale", "2k", None, ("4k", None), {"resolution": "4k"}),  # Luma has no 2k: the next size up
        ("local:finish", "2k", 60, ("2k", 60), {"resolution": "2k", "fps": 60}),
        ("replicate:topaz-video", "2k", 30, ("4k", 30), {"target_resolution": "4k", "target_fps": 30}),
        ("fal:topaz", "2k", 60, ("2k", 60), {"target_fps": 60, "H264_output": True}),  # sized by a factor
    ],
)
def test_each_model_is_asked_in_its_own_terms(model, resolution, fps, made, fields):
    entry = finish_model(model)
    res, rate, notes = entry.makes(resolution, fps)
    assert (res, rate) == made
    assert bool(notes) == ((res, rate) != (resolution, fps))  # a note exactly when it differs from the ask
    assert entry.ask(res, rate) == fields


def test_names_and_sizes():
    assert resolution_for(1920, 1080) == "1080p" and resolution_for(1080, 1920) == "1080p"
    assert resolution_for(2560, 1440) == "2k" and resolution_for(1000, 999) is None
    with pytest.raises(InvalidOption, match="not a finishing model"):
        finish_model("runway:gen4.5")


def test_a_model_asked_by_factor_gets_the_ratio_of_short_sides():
    fal = finish_model("fal:topaz")
    assert fal.ask("1080p", None, 1.5) == {"upscale_factor": 1.5, "H264_output": True}
    assert fal.ask(None, 30, 1.5) == {"target_fps": 30, "H264_output": True}  # no size asked: no factor


def test_rife_makes_whole_multiples_of_the_clips_rate_and_keeps_the_size():
    rife = finish_model("fal:rife")
    assert rife.makes("1080p", 60) == (None, 60, ["fal:rife does not change the size, so the clip keeps its own."])
    assert rife.rate_for(60, 30) == (60, None)  # one frame between each pair: exactly 60
    assert rife.rate_for(60, 29.97) == (60, None)  # 59.94 is played at fal's whole 60
    assert rife.rate_for(60, 15) == (60, None)  # three between each pair
    made, note = rife.rate_for(60, 24)  # 72 played at 60 would run 20% slow: 48 it is, and the note says so
    assert made == 48 and note is not None and "48 fps, not 60" in note
    assert rife.rate_for(30, 24)[0] == 48  # the lowest multiple that reaches the ask
    assert rife.rate_for(60, 40)[0] is None  # 80 is past fal's 60: nothing smoother to make


@pytest.mark.parametrize(
    ("fps", "source_fps", "frames"),
    [(60, 30, 1), (48, 24, 1), (60, 29.97, 1), (60, 20, 2), (60, 15, 3), (50, 10, 4), (60, 10, 4)],
)
def test_rife_is_asked_the_frames_between_each_pair_and_the_rate_to_play_them_at(fps, source_fps, frames):
    # (frames + 1) x the source's rate reaches the target; at most 4; always the rate stated (fal's default is 8)
    fields = finish_model("fal:rife").ask(None, fps, source_fps=source_fps)
    assert fields == {"num_frames": frames, "use_calculated_fps": False, "fps": fps}


def test_rife_is_never_asked_without_the_clips_rate_or_a_higher_one():
    rife = finish_model("fal:rife")
    for fps, source in [(60, None), (None, 24.0), (24, 24.0)]:
        with pytest.raises(InvalidOption, match="higher frame rate"):
            rife.ask(None, fps, source_fps=source)
