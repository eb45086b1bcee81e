"""RunwayProvider with the real ``runwayml`` SDK against the loopback Runway emulator."""

from __future__ import annotations

import pytest

from bot.errors import InvalidOption, ProviderTaskFailed, ProviderUnavailable
from bot.providers.base import Capability, TaskState
from emulators.providers import Fault, Script
from tests.support.providers import ROW, drive, is_mp4, only_task, provider_fixture, run_task

RUNWAY = ROW["runway"]  # its row of the providers' table; the shared contract: test_provider_contract.py
make, req = RUNWAY.make, RUNWAY.req
runway = provider_fixture("runway")


async def test_models_offered(runway):  # the rest of the contract: test_provider_contract.py
    names = {m.name: m for m in runway.models()}
    assert set(names) == {"runway:gen4.5", "runway:gen4_turbo", "runway:veo3.1", "runway:aleph2"} | {
        "runway:seedance2",
        "runway:seedance2_fast",
        "runway:klingo3_pro",
        "runway:klingo3_standard",
        "runway:kling_4",
        "runway:wan3",
        "runway:hailuo3",
    } | {"runway:magnific-upscale", "runway:frame-rate"} | {  # the reference models (a server's cast), the finishes
        "runway:veo3.1_fast",  # the native-audio models (issue 19) and the two sound models
        "runway:kling3.0_pro",
        "runway:mirelo-sfx",
        "runway:eleven-sfx",
    }
    assert all(names[m].can(Capability.REFERENCES) for m in ("runway:seedance2", "runway:klingo3_pro"))
    assert {n for n, m in names.items() if m.can(Capability.SOUND)} == {
        "runway:veo3.1",
        "runway:veo3.1_fast",
        "runway:kling3.0_pro",
        "runway:seedance2",
        "runway:wan3",
    }
    assert names["runway:aleph2"].can(Capability.VIDEO_TO_VIDEO)
    assert names["runway:gen4.5"].deadline_seconds == 900


async def test_text_to_video_runs_to_a_real_mp4(runway, emulator, tmp_path):
    task_id, seen, path = await drive(runway, req(seed=42, aspect="9:16", duration=3), tmp_path / "out.mp4")
    assert seen[1].progress is not None and seen[2].progress is not None and 0 < seen[1].progress < seen[2].progress < 1
    assert is_mp4(path) and path.read_bytes() == await emulator.runway.videos.clip(3)
    body = only_task(emulator.runway).body
    assert body == {
        "model": "gen4.5",
        "promptText": "a red fox runs through snow",
        "ratio": "720:1280",
        "duration": 3,
        "seed": 42,
    }
    assert emulator.runway.creates == {"text_to_video": 1}
    assert task_id == only_task(emulator.runway).id


async def test_throttled_task_reads_as_pending(runway, emulator):
    emulator.runway.script_next(Script(queued=1, throttled=2, running=1))
    task_id = await runway.submit(req())
    _, seen = await run_task(runway, task_id)
    assert [s.state for s in seen[:3]] == [TaskState.PENDING] * 3


async def test_small_image_goes_as_data_uri(runway, emulator, png_image, tmp_path):
    await drive(runway, req("runway:gen4_turbo", image=png_image, aspect="1:1", duration=10), tmp_path / "o.mp4")
    body = only_task(emulator.runway).body
    assert body["promptImage"].startswith("data:image/png;base64,")
    assert body["ratio"] == "960:960" and body["duration"] == 10
    assert emulator.runway.uploads == 0 and emulator.runway.creates == {"image_to_video": 1}


async def test_large_image_goes_through_uploads(emulator, png_image, tmp_path):
    provider = make(emulator, data_uri_max_bytes=0)
    try:
        await drive(provider, req(image=png_image, aspect="21:9"), tmp_path / "o.mp4")
    finally:
        await provider.aclose()
    uri = only_task(emulator.runway).body["promptImage"]
    assert uri.startswith("runway://") and emulator.runway.uploaded[uri] == png_image.read_bytes()
    assert emulator.runway.uploads == 1 and only_task(emulator.runway).body["ratio"] == "1584:672"


async def test_first_and_last_frame_with_veo(runway, emulator, png_image, tmp_path):
    end = tmp_path / "end.png"
    end.write_bytes(png_image.read_bytes())
    await drive(runway, req("runway:veo3.1", image=png_image, end_image=end, duration=4), tmp_path / "o.mp4")
    frames = only_task(emulator.runway).body["promptImage"]
    assert [f["position"] for f in frames] == ["first", "last"]
    assert only_task(emulator.runway).body["audio"] is False


