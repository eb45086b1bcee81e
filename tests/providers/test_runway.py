"""RunwayProvider with the real ``runwayml`` SDK against the loopback Runway emulator."""

from __future__ import annotations

import pytest

from bot.errors import (
    InvalidOption,
    OutputTooLarge,
    ProviderAuthError,
    ProviderRejected,
    ProviderTaskFailed,
    ProviderUnavailable,
    RateLimited,
    SubmitUncertain,
)
from bot.providers.base import Capability, GenerationRequest, TaskState, VideoProvider
from bot.providers.runway import RunwayProvider
from emulators.providers import Fault, Script
from tests.support.providers import assert_secret_free, drive, is_mp4, run_task


def make(emulator, **kw) -> RunwayProvider:
    opts = {"timeout": 5.0, "create_timeout": 5.0, "poll_deadline": 5.0, **kw}
    return RunwayProvider(emulator.runway.api_key, emulator.runway_url, **opts)


@pytest.fixture
async def runway(emulator):
    provider = make(emulator)
    yield provider
    await provider.aclose()


def req(model: str = "runway:gen4.5", **kw) -> GenerationRequest:
    values = {"job_id": 1, "model": model, "prompt": "a red fox runs through snow", "duration": 5, "aspect": "16:9"}
    return GenerationRequest(**{**values, **kw})


def only_task(emulator):
    (task,) = emulator.runway.tasks.values()
    return task


async def test_is_a_video_provider_with_catalogue_models(runway):
    assert isinstance(runway, VideoProvider)
    names = {m.name: m for m in runway.models()}
    assert set(names) == {"runway:gen4.5", "runway:gen4_turbo", "runway:veo3.1", "runway:aleph2"}
    assert names["runway:aleph2"].can(Capability.VIDEO_TO_VIDEO)
    assert names["runway:gen4.5"].deadline_seconds == 900


async def test_text_to_video_runs_to_a_real_mp4(runway, emulator, tmp_path):
    task_id, seen, path = await drive(runway, req(seed=42, aspect="9:16", duration=3), tmp_path / "out.mp4")
    assert [s.state for s in seen] == [TaskState.PENDING, TaskState.RUNNING, TaskState.RUNNING, TaskState.SUCCEEDED]
    assert seen[1].progress is not None and seen[2].progress is not None and 0 < seen[1].progress < seen[2].progress < 1
    assert is_mp4(path) and path.read_bytes() == await emulator.runway.videos.clip(3)
    body = only_task(emulator).body
    assert body == {
        "model": "gen4.5", "promptText": "a red fox runs through snow", "ratio": "720:1280", "duration": 3, "seed": 42,
    }  # fmt: skip
    assert emulator.runway.creates == {"text_to_video": 1}
    assert task_id == only_task(emulator).id


async def test_throttled_task_reads_as_pending(runway, emulator):
    emulator.runway.script_next(Script(queued=1, throttled=2, running=1))
    task_id = await runway.submit(req())
    _, seen = await run_task(runway, task_id)
    assert [s.state for s in seen[:3]] == [TaskState.PENDING] * 3


async def test_small_image_goes_as_data_uri(runway, emulator, png_image, tmp_path):
    await drive(runway, req("runway:gen4_turbo", image=png_image, aspect="1:1", duration=10), tmp_path / "o.mp4")
    body = only_task(emulator).body
    assert body["promptImage"].startswith("data:image/png;base64,")
    assert body["ratio"] == "960:960" and body["duration"] == 10
    assert emulator.runway.uploads == 0 and emulator.runway.creates == {"image_to_video": 1}


async def test_large_image_goes_through_uploads(emulator, png_image, tmp_path):
    provider = make(emulator, data_uri_max_bytes=0)
    try:
        await drive(provider, req(image=png_image, aspect="21:9"), tmp_path / "o.mp4")
    finally:
        await provider.aclose()
    uri = only_task(emulator).body["promptImage"]
    assert uri.startswith("runway://") and emulator.runway.uploaded[uri] == png_image.read_bytes()
    assert emulator.runway.uploads == 1 and only_task(emulator).body["ratio"] == "1584:672"


