"""LumaProvider with the real ``lumaai`` SDK against the loopback Luma emulator."""

from __future__ import annotations

from pathlib import Path

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
from bot.providers.luma import LumaProvider
from emulators.providers import Fault, Script
from tests.support.providers import assert_secret_free, drive, is_mp4, run_task

PUBLISHED = "https://media.example.test/"


async def publish(path: Path) -> str:
    """Stands in for the bot's file server: the URL an image would be reachable at."""
    return PUBLISHED + path.name


def make(emulator, **kw) -> LumaProvider:
    opts = {"timeout": 5.0, "create_timeout": 5.0, "poll_deadline": 5.0, "publish_image": publish, **kw}
    return LumaProvider(emulator.luma.api_key, emulator.luma_url, **opts)


@pytest.fixture
async def luma(emulator):
    provider = make(emulator)
    yield provider
    await provider.aclose()


def req(model: str = "luma:ray-2", **kw) -> GenerationRequest:
    values = {"job_id": 3, "model": model, "prompt": "a lighthouse in a storm", "duration": 5, "aspect": "21:9"}
    return GenerationRequest(**{**values, **kw})


def task(emulator, task_id: str):
    return emulator.luma.tasks[task_id]


async def test_text_to_video(luma, emulator, tmp_path):
    task_id, seen, path = await drive(luma, req(duration=9, model="luma:ray-flash-2"), tmp_path / "o.mp4")
    assert isinstance(luma, VideoProvider)
    assert [s.state for s in seen] == [TaskState.PENDING, TaskState.RUNNING, TaskState.RUNNING, TaskState.SUCCEEDED]
    assert is_mp4(path) and path.read_bytes() == await emulator.luma.videos.clip(9)
    body = task(emulator, task_id).body
    assert body["model"] == "ray-flash-2" and body["duration"] == "9s" and body["aspect_ratio"] == "21:9"
    assert body["callback_url"] == luma.marker(req(duration=9, model="luma:ray-flash-2"))
    assert body["callback_url"].startswith("https://videobot.invalid/")
    assert emulator.luma.creates == {"generations": 1}


async def test_image_to_video_and_loop(luma, emulator, png_image, tmp_path):
    task_id, _, _ = await drive(luma, req(image=png_image, loop=True), tmp_path / "o.mp4")
    body = task(emulator, task_id).body
    assert body["keyframes"] == {"frame0": {"type": "image", "url": PUBLISHED + png_image.name}}
    assert body["loop"] is True


async def test_without_a_publisher_images_are_not_offered(emulator, png_image):
    provider = make(emulator, publish_image=None)
    try:
        info = {m.name: m for m in provider.models()}["luma:ray-2"]
        assert not info.can(Capability.IMAGE_TO_VIDEO) and info.can(Capability.EXTEND)
        with pytest.raises(InvalidOption):
            await provider.submit(req(image=png_image))
        assert emulator.luma.create_count == 0
    finally:
        await provider.aclose()


async def test_native_extend(luma, emulator, tmp_path):
    first, _, _ = await drive(luma, req(), tmp_path / "a.mp4")
    second, _, path = await drive(
        luma, req(job_id=4, extend_task_id=first, prompt="the storm clears"), tmp_path / "b.mp4"
    )
    assert task(emulator, second).body["keyframes"] == {"frame0": {"type": "generation", "id": first}}
    assert is_mp4(path)


async def test_extending_an_unfinished_generation_is_refused(luma, emulator):
    emulator.luma.script_next(Script(outcome="hang"))
    first = await luma.submit(req())
    with pytest.raises(ProviderRejected):
        await luma.submit(req(job_id=4, extend_task_id=first))


async def test_interpolate_between_two_images(luma, emulator, png_image, tmp_path):
    end = tmp_path / "end.png"
    end.write_bytes(png_image.read_bytes())
    task_id, _, _ = await drive(luma, req(image=png_image, end_image=end), tmp_path / "o.mp4")
    frames = task(emulator, task_id).body["keyframes"]
    assert frames["frame0"]["url"].endswith("start.png") and frames["frame1"]["url"].endswith("end.png")


async def test_failed_generation_by_moderation(luma, emulator):
    emulator.luma.script_next(Script(outcome="fail", failure="400: Advanced moderation failed"))
    final, _ = await run_task(luma, await luma.submit(req()))
    assert final.state is TaskState.FAILED and "moderation" in (final.error or "")
    assert "Advanced moderation failed" in (final.error_code or "")


async def test_moderation_refusal_on_create(luma, emulator):
    emulator.luma.script_next(Script(refuse="Prompt not allowed because advanced moderation failed"))
    with pytest.raises(ProviderRejected) as info:
        await luma.submit(req())
    assert "moderation" in info.value.user_message and emulator.luma.create_count == 1


