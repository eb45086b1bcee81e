"""Model run times learned per model (storage.timings), on both backends."""

import asyncio

import pytest

from storage.timings import CLIP, FIRST_SPREAD, GAIN, SPREAD_GAIN


async def test_a_model_without_finished_jobs_has_no_estimate(storage):
    assert await storage.timings.get("luma:ray-2") is None
    assert await storage.timings.all() == []


async def test_the_first_sample_is_the_estimate_and_later_ones_move_it_by_the_gain(storage):
    first = await storage.timings.record("luma:ray-2", 8.0, now=100.0)
    assert (first.samples, first.mean_seconds, first.last_seconds, first.updated_at) == (1, 8.0, 8.0, 100.0)
    assert first.spread_seconds == pytest.approx(8.0 * FIRST_SPREAD)

    second = await storage.timings.record("luma:ray-2", 10.0, now=101.0)
    assert second.samples == 2 and second.last_seconds == 10.0
    assert second.mean_seconds == pytest.approx(9.0)  # the first samples are averaged
    assert second.spread_seconds == pytest.approx(2.0 + SPREAD_GAIN * (2.0 - 2.0))
    third = await storage.timings.record("luma:ray-2", 12.0, now=102.0)
    assert third.mean_seconds == pytest.approx(10.0)
    for n in range(3):
        steady = await storage.timings.record("luma:ray-2", 10.0, now=103.0 + n)
    fifth = await storage.timings.record("luma:ray-2", 11.0, now=110.0)  # from here on the gain is GAIN
    assert fifth.mean_seconds == pytest.approx(steady.mean_seconds + GAIN * (11.0 - steady.mean_seconds))


async def test_steady_run_times_converge_and_the_spread_shrinks(storage):
    await storage.timings.record("runway:gen4_turbo", 30.0, now=1.0)
    for n in range(30):
        timing = await storage.timings.record("runway:gen4_turbo", 12.0 + (0.2 if n % 2 else -0.2), now=2.0 + n)
    assert timing.mean_seconds == pytest.approx(12.0, abs=0.3)
    assert timing.spread_seconds < 0.5
    assert timing.samples == 31


async def test_one_outlier_is_clipped(storage):
    for n in range(10):
        timing = await storage.timings.record("fal:kling", 20.0 + n % 2, now=float(n))
    mean, spread = timing.mean_seconds, timing.spread_seconds
    after = await storage.timings.record("fal:kling", 900.0, now=11.0)  # an hour-long provider queue
    assert after.last_seconds == 900.0
    assert after.mean_seconds == pytest.approx(mean + GAIN * CLIP * spread)
    assert after.mean_seconds < 30.0


async def test_models_are_kept_apart_and_listed_by_name(storage):
    await storage.timings.record("replicate:minimax", 60.0, now=1.0)
    await storage.timings.record("luma:ray-2", 8.0, now=2.0)
    assert [t.model for t in await storage.timings.all()] == ["luma:ray-2", "replicate:minimax"]
    assert (await storage.timings.get("luma:ray-2")).mean_seconds == 8.0


async def test_samples_recorded_at_once_all_count(storage):
    await asyncio.gather(*(storage.timings.record("luma:ray-2", 8.0, now=float(n)) for n in range(12)))
    timing = await storage.timings.get("luma:ray-2")
    assert timing.samples == 12 and timing.mean_seconds == pytest.approx(8.0)