async def test_first_and_last_frame_with_veo(runway, emulator, png_image, tmp_path):
    end = tmp_path / "end.png"
    end.write_bytes(png_image.read_bytes())
    await drive(runway, req("runway:veo3.1", image=png_image, end_image=end, duration=4), tmp_path / "o.mp4")
    frames = only_task(emulator).body["promptImage"]
    assert [f["position"] for f in frames] == ["first", "last"]
    assert only_task(emulator).body["audio"] is False


async def test_video_to_video_uploads_the_source(runway, emulator, tmp_path):
    source = tmp_path / "source.mp4"
    source.write_bytes(await emulator.runway.videos.clip(2))
    _, _, path = await drive(runway, req("runway:aleph2", video=source, duration=2), tmp_path / "o.mp4")
    body = only_task(emulator).body
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


async def test_failed_task_maps_failure_code(runway, emulator):
    emulator.runway.script_next(Script(outcome="fail", failure="Prompt flagged", failure_code="SAFETY.INPUT.TEXT"))
    final, _ = await run_task(runway, await runway.submit(req()))
    assert final.state is TaskState.FAILED
    assert "moderation" in (final.error or "") and "prompt" in (final.error or "")
    assert final.error_code and final.error_code.startswith("SAFETY.INPUT.TEXT")


async def test_internal_failure_suggests_retry(runway, emulator):
    emulator.runway.script_next(Script(outcome="fail", failure="bad output", failure_code="INTERNAL.BAD_OUTPUT.CODE01"))
    final, _ = await run_task(runway, await runway.submit(req()))
    assert final.state is TaskState.FAILED and "try again" in (final.error or "")


async def test_moderation_refusal_on_create(runway, emulator):
    emulator.runway.script_next(Script(refuse="Your prompt was flagged by our content moderation system."))
    with pytest.raises(ProviderRejected) as info:
        await runway.submit(req())
    assert "moderation" in info.value.user_message and not info.value.retryable
    assert emulator.runway.create_count == 1 and not emulator.runway.tasks


async def test_rate_limit_and_server_errors_while_polling(runway, emulator):
    task_id = await runway.submit(req())
    emulator.runway.fail_polls(Fault(429, retry_after="7"), Fault(429), Fault(503), Fault(502))
    with pytest.raises(RateLimited) as limited:
        await runway.poll(task_id)
    assert limited.value.retry_after == 7.0 and limited.value.retryable
    with pytest.raises(RateLimited) as limited:
        await runway.poll(task_id)
    assert limited.value.retry_after is None
    for _ in range(2):
        with pytest.raises(ProviderUnavailable) as down:
            await runway.poll(task_id)
        assert down.value.retryable
    gets = [r for r in emulator.runway.requests if r[0] == "GET"]
    assert len(gets) == 4  # one request per poll: the SDK did not retry them itself
    final, _ = await run_task(runway, task_id)
    assert final.state is TaskState.SUCCEEDED


async def test_dropped_connection_is_retried_once_by_the_sdk(runway, emulator):
    task_id = await runway.submit(req())
    emulator.runway.fail_polls(Fault(kind="reset"))
    assert (await runway.poll(task_id)).state is TaskState.PENDING
    emulator.runway.fail_polls(Fault(kind="reset"), Fault(kind="reset"))
    with pytest.raises(ProviderUnavailable):
        await runway.poll(task_id)


async def test_malformed_json_on_poll(runway, emulator):
    task_id = await runway.submit(req())
    emulator.runway.fail_polls(Fault(kind="malformed"))
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


async def test_never_finishing_task_keeps_running(runway, emulator):
    emulator.runway.script_next(Script(outcome="hang"))
    task_id = await runway.submit(req())
    states = [(await runway.poll(task_id)).state for _ in range(25)]
    assert states[0] is TaskState.PENDING and set(states[1:]) == {TaskState.RUNNING}
    assert {m.name: m for m in runway.models()}["runway:gen4.5"].deadline_seconds == 900


async def test_cancel_deletes_the_task_and_is_idempotent(runway, emulator):
    emulator.runway.script_next(Script(outcome="hang"))
    task_id = await runway.submit(req())
    await runway.poll(task_id)
    await runway.cancel(task_id)
    assert (await runway.poll(task_id)).state is TaskState.CANCELLED
    await runway.cancel(task_id)  # a finished task: deleted
    await runway.cancel(task_id)  # already gone: fine
    with pytest.raises(ProviderTaskFailed):
        await runway.poll(task_id)


