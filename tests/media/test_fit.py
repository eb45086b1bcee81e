"""fit_to_size: under the limit, playable, one encode for ordinary clips."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.errors import OutputTooLarge
from bot.media import MediaInfo, fit
from bot.media.fit import plan_encode
from tests.support.video import make_clip


async def test_two_seconds_into_100_kb(media, clips, tmp_path):
    source = await media.probe(clips["two"])
    assert source.size_bytes > 300_000  # a real squeeze
    result = await media.fit_to_size_detailed(clips["two"], tmp_path / "small.mp4", 100_000)
    assert result.attempts == 1
    assert 0.8 * 100_000 < result.size_bytes <= 100_000  # under, and not wastefully far under
    info = await media.probe(result.path, exact=True)
    assert info.size_bytes == result.size_bytes
    assert info.is_h264_mp4 and info.has_audio and info.frame_count == 48
    assert info.duration == pytest.approx(2.0, abs=0.05)


async def test_a_moving_clip_uses_its_budget_and_never_more(media, tmp_path):
    """A moving test card under heavy film grain (hard to predict): one encode in the common case, at most two,
    never over the limit, and most of the budget used (BENCHMARKS.md measures it on real footage)."""
    grain = ("-vf", "noise=alls=25:allf=t+u", "-crf", "10")
    source = make_clip(tmp_path / "grain.mp4", seconds=4, size="640x360", audio=True, extra=grain)
    assert (await media.probe(source)).size_bytes > 1_000_000
    for limit in (400_000, 150_000):
        result = await media.fit_to_size_detailed(source, tmp_path / f"fit{limit}.mp4", limit)
        assert result.attempts in (1, 2) and result.size_bytes <= limit
        assert result.size_bytes >= 0.9 * limit, result


async def test_already_small_enough_is_only_remuxed(media, clips, tmp_path):
    result = await media.fit_to_size_detailed(clips["plain"], tmp_path / "same.mp4", 10_000_000)
    assert result.attempts == 0 and result.size_bytes <= 10_000_000
    assert (await media.probe(result.path)).profile == "Constrained Baseline"  # not re-encoded


async def test_other_codecs_are_reencoded_even_when_small(media, clips, tmp_path):
    path = await media.fit_to_size(clips["webm"], tmp_path / "webm.mp4", 10_000_000)
    assert (await media.probe(path)).is_h264_mp4


async def test_hopeless_limit_raises_and_leaves_nothing(media, clips, tmp_path):
    dest = tmp_path / "tiny.mp4"
    with pytest.raises(OutputTooLarge):
        await media.fit_to_size(clips["two"], dest, 9_000)
    assert not dest.exists()


async def test_an_overshoot_is_corrected_by_a_second_encode(media, clips, tmp_path, monkeypatch):
    monkeypatch.setattr(fit, "SAFETY", 1.6)  # plan 60 % over budget so the first encode must overshoot
    result = await media.fit_to_size_detailed(clips["two"], tmp_path / "retry.mp4", 100_000)
    assert result.attempts == 2 and result.size_bytes <= 100_000


def info(duration: float, width: int = 1280, height: int = 720, audio: bool = True) -> MediaInfo:
    return MediaInfo(duration, width, height, "h264", "yuv420p", 24.0, audio, 50_000_000, "mov,mp4")


def test_plan_keeps_the_size_when_the_budget_allows():
    plan = plan_encode(info(10), 10 * 1024 * 1024)
    assert (plan.width, plan.height) == (1280, 720) and plan.audio_bps == 128_000
    assert 7_000_000 < plan.video_bps < 8_400_000


@pytest.mark.parametrize("seconds", [2, 5.3, 10, 60])
@pytest.mark.parametrize("limit", [1024 * 1024, 10 * 1024 * 1024])
def test_plan_asks_for_the_whole_budget_and_no_more(seconds: float, limit: int) -> None:
    """The nominal rates spend the budget after the index (AAC counted 5 % over its rate) and never more: the
    encoder's undershoot, not a margin, is what leaves room, and an overshoot is redone."""
    clip = info(seconds)
    plan = plan_encode(clip, limit)
    planned = (plan.video_bps + plan.audio_bps * 1.05) * seconds / 8 + fit.container_overhead(clip)
    assert 0.995 * limit <= planned <= limit


def test_plan_scales_down_for_a_thin_budget():
    plan = plan_encode(info(10), 1024 * 1024)
    assert plan.width < 1280 and plan.width % 2 == 0 and plan.height % 2 == 0
    assert plan.width / plan.height == pytest.approx(16 / 9, rel=0.02)
    assert plan.audio_bps < 128_000


def test_plan_refuses_the_impossible():
    with pytest.raises(OutputTooLarge, match="cannot be made smaller"):
        plan_encode(info(600), 1024 * 1024)


def test_a_retry_aims_below_both_the_rate_asked_and_the_rate_delivered():
    """After an overshoot the second encode's rate is scaled down from the lesser of what was asked and what
    x264 delivered: asked far too much, it may deliver less, and comes closer to the request at a lower rate."""
    clip, limit = info(10), 10 * 1024 * 1024
    plan = plan_encode(clip, limit)
    over = int(limit * 1.1)  # the first encode's size
    overhead = fit.container_overhead(clip)
    delivered = (over - overhead) * 8 / 10 - plan.audio_bps * 1.05
    fill = delivered * (limit - overhead) / (over - overhead)  # the rate that just fits, were it delivered exactly
    for asked in (delivered * 0.9, delivered, delivered * 1.5):  # x264 overspent, kept to it, delivered less
        retry = fit.retry_rate(clip, replace(plan, video_bps=int(asked)), over, limit)
        assert retry <= 0.96 * min(asked, delivered) * fill / delivered
    assert fit.retry_rate(clip, replace(plan, video_bps=int(delivered * 1.5)), over, limit) <= 0.96 * fill
