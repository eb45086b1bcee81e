"""The ComfyUI provider against the emulated ComfyUI (real HTTP and websocket over loopback, real ffmpeg).

Text and image to video through both templates (the seed, size and uploaded image reach their nodes), progress and
the place in line, cancel while queued and while running (only that prompt), a restart that finds the prompt
instead of posting it again, an execution error, node errors, the cost from the history's timestamps, and a pool
of two servers (least busy first; a server that dies and comes back empty: the job moves, and runs once)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from bot.errors import ProviderAuthError, ProviderRejected, ProviderUnavailable
from bot.media import Media
from bot.providers.base import TaskState
from emulators.comfyui import ComfyEmulator
from tests.support.cancel import SwallowedCancel
from tests.support.comfyui import comfy_provider, poll_until, request

pytestmark = pytest.mark.timeout(300)


def terminal(status):
    return status.state.terminal


@pytest.fixture
async def second_emulator(tmp_path):
    emu = await ComfyEmulator(tmp_path / "second").start()
    yield emu
    await emu.stop()


@pytest.fixture
async def provider(tmp_path, comfyui_emulator):
    made = comfy_provider(tmp_path / "work", comfyui_emulator)
    yield made
    await made.aclose()


@pytest.mark.parametrize(
    ("model", "nodes"),
    [
        ("comfyui:wan2.2-ti2v", {"seed": ("3", "seed"), "size": "55", "image": "56", "out": ".mp4"}),
        ("comfyui:ltx-video", {"seed": ("72", "noise_seed"), "size": "70", "image": "78", "out": ".webp"}),
    ],
)
async def test_text_to_video_through_a_template(provider, comfyui_emulator, tmp_path, model, nodes):
    task_id = await provider.submit(request(1, model, seed=1234, aspect="9:16", negative_prompt="blurry"))
    status = await poll_until(provider, task_id, terminal)
    assert status.state is TaskState.SUCCEEDED and status.output_url.split("&")[0].endswith(nodes["out"])
    graph = comfyui_emulator.posted[0]["prompt"]
    node, name = nodes["seed"]
    assert graph[node]["inputs"][name] == 1234
    width, height = provider.workflow(model).sizes["9:16"]
    assert (graph[nodes["size"]]["inputs"]["width"], graph[nodes["size"]]["inputs"]["height"]) == (width, height)
    assert graph["6"]["inputs"]["text"] == "a red fox runs through fresh snow"
    assert graph["7"]["inputs"]["text"] == "blurry"
    assert nodes["image"] not in graph and "LoadImage" not in {n["class_type"] for n in graph.values()}
    video = await provider.fetch_result(task_id, status, tmp_path / "out.mp4", 50_000_000)
    info = await Media().probe(video)
    assert (info.width, info.height) == (width, height) and info.codec == "h264" and info.duration > 1.5


@pytest.mark.parametrize(("model", "load_image"), [("comfyui:wan2.2-ti2v", "56"), ("comfyui:ltx-video", "78")])
async def test_image_to_video_uploads_the_image_to_load_image(provider, comfyui_emulator, png_image, model, load_image):
    task_id = await provider.submit(request(2, model, image=png_image))
    status = await poll_until(provider, task_id, terminal)
    assert status.state is TaskState.SUCCEEDED
    graph = comfyui_emulator.posted[0]["prompt"]
    name = graph[load_image]["inputs"]["image"]
    assert (comfyui_emulator.dirs["input"] / name).read_bytes() == png_image.read_bytes()
    if model == "comfyui:wan2.2-ti2v":
        assert graph["55"]["inputs"]["start_image"] == [load_image, 0]
    else:
        assert graph["77"]["inputs"]["image"] == [load_image, 0] and "70" not in graph


async def test_progress_and_the_place_in_line(provider, comfyui_emulator):
    comfyui_emulator.hold, comfyui_emulator.hold_at = asyncio.Event(), 12
    first = await provider.submit(request(1))
    running = await poll_until(provider, first, lambda s: s.stage == "sampling 12/30")
    assert running.state is TaskState.RUNNING and 0.3 < running.progress < 0.5
    second = await provider.submit(request(2))
    third = await provider.submit(request(3))
    assert (await provider.poll(second)).queue_position == 1
    status = await provider.poll(third)
    assert status.state is TaskState.PENDING and status.queue_position == 2
    comfyui_emulator.hold_at = 0
    comfyui_emulator.hold.set()
    for task in (first, second, third):
        assert (await poll_until(provider, task, terminal)).state is TaskState.SUCCEEDED


async def test_cancel_deletes_a_queued_prompt_and_interrupts_only_a_running_one(provider, comfyui_emulator):
    emu = comfyui_emulator
    emu.hold = asyncio.Event()
    running = await provider.submit(request(1))
    await poll_until(provider, running, lambda s: s.state is TaskState.RUNNING)
    queued = await provider.submit(request(2))
    behind = await provider.submit(request(3))
    await provider.cancel(queued)
    assert emu.deleted == [queued] and emu.interrupts == []  # a queued prompt is deleted, nothing interrupted
    await provider.cancel(running)
    assert emu.interrupts == [{"prompt_id": running}]
    emu.hold.set()
    assert (await poll_until(provider, running, terminal)).state is TaskState.CANCELLED
    assert (await poll_until(provider, behind, terminal)).state is TaskState.SUCCEEDED  # the others go on
    assert queued not in emu.executions
    await provider.cancel(behind)  # finished: nothing to delete or interrupt
    assert emu.interrupts == [{"prompt_id": running}] and emu.deleted == [queued]


async def test_a_restart_finds_the_prompt_and_never_posts_it_again(tmp_path, comfyui_emulator):
    first = comfy_provider(tmp_path / "work", comfyui_emulator)
    task_id = await first.submit(request(7))
    await first.aclose()  # the process dies here, before the task id reached the database
    again = comfy_provider(tmp_path / "work", comfyui_emulator)
    try:
        assert again.client_id == first.client_id  # progress still reaches this worker
        assert await again.find_task(request(7)) == task_id
        assert await again.submit(request(7)) == task_id
        assert (await poll_until(again, task_id, terminal)).state is TaskState.SUCCEEDED
        assert await again.submit(request(7)) == task_id  # in the history now: still not posted again
    finally:
        await again.aclose()
    assert len(comfyui_emulator.posted) == 1 and comfyui_emulator.executions == [task_id]
    assert await comfy_provider(tmp_path / "other", comfyui_emulator).find_task(request(8)) is None


async def test_an_execution_error_gives_a_short_reason_and_logs_the_node(provider, comfyui_emulator, caplog):
    comfyui_emulator.fail_node = ("3", "CUDA out of memory. Tried to allocate 2.00 GiB\nat line 12 of model.py")
    with caplog.at_level(logging.WARNING, logger="bot.providers.comfyui"):
        task_id = await provider.submit(request(1))
        status = await poll_until(provider, task_id, terminal)
    assert status.state is TaskState.FAILED and status.provider_fault
    assert status.error == "The GPU server failed at its KSampler step: CUDA out of memory. Tried to allocate 2.00 GiB."
    assert "line 12" not in status.error
    assert any("node 3 (KSampler)" in r.getMessage() and "CUDA out of memory" in r.getMessage() for r in caplog.records)


async def test_a_workflow_the_server_cannot_run_is_refused_with_a_hint(provider, comfyui_emulator):
    comfyui_emulator.models["checkpoints"] = []
    with pytest.raises(ProviderRejected) as refused:
        await provider.submit(request(1, "comfyui:ltx-video"))
    assert "videobot comfyui check" in refused.value.user_message
    assert "ckpt_name" in refused.value.detail and comfyui_emulator.executions == []


async def test_the_cost_is_the_execution_time_at_the_owners_rate(tmp_path, comfyui_emulator):
    provider = comfy_provider(tmp_path / "work", comfyui_emulator, usd_per_gpu_second=0.5)
    try:
        task_id = await provider.submit(request(1, "comfyui:ltx-video"))
        status = await poll_until(provider, task_id, terminal)
    finally:
        await provider.aclose()
    messages = dict(comfyui_emulator.history[task_id]["status"]["messages"])
    seconds = (messages["execution_success"]["timestamp"] - messages["execution_start"]["timestamp"]) / 1000
    assert status.cost is not None and status.cost.unit == "gpu_seconds" and status.cost.amount == seconds
    assert status.cost.usd == pytest.approx(seconds * 0.5)


async def test_a_pool_sends_jobs_to_the_least_busy_server(tmp_path, comfyui_emulator, second_emulator):
    for emu in (comfyui_emulator, second_emulator):
        emu.hold = asyncio.Event()
    provider = comfy_provider(tmp_path / "work", comfyui_emulator, second_emulator)
    try:
        first = await provider.submit(request(1))
        second = await provider.submit(request(2))
        assert [b["prompt_id"] for b in comfyui_emulator.posted] == [first]
        assert [b["prompt_id"] for b in second_emulator.posted] == [second]
        for emu in (comfyui_emulator, second_emulator):
            emu.hold.set()
        for task in (first, second):
            assert (await poll_until(provider, task, terminal)).state is TaskState.SUCCEEDED
    finally:
        await provider.aclose()


async def test_a_server_dying_mid_job_moves_the_job_once(tmp_path, comfyui_emulator, second_emulator):
    dying, other = comfyui_emulator, second_emulator
    dying.die_at_step = 5
    provider = comfy_provider(tmp_path / "work", dying, other, breaker_threshold=2)
    try:
        task_id = await provider.submit(request(1))
        assert [b["prompt_id"] for b in dying.posted] == [task_id]
        async with asyncio.timeout(60):
            while not dying.dead:
                await asyncio.sleep(0.02)
        with pytest.raises(ProviderUnavailable):  # the poller waits and polls again
            await provider.poll(task_id)
        await dying.start()  # back, with an empty queue and history
        status = await poll_until(provider, task_id, terminal)
    finally:
        await provider.aclose()
    assert status.state is TaskState.SUCCEEDED
    assert [b["prompt_id"] for b in other.posted] == [task_id]
    assert dying.completed == [] and other.completed == [task_id]


async def test_a_server_refusing_connections_is_skipped_and_its_breaker_opens(
    tmp_path, comfyui_emulator, second_emulator
):
    await comfyui_emulator.die()  # the first server of the pool is down
    provider = comfy_provider(tmp_path / "work", comfyui_emulator, second_emulator, breaker_threshold=1)
    try:
        task_id = await provider.submit(request(1))
        assert [b["prompt_id"] for b in second_emulator.posted] == [task_id]
        assert not provider.servers[0].healthy(provider.clock())  # no new jobs go there for a while
        second = await provider.submit(request(2))
        assert [b["prompt_id"] for b in second_emulator.posted] == [task_id, second]
        assert (await poll_until(provider, second, terminal)).state is TaskState.SUCCEEDED
    finally:
        await provider.aclose()
    await comfyui_emulator.stop()


async def test_a_prompt_saved_on_another_host_is_found_by_its_id(tmp_path, comfyui_emulator, second_emulator):
    first = comfy_provider(tmp_path / "one", second_emulator)
    task_id = await first.submit(request(1, "comfyui:ltx-video"))
    await first.aclose()
    elsewhere = comfy_provider(tmp_path / "two", comfyui_emulator, second_emulator)  # no saved state here
    try:
        assert (await poll_until(elsewhere, task_id, terminal)).state is TaskState.SUCCEEDED
    finally:
        await elsewhere.aclose()
    gone = comfy_provider(tmp_path / "one", comfyui_emulator)  # its server was taken out of COMFYUI_URL
    try:
        status = await gone.poll(task_id)
    finally:
        await gone.aclose()
    assert status.state is TaskState.FAILED and status.error_code == "server_gone"
    assert second_emulator.executions == [task_id] and comfyui_emulator.posted == []


async def test_comfyui_headers_go_with_every_request_and_the_websocket(tmp_path, comfyui_emulator):
    comfyui_emulator.require_headers = {"Authorization": "Bearer gpu-secret"}
    without = comfy_provider(tmp_path / "a", comfyui_emulator)
    try:
        with pytest.raises(ProviderAuthError):
            await without.submit(request(1))
    finally:
        await without.aclose()
    comfyui_emulator.hold, comfyui_emulator.hold_at = asyncio.Event(), 3
    provider = comfy_provider(tmp_path / "b", comfyui_emulator, headers={"Authorization": "Bearer gpu-secret"})
    try:
        task_id = await provider.submit(request(2, image=None))
        await poll_until(provider, task_id, lambda s: s.stage == "sampling 3/30")  # the websocket got in too
        comfyui_emulator.hold.set()
        status = await poll_until(provider, task_id, terminal)
        video = await provider.fetch_result(task_id, status, tmp_path / "out.mp4", 50_000_000)
    finally:
        await provider.aclose()
    assert status.state is TaskState.SUCCEEDED and video.stat().st_size > 0


async def test_aclose_ends_the_websocket_loop_even_when_its_connect_swallows_the_cancel(provider):
    """A cancel swallowed inside the websocket's connect (tests/support/cancel.py): the loop must still end, not
    connect again and listen for ever."""
    session, swallow = await provider._client(), SwallowedCancel()

    class SlowToConnect:  # the real session; its websocket connect waits behind a wait_for first
        @contextlib.asynccontextmanager
        async def ws_connect(self, *args, **kw):
            await swallow.point()
            async with session.ws_connect(*args, **kw) as ws:
                yield ws

    async def client():
        return SlowToConnect()

    provider._client = client
    provider._listen(provider.servers[0])
    await swallow.stop(provider.aclose)