async def test_create_timeout_is_uncertain_and_never_resent(runway, emulator):
    emulator.runway.script_next(Script(hang_create=30.0))
    with pytest.raises(SubmitUncertain) as info:
        await runway.submit(req())
    assert not info.value.retryable and info.value.provider == "runway"
    assert emulator.runway.create_count == 1 and len(emulator.runway.tasks) == 1  # made once, id unknown
    with pytest.raises(SubmitUncertain):  # Runway cannot list tasks: "not found" would invite a resubmit
        await runway.find_task(req())


async def test_create_errors(runway, emulator):
    emulator.runway.fail_creates(Fault(503), Fault(502), Fault(429, retry_after="30"))
    with pytest.raises(ProviderUnavailable) as down:
        await runway.submit(req())  # shed load: nothing was made, trying later is safe
    assert type(down.value) is ProviderUnavailable
    with pytest.raises(SubmitUncertain):
        await runway.submit(req())  # a gateway error: the task may exist
    with pytest.raises(RateLimited) as limited:
        await runway.submit(req())
    assert limited.value.retry_after == 30
    assert emulator.runway.create_count == 3


async def test_unreachable_server_is_unavailable_not_uncertain(emulator):
    await emulator.stop()
    provider = make(emulator)
    try:
        with pytest.raises(ProviderUnavailable) as info:
            await provider.submit(req())
        assert type(info.value) is ProviderUnavailable
    finally:
        await provider.aclose()


@pytest.mark.parametrize(
    ("output", "error"),
    [("404", ProviderTaskFailed), ("html", ProviderTaskFailed), ("text", ProviderTaskFailed),
     ("truncated", ProviderUnavailable)],
)  # fmt: skip
async def test_bad_outputs(runway, emulator, tmp_path, output, error):
    emulator.runway.script_next(Script(output=output))
    task_id = await runway.submit(req())
    final, _ = await run_task(runway, task_id)
    with pytest.raises(error):
        await runway.fetch_result(task_id, final, tmp_path / "o.mp4", 50_000_000)
    assert not (tmp_path / "o.mp4").exists() and not list(tmp_path.glob(".*part"))


async def test_oversized_output(runway, emulator, tmp_path):
    task_id = await runway.submit(req())
    final, _ = await run_task(runway, task_id)
    with pytest.raises(OutputTooLarge):
        await runway.fetch_result(task_id, final, tmp_path / "o.mp4", 1000)


async def test_expired_link_is_refreshed(runway, emulator, tmp_path):
    emulator.runway.script_next(Script(output="expire_first"))
    task_id = await runway.submit(req())
    final, _ = await run_task(runway, task_id)
    path = await runway.fetch_result(task_id, final, tmp_path / "o.mp4", 50_000_000)
    assert is_mp4(path)


async def test_a_new_provider_resumes_polling_after_a_restart(emulator, tmp_path):
    first = make(emulator)
    task_id = await first.submit(req())
    assert (await first.poll(task_id)).state is TaskState.PENDING
    await first.aclose()  # the bot stops; the task id was persisted
    second = make(emulator)
    try:
        final, _ = await run_task(second, task_id)
        assert is_mp4(await second.fetch_result(task_id, final, tmp_path / "o.mp4", 50_000_000))
    finally:
        await second.aclose()
    assert emulator.runway.create_count == 1


async def test_wrong_key_is_an_auth_error_without_the_key(emulator):
    secret = "key_wrong_SECRET_9f8e7d"
    provider = RunwayProvider(secret, emulator.runway_url, create_timeout=5)
    try:
        with pytest.raises(ProviderAuthError) as info:
            await provider.submit(req())
        assert_secret_free(info.value, secret)
        with pytest.raises(ProviderAuthError) as info:
            await provider.poll("whatever")
        assert_secret_free(info.value, secret)
    finally:
        await provider.aclose()


async def test_key_echoed_by_the_server_is_redacted(runway, emulator):
    key = emulator.runway.api_key
    task_id = await runway.submit(req())
    emulator.runway.fail_polls(Fault(500, body={"error": f"crash while handling Bearer {key}"}))
    with pytest.raises(ProviderUnavailable) as info:
        await runway.poll(task_id)
    assert_secret_free(info.value, key)
    emulator.runway.fail_creates(Fault(400, body={"error": f"bad request for {key}"}))
    with pytest.raises(ProviderRejected) as rejected:
        await runway.submit(req())
    assert_secret_free(rejected.value, key)