async def test_rate_limit_and_errors_while_polling(luma, emulator):
    task_id = await luma.submit(req())
    emulator.luma.fail_polls(Fault(429, retry_after="3"), Fault(429), Fault(500), Fault(kind="malformed"))
    with pytest.raises(RateLimited) as limited:
        await luma.poll(task_id)
    assert limited.value.retry_after == 3.0
    with pytest.raises(RateLimited) as limited:
        await luma.poll(task_id)
    assert limited.value.retry_after is None
    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            await luma.poll(task_id)
    assert len([r for r in emulator.luma.requests if r[0] == "GET"]) == 4
    final, _ = await run_task(luma, task_id)
    assert final.state is TaskState.SUCCEEDED


async def test_never_finishing_generation_keeps_dreaming(luma, emulator):
    emulator.luma.script_next(Script(outcome="hang"))
    task_id = await luma.submit(req())
    states = [(await luma.poll(task_id)).state for _ in range(20)]
    assert set(states[1:]) == {TaskState.RUNNING}
    assert {m.name: m for m in luma.models()}["luma:ray-2"].deadline_seconds == 1200


async def test_cancel_deletes(luma, emulator):
    emulator.luma.script_next(Script(outcome="hang"))
    task_id = await luma.submit(req())
    await luma.cancel(task_id)
    await luma.cancel(task_id)  # gone already: fine
    with pytest.raises(ProviderTaskFailed):
        await luma.poll(task_id)


async def test_create_timeout_is_found_by_its_marker(luma, emulator):
    other = await luma.submit(req(job_id=10))  # the very same request for another job
    emulator.luma.script_next(Script(hang_create=30.0))
    task_id = await luma.submit(req())  # its answer is lost; the generation is found in the listing
    assert task_id != other and emulator.luma.create_count == 2 and len(emulator.luma.tasks) == 2
    assert task(emulator, task_id).body["callback_url"] == luma.marker(req())


async def test_find_task_after_a_restart(emulator):
    first = make(emulator)
    ids = [await first.submit(req(job_id=job)) for job in range(20, 25)]
    await first.aclose()
    second = make(emulator, find_pages=3)
    try:
        assert await second.find_task(req(job_id=22)) == ids[2]
        assert await second.find_task(req(job_id=22, prompt="changed")) is None
        assert await second.find_task(req(job_id=99)) is None
    finally:
        await second.aclose()


async def test_create_timeout_without_marker_is_uncertain(emulator):
    provider = make(emulator, marker_url=None)
    emulator.luma.script_next(Script(hang_create=30.0))
    try:
        with pytest.raises(SubmitUncertain):
            await provider.submit(req())
    finally:
        await provider.aclose()
    assert emulator.luma.create_count == 1 and "callback_url" not in next(iter(emulator.luma.tasks.values())).body


async def test_create_errors_are_not_retried(luma, emulator):
    emulator.luma.fail_creates(Fault(503), Fault(500))
    with pytest.raises(ProviderUnavailable):
        await luma.submit(req())
    with pytest.raises(SubmitUncertain):
        await luma.submit(req())  # a 500 may hide a created generation; none is found here
    assert emulator.luma.create_count == 2


@pytest.mark.parametrize(
    ("output", "error", "cap"),
    [("404", ProviderTaskFailed, 10**8), ("html", ProviderTaskFailed, 10**8), ("ok", OutputTooLarge, 5000),
     ("truncated", ProviderUnavailable, 10**8)],
)  # fmt: skip
async def test_bad_outputs(luma, emulator, tmp_path, output, error, cap):
    emulator.luma.script_next(Script(output=output))
    task_id = await luma.submit(req())
    final, _ = await run_task(luma, task_id)
    with pytest.raises(error):
        await luma.fetch_result(task_id, final, tmp_path / "o.mp4", cap)


async def test_restart_mid_poll(emulator, tmp_path):
    first = make(emulator)
    task_id = await first.submit(req())
    await first.poll(task_id)
    await first.aclose()
    second = make(emulator)
    try:
        final, _ = await run_task(second, task_id)
        assert is_mp4(await second.fetch_result(task_id, final, tmp_path / "o.mp4", 10**8))
    finally:
        await second.aclose()


async def test_wrong_key(emulator):
    secret = "luma-wrong-SECRET-777"
    provider = LumaProvider(secret, emulator.luma_url, create_timeout=5)
    try:
        for call in (provider.submit(req()), provider.poll("x"), provider.find_task(req()), provider.cancel("x")):
            with pytest.raises(ProviderAuthError) as info:
                await call
            assert_secret_free(info.value, secret)
    finally:
        await provider.aclose()


async def test_key_echoed_by_the_server_is_redacted(luma, emulator):
    key = emulator.luma.api_key
    task_id = await luma.submit(req())
    emulator.luma.fail_polls(Fault(503, body={"detail": f"overloaded; key {key}"}))
    with pytest.raises(ProviderUnavailable) as info:
        await luma.poll(task_id)
    assert_secret_free(info.value, key)
    emulator.luma.fail_creates(Fault(400, body={"detail": f"bad request from {key}"}))
    with pytest.raises(ProviderRejected) as rejected:
        await luma.submit(req(job_id=8))
    assert_secret_free(rejected.value, key)
