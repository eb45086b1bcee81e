"""LumaProvider with the real ``lumaai`` SDK against the loopback Luma emulator."""

from __future__ import annotations

import pytest

from bot.errors import InvalidOption, ProviderRejected, SubmitUncertain
from bot.providers.base import Capability
from emulators.providers import Script
from tests.support.providers import PUBLISHED, ROW, drive, is_mp4, provider_fixture

LUMA = ROW["luma"]  # its row of the providers' table; the shared contract: test_provider_contract.py
make, req = LUMA.make, LUMA.req
luma = provider_fixture("luma")


def task(emulator, task_id: str):
    return emulator.luma.tasks[task_id]


async def test_text_to_video(luma, emulator, tmp_path):
    task_id, _, path = await drive(luma, req(duration=9, model="luma:ray-flash-2"), tmp_path / "o.mp4")
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


async def test_upscale_asks_luma_for_its_own_generation_in_its_own_terms(luma, emulator, tmp_path):
    source_id, _, _ = await drive(luma, req(model="luma:ray-2"), tmp_path / "draft.mp4")
    draft = tmp_path / "draft.mp4"
    assert "luma:upscale" in {m.name for m in luma.models()}
    extra = {"width": "3840", "height": "2160", "fps": "24", "source_task_id": source_id}
    request = req(model="luma:upscale", prompt="", video=draft, extra=extra)
    task_id, _, path = await drive(luma, request, tmp_path / "o.mp4")  # the emulator holds it to the SDK's types
    upscale = task(emulator, task_id)
    assert upscale.endpoint == "upscale" and upscale.extra["source"] == source_id
    assert upscale.body["generation_type"] == "upscale_video" and upscale.body["resolution"] == "4k"
    assert upscale.body["callback_url"] == luma.marker(request)
    assert emulator.luma.creates == {"generations": 1, "upscale": 1} and is_mp4(path)


async def test_upscale_without_the_generation_is_refused_before_any_call(luma, emulator, tmp_path):
    request = req(model="luma:upscale", prompt="", video=tmp_path / "x.mp4", extra={"width": "1920", "height": "1080"})
    with pytest.raises(InvalidOption, match="Luma made"):
        await luma.submit(request)
    assert emulator.luma.creates == {}