async def test_video_to_video_uploads_the_source(runway, emulator, tmp_path):
    source = tmp_path / "source.mp4"
    source.write_bytes(await emulator.runway.videos.clip(2))
    _, _, path = await drive(runway, req("runway:aleph2", video=source, duration=2), tmp_path / "o.mp4")
    body = only_task(emulator.runway).body
    assert body["videoUri"].startswith("runway://") and emulator.runway.uploads == 1
    assert emulator.runway.creates == {"video_to_video": 1} and is_mp4(path)


async def test_mode_limits_are_checked_before_any_create(runway, emulator, png_image):
    with pytest.raises(InvalidOption, match="16:9"):
        await runway.submit(req(aspect="1:1"))  # gen4.5 text-to-video: 16:9 and 9:16 only
    with pytest.raises(InvalidOption):
        await runway.submit(req("runway:gen4_turbo"))  # image only
    with pytest.raises(InvalidOption):
        await runway.submit(req(duration=11))
    assert emulator.runway.create_count == 0


async def test_failure_codes_map_to_messages(runway, emulator):
    emulator.runway.script_next(
        Script(outcome="fail", failure="Prompt flagged", failure_code="SAFETY.INPUT.TEXT"),
        Script(outcome="fail", failure="bad output", failure_code="INTERNAL.BAD_OUTPUT.CODE01"),
    )
    flagged, _ = await run_task(runway, await runway.submit(req()))
    assert "prompt" in (flagged.error or "") and (flagged.error_code or "").startswith("SAFETY.INPUT.TEXT")
    internal, _ = await run_task(runway, await runway.submit(req(job_id=2)))
    assert internal.state is TaskState.FAILED and "try again" in (internal.error or "")


async def test_dropped_connection_is_retried_once_by_the_sdk(runway, emulator):
    task_id = await runway.submit(req())
    emulator.runway.fail_polls(Fault(kind="reset"))
    assert (await runway.poll(task_id)).state is TaskState.PENDING
    emulator.runway.fail_polls(Fault(kind="reset"), Fault(kind="reset"))
    with pytest.raises(ProviderUnavailable):
        await runway.poll(task_id)


async def test_slow_poll_is_cut_by_its_deadline(emulator):
    provider = make(emulator, poll_deadline=0.3, poll_retries=0)
    try:
        task_id = await provider.submit(req())
        emulator.runway.fail_polls(Fault(kind="hang", seconds=2))
        with pytest.raises(ProviderUnavailable):
            await provider.poll(task_id)
    finally:
        await provider.aclose()


async def test_cancelling_a_finished_task_deletes_it(runway, emulator):
    emulator.runway.script_next(Script(outcome="hang"))
    task_id = await runway.submit(req())
    await runway.cancel(task_id)
    assert (await runway.poll(task_id)).state is TaskState.CANCELLED
    await runway.cancel(task_id)  # a finished task: deleted
    await runway.cancel(task_id)  # already gone: fine
    with pytest.raises(ProviderTaskFailed):
        await runway.poll(task_id)


async def test_expired_link_is_refreshed(runway, emulator, tmp_path):
    emulator.runway.script_next(Script(output="expire_first"))
    task_id = await runway.submit(req())
    final, _ = await run_task(runway, task_id)
    path = await runway.fetch_result(task_id, final, tmp_path / "o.mp4", 50_000_000)
    assert is_mp4(path)


@pytest.mark.parametrize(
    ("model", "size", "fps", "asked"),
    [
        ("runway:magnific-upscale", ("1920", "1080"), "24", {"resolution": "1k"}),  # 1080p is Runway's "1k"
        ("runway:magnific-upscale", ("3840", "2160"), "24", {"resolution": "4k"}),
        ("runway:frame-rate", ("1280", "720"), "60", {"targetFramerate": "60"}),  # the rate as a string
    ],
)
async def test_finishing_models_ask_video_upscale_in_runways_terms(runway, emulator, tmp_path, model, size, fps, asked):
    source = tmp_path / "draft.mp4"
    source.write_bytes(await emulator.runway.videos.clip(2))
    extra = {"width": size[0], "height": size[1], "fps": fps}
    request = req(model, prompt="", video=source, duration=2, extra=extra)
    _, _, path = await drive(runway, request, tmp_path / "o.mp4")  # the emulator refuses a body the SDK's types do
    body = only_task(emulator.runway).body
    assert body == {"model": model_ids[model], "videoUri": body["videoUri"], **asked}
    assert body["videoUri"].startswith("runway://") and emulator.runway.creates == {"video_upscale": 1}
    assert is_mp4(path)


model_ids = {"runway:magnific-upscale": "magnific_video_upscaler_creative", "runway:frame-rate": "enhance_frame_rate"}
