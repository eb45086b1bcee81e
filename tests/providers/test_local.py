"""The offline provider: real renders, restart-safe task files, idempotent submit, cancel."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PIL import Image

from bot.errors import InvalidMedia, InvalidOption, OutputTooLarge, ProviderTaskFailed
from bot.media import Media
from bot.media.render import output_size
from bot.providers.base import Capability, GenerationRequest, TaskState, TaskStatus, VideoProvider
from bot.providers.local import LocalProvider, request_from_json, request_to_json, task_id_for

SIZES = {
    "16:9": (1280, 720),
    "9:16": (720, 1280),
    "1:1": (960, 960),
    "4:3": (1104, 828),
    "3:4": (828, 1104),
    "21:9": (1280, 548),
}


@pytest.fixture
def media() -> Media:
    return Media(timeout=120)


@pytest.fixture
async def provider(media, tmp_path):
    local = LocalProvider(media, tmp_path / "work", concurrency=2)
    yield local
    await local.aclose()


@pytest.fixture
def picture(tmp_path) -> Path:
    image = Image.new("RGB", (800, 600))
    image.putdata([((x // 3) % 256, (y // 2) % 256, (x + y) % 256) for y in range(600) for x in range(800)])
    path = tmp_path / "upload.png"
    image.save(path)
    return path


def request(job_id: int, model: str = "local:storyboard", **changes) -> GenerationRequest:
    values = {
        "job_id": job_id,
        "model": model,
        "prompt": "A paper boat on a rainy street",
        "duration": 1,
        "aspect": "16:9",
        "seed": 42,
        "camera": "pan_left",
        "style": "cinematic",
    }
    values.update(changes)
    return GenerationRequest(**values)


async def finish(provider: LocalProvider, task_id: str, timeout: float = 60) -> TaskStatus:
    async with asyncio.timeout(timeout):
        while True:
            status = await provider.poll(task_id)
            if status.state.terminal:
                return status
            await asyncio.sleep(0.05)


async def wait_for_state(provider: LocalProvider, task_id: str, state: TaskState) -> TaskStatus:
    async with asyncio.timeout(30):
        while (status := await provider.poll(task_id)).state != state:
            assert not status.state.terminal, status
            await asyncio.sleep(0.02)
    return status


def test_it_is_a_video_provider(media, tmp_path):
    local = LocalProvider(media, tmp_path)
    assert isinstance(local, VideoProvider) and local.name == "local"
    names = {model.name: model for model in local.models()}
    assert set(names) == {
        "local:motion",
        "local:storyboard",
        "local:restyle",
        "local:interpolate",
        "local:edit",
        "local:finish",
    }
    assert names["local:edit"].capabilities == {Capability.EDIT}  # edits only (free of quota: tests/discord/test_edits)
    assert names["local:finish"].capabilities == {Capability.FINISH}  # /finish only (tests/discord/test_finish)
    for model in names.values():
        if model.name in ("local:edit", "local:finish"):
            continue
        assert model.durations == tuple(range(1, 11)) and set(model.aspects) == set(SIZES)


@pytest.mark.parametrize(
    ("model", "aspect", "duration", "camera"),
    [
        ("local:motion", "16:9", 2, "pan_left"),
        ("local:motion", "9:16", 1, None),
        ("local:motion", "3:4", 1, "orbit"),
        ("local:storyboard", "1:1", 1, "crane"),
        ("local:storyboard", "21:9", 2, None),
        ("local:storyboard", "4:3", 1, "handheld"),
    ],
)
async def test_renders_are_exact(provider, media, picture, tmp_path, model, aspect, duration, camera):
    image = picture if model == "local:motion" else None
    job = request(7, model, aspect=aspect, duration=duration, camera=camera, image=image)
    task_id = await provider.submit(job)
    assert task_id == task_id_for(7) == "local-7"
    status = await finish(provider, task_id)
    assert status.state == TaskState.SUCCEEDED and status.progress == 1.0
    assert status.output_url and status.output_url.startswith("file://")
    dest = await provider.fetch_result(task_id, status, tmp_path / "out" / "result.mp4", 50_000_000)
    info = await media.probe(dest, exact=True)
    assert (info.width, info.height) == SIZES[aspect]
    assert info.codec == "h264" and info.pix_fmt == "yuv420p" and info.fps == 24 and not info.has_audio
    assert info.frame_count == 24 * duration and abs(info.duration - duration) <= 0.1


@pytest.mark.parametrize(
    ("model", "aspect", "size"), [("local:storyboard", "16:9", (320, 180)), ("local:motion", "21:9", (320, 136))]
)
async def test_a_scale_shrinks_the_frame_and_nothing_else(media, picture, tmp_path, model, aspect, size):
    # VIDEOBOT_LOCAL_SCALE (the tests run at 0.25): each side times the scale, kept even; frames and rate as ever
    local = LocalProvider(media, tmp_path / "work", scale=0.25)
    try:
        job = request(8, model, aspect=aspect, image=picture if model == "local:motion" else None)
        status = await finish(local, await local.submit(job))
        assert status.state == TaskState.SUCCEEDED, status
        info = await media.probe(
            await local.fetch_result(task_id_for(8), status, tmp_path / "r.mp4", 10**8), exact=True
        )
    finally:
        await local.aclose()
    assert (info.width, info.height) == size and info.fps == 24 and info.frame_count == 24
    assert output_size(aspect) == SIZES[aspect] and output_size(aspect, 1) == SIZES[aspect]  # the default: full size
    with pytest.raises(ValueError):
        output_size(aspect, 0)


async def test_submit_twice_renders_once_and_reports_progress(provider, picture):
    job = request(3, "local:motion", image=picture, duration=4)
    task_id = await provider.submit(job)
    render = provider._renders[task_id].task
    assert await provider.submit(job) == task_id and provider._renders[task_id].task is render
    seen = await wait_for_state(provider, task_id, TaskState.RUNNING)
    progress = [seen.progress]
    while (status := await provider.poll(task_id)).state == TaskState.RUNNING:
        progress.append(status.progress)
        await asyncio.sleep(0.05)
    assert status.state == TaskState.SUCCEEDED
    assert any(0 < p < 1 for p in progress if p is not None) and progress == sorted(progress)
    video = provider.work_dir / f"{task_id}.mp4"
    stamp = video.stat().st_mtime_ns
    assert await provider.submit(job) == task_id  # done already: nothing new starts
    assert provider._renders[task_id].task is render and video.stat().st_mtime_ns == stamp


async def test_a_new_process_resumes_the_stored_task(media, tmp_path):
    work = tmp_path / "work"
    first = LocalProvider(media, work, scale=0.25)  # the size is not the point here (test_renders_are_exact)
    job = request(11, duration=3)
    task_id = await first.submit(job)
    await first.aclose()  # the process stops mid-render: only the stored request remains
    assert not (work / f"{task_id}.mp4").exists()
    (work / f".{task_id}.deadbeef.tmp.mp4").write_bytes(b"half a file")  # what a kill -9 leaves
    (work / ".render-abc").mkdir()
    second = LocalProvider(media, work, scale=0.25)
    try:
        assert sorted(p.name for p in work.iterdir()) == [f"{task_id}.json"]  # the debris is swept
        assert await second.find_task(job) == task_id
        assert (await second.poll(task_id)).state in (TaskState.PENDING, TaskState.RUNNING)
        assert (await finish(second, task_id)).state == TaskState.SUCCEEDED
    finally:
        await second.aclose()
    assert await second.find_task(request(12)) is None


async def test_cancel_stops_and_cleans_up(media, tmp_path):
    work = tmp_path / "work"
    local = LocalProvider(media, work)
    task_id = await local.submit(request(5, duration=10))
    await wait_for_state(local, task_id, TaskState.RUNNING)
    await local.cancel(task_id)
    await local.cancel(task_id)  # idempotent
    assert (await local.poll(task_id)).state == TaskState.CANCELLED
    assert sorted(p.name for p in work.iterdir()) == [f"{task_id}.cancelled", f"{task_id}.json"]
    restarted = LocalProvider(media, work)
    assert (await restarted.poll(task_id)).state == TaskState.CANCELLED  # not resumed
    await local.aclose()


async def test_concurrency_limit_queues_renders(media, tmp_path):
    local = LocalProvider(media, tmp_path / "work", concurrency=1, scale=0.25)  # the size is not the point
    try:
        first, second = await local.submit(request(1, duration=3)), await local.submit(request(2, duration=1))
        await wait_for_state(local, first, TaskState.RUNNING)
        assert (await local.poll(second)).state == TaskState.PENDING
        assert (await finish(local, second)).state == TaskState.SUCCEEDED
    finally:
        await local.aclose()


async def test_a_failed_render_stays_failed(provider, media, tmp_path):
    fake = tmp_path / "fake.png"
    fake.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    task_id = await provider.submit(request(9, "local:motion", image=fake))
    status = await finish(provider, task_id)
    assert status.state == TaskState.FAILED and status.error and "SVG" in status.error
    assert str(tmp_path) not in status.error
    again = LocalProvider(media, provider.work_dir)
    assert (await again.poll(task_id)).state == TaskState.FAILED


async def test_unknown_and_malformed_task_ids(provider):
    for task_id in ("local-404", "../../etc/passwd", "local-1/../../x", ""):
        status = await provider.poll(task_id)
        assert status.state == TaskState.FAILED and status.error_code == "unknown_task"
        await provider.cancel(task_id)
    with pytest.raises(ProviderTaskFailed):
        await provider.fetch_result("local-404", TaskStatus(TaskState.SUCCEEDED), Path("/tmp/x.mp4"), 10)


async def test_requests_are_checked(provider, picture, tmp_path):
    with pytest.raises(InvalidOption, match="attach"):
        await provider.submit(request(1, "local:motion"))
    with pytest.raises(InvalidOption, match="1 to 10"):
        await provider.submit(request(1, duration=11))
    with pytest.raises(InvalidOption, match="aspect"):
        await provider.submit(request(1, aspect="2:1"))
    with pytest.raises(InvalidOption):
        await provider.submit(request(1, "local:nope"))
    with pytest.raises(InvalidMedia):
        await provider.submit(request(1, "local:motion", image=tmp_path / "gone.png"))
    assert list(provider.work_dir.iterdir()) == []


async def test_fetch_respects_the_size_cap(provider, tmp_path):
    task_id = await provider.submit(request(21))
    status = await finish(provider, task_id)
    with pytest.raises(OutputTooLarge):
        await provider.fetch_result(task_id, status, tmp_path / "r.mp4", 1000)
    assert not (tmp_path / "r.mp4").exists()


def test_request_json_round_trip(picture):
    job = request(4, "local:motion", image=picture, extra={"a": "b"}, title="Boat")
    assert request_from_json(request_to_json(job)) == job


async def test_finish_renders_the_asked_size_and_frame_rate(provider, media, tmp_path):
    from tests.support.video import make_clip

    clip = make_clip(tmp_path / "draft.mp4", seconds=1, size="320x180", rate=30)
    extra = {"width": "640", "height": "360", "fps": "60"}
    task = await provider.submit(request(31, "local:finish", prompt="", video=clip, extra=extra))
    status = await finish(provider, task, timeout=120)
    assert status.state is TaskState.SUCCEEDED, status
    out = await provider.fetch_result(task, status, tmp_path / "out.mp4", 10**9)
    info = await media.probe(out)
    assert (info.width, info.height, info.fps) == (640, 360, 60)


async def test_finish_needs_its_clip_and_target(provider, tmp_path):
    with pytest.raises(InvalidOption, match="size and a frame rate"):
        await provider.submit(request(32, "local:finish", prompt="", video=tmp_path / "x.mp4"))
