"""The ComfyUI emulator follows upstream's protocol: a real aiohttp client against it over loopback.

What upstream does (server.py, execution.py; see emulators/comfyui/server.py): a client-chosen prompt id, run again
when posted again; validation against /object_info with node_errors; messages only to the queuing client; the
history written after execution_success with videos under ``images`` and ``animated: [true]``; a pending list in
heap order; delete and a targeted interrupt; real files through /view."""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from emulators.comfyui import ComfyEmulator

pytestmark = pytest.mark.timeout(300)

WORKFLOWS = Path(__file__).resolve().parents[3] / "bot" / "providers" / "workflows"


def wan() -> dict[str, Any]:
    graph = json.loads((WORKFLOWS / "wan2.2-ti2v.json").read_text())
    del graph["56"], graph["55"]["inputs"]["start_image"]  # text to video
    graph["55"]["inputs"].update(width=320, height=192, length=9)
    graph["3"]["inputs"]["steps"] = 4
    return graph


def ltx() -> dict[str, Any]:
    graph = json.loads((WORKFLOWS / "ltx-video.json").read_text())
    graph["70"]["inputs"].update(width=256, height=192, length=9)
    graph["71"]["inputs"]["steps"] = 3
    return graph


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


async def post(http: aiohttp.ClientSession, emu: ComfyEmulator, body: dict[str, Any]) -> tuple[int, Any]:
    async with http.post(f"{emu.url}/prompt", json=body) as resp:
        return resp.status, await resp.json()


async def history(http: aiohttp.ClientSession, emu: ComfyEmulator, prompt_id: str) -> dict[str, Any]:
    async with asyncio.timeout(150):  # real renders on a loaded machine: bounded, not a speed assertion
        while True:
            async with http.get(f"{emu.url}/history/{prompt_id}") as resp:
                data = await resp.json()
            if prompt_id in data:
                return data[prompt_id]
            await asyncio.sleep(0.05)


async def messages(ws: aiohttp.ClientWebSocketResponse, until: str) -> list[dict[str, Any]]:
    seen = []
    async with asyncio.timeout(150):
        async for msg in ws:
            data = json.loads(msg.data)
            seen.append(data)
            if data["type"] == until:
                return seen
    raise AssertionError("the websocket closed")


async def test_a_workflow_runs_with_its_messages_and_a_real_video_in_the_history(comfyui_emulator, http):
    emu = comfyui_emulator
    prompt_id = str(uuid.uuid4())
    async with (
        http.ws_connect(f"{emu.url}/ws?clientId=me") as mine,
        http.ws_connect(f"{emu.url}/ws?clientId=other") as other,
    ):
        first = json.loads((await mine.receive()).data)
        assert first["type"] == "status" and first["data"]["sid"] == "me"
        await other.receive()
        status, answer = await post(http, emu, {"prompt": wan(), "client_id": "me", "prompt_id": prompt_id})
        assert status == 200 and answer["prompt_id"] == prompt_id and answer["node_errors"] == {}
        seen = await messages(mine, "execution_success")
        entry = await history(http, emu, prompt_id)
        others = [m["type"] for m in await messages(other, "status")]
    kinds = [m["type"] for m in seen]
    assert kinds.index("execution_start") < kinds.index("executing") < kinds.index("progress")
    assert kinds.index("progress") < kinds.index("executed") < kinds.index("execution_success")
    progress = [m["data"] for m in seen if m["type"] == "progress"]
    assert [(p["value"], p["max"]) for p in progress] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert "progress" not in others and "execution_start" not in others  # only the queuing client hears them
    assert entry["status"]["status_str"] == "success" and entry["status"]["completed"] is True
    events = [m[0] for m in entry["status"]["messages"]]
    assert events[0] == "execution_start" and events[-1] == "execution_success"
    assert all("timestamp" in m[1] for m in entry["status"]["messages"])
    output = entry["outputs"]["58"]
    assert output["animated"] == [True]
    file = output["images"][0]
    async with http.get(f"{emu.url}/view", params=file) as resp:
        body = await resp.read()
    assert resp.status == 200 and body[4:8] == b"ftyp" and file["filename"].endswith(".mp4")


async def test_an_animated_webp_from_ltx_video(comfyui_emulator, http):
    status, answer = await post(http, comfyui_emulator, {"prompt": ltx(), "client_id": "c"})
    assert status == 200
    entry = await history(http, comfyui_emulator, answer["prompt_id"])
    file = entry["outputs"]["41"]["images"][0]
    async with http.get(f"{comfyui_emulator.url}/view", params=file) as resp:
        body = await resp.read()
    assert body[:4] == b"RIFF" and body[8:12] == b"WEBP" and b"ANIM" in body[:64]
    assert entry["outputs"]["41"]["animated"] == [True]


async def test_the_same_prompt_id_posted_twice_runs_twice(comfyui_emulator, http):
    prompt_id = str(uuid.uuid4())
    for _ in range(2):
        status, _answer = await post(http, comfyui_emulator, {"prompt": ltx(), "prompt_id": prompt_id})
        assert status == 200
    async with asyncio.timeout(150):
        while not (comfyui_emulator.executions.count(prompt_id) == 2 and prompt_id in comfyui_emulator.history):
            await asyncio.sleep(0.05)
    assert comfyui_emulator.executions.count(prompt_id) == 2


async def test_validation_against_object_info_gives_node_errors(comfyui_emulator, http):
    emu = comfyui_emulator
    unknown = wan() | {"99": {"class_type": "WanVaceToVideo", "inputs": {}}}
    status, answer = await post(http, emu, {"prompt": unknown})
    assert status == 400 and answer["error"]["type"] == "missing_node_type"

    missing_model = wan()
    missing_model["37"]["inputs"]["unet_name"] = "wan2.2_ti2v_5B_fp8.safetensors"
    status, answer = await post(http, emu, {"prompt": missing_model})
    assert status == 400 and answer["error"]["type"] == "prompt_outputs_failed_validation"
    errors = answer["node_errors"]["37"]["errors"]
    assert errors[0]["type"] == "value_not_in_list" and answer["node_errors"]["37"]["dependent_outputs"] == ["58"]

    too_small = wan()
    too_small["55"]["inputs"]["width"] = 8
    status, answer = await post(http, emu, {"prompt": too_small})
    assert status == 400 and answer["node_errors"]["55"]["errors"][0]["type"] == "value_smaller_than_min"

    no_output = {k: v for k, v in wan().items() if k != "58"}
    status, answer = await post(http, emu, {"prompt": no_output})
    assert status == 400 and answer["error"]["type"] == "prompt_no_outputs"

    two_outputs = ltx() | {"90": copy.deepcopy(ltx()["41"])}
    two_outputs["90"]["inputs"]["images"] = ["nowhere", 0]
    status, answer = await post(http, emu, {"prompt": two_outputs})
    assert status == 200 and "90" in answer["node_errors"]  # queued, with the failing output left out
    entry = await history(http, emu, answer["prompt_id"])
    assert list(entry["outputs"]) == ["41"]


async def test_pending_is_heap_ordered_and_delete_and_targeted_interrupt(comfyui_emulator, http):
    emu = comfyui_emulator
    emu.hold = asyncio.Event()  # the first prompt runs and waits in its sampler
    ids = [str(uuid.uuid4()) for _ in range(6)]
    for prompt_id in ids:
        await post(http, emu, {"prompt": ltx(), "prompt_id": prompt_id, "client_id": "c"})
    async with asyncio.timeout(60):
        while emu.running is None:
            await asyncio.sleep(0.02)
    async with http.get(f"{emu.url}/queue") as resp:
        queue = await resp.json()
    assert [i[1] for i in queue["queue_running"]] == ids[:1]
    pending = queue["queue_pending"]
    assert sorted(i[1] for i in pending) == sorted(ids[1:])
    assert [i[1] for i in sorted(pending, key=lambda i: i[0])] == ids[1:]

    async with http.post(f"{emu.url}/queue", json={"delete": [ids[3]]}):
        pass
    async with http.post(f"{emu.url}/interrupt", json={"prompt_id": ids[2]}):  # pending: ignored
        pass
    async with http.post(f"{emu.url}/interrupt", json={"prompt_id": ids[0]}):
        pass
    emu.hold.set()
    first = await history(http, emu, ids[0])
    assert first["status"]["status_str"] == "error"
    assert "execution_interrupted" in [m[0] for m in first["status"]["messages"]]
    second = await history(http, emu, ids[2])
    assert second["status"]["status_str"] == "success"
    await history(http, emu, ids[5])
    assert ids[3] not in emu.executions and emu.deleted == [ids[3]]


async def test_an_execution_error_names_the_node_and_exception(comfyui_emulator, http):
    emu = comfyui_emulator
    emu.fail_node = ("3", "CUDA out of memory. Tried to allocate 2.00 GiB")
    _status, answer = await post(http, emu, {"prompt": wan()})
    entry = await history(http, emu, answer["prompt_id"])
    assert entry["status"]["status_str"] == "error" and entry["outputs"] == {}
    error = dict(entry["status"]["messages"])["execution_error"]
    assert error["node_id"] == "3" and error["node_type"] == "KSampler"
    assert error["exception_message"].startswith("CUDA out of memory")


async def test_upload_and_a_dying_server_that_comes_back_empty(comfyui_emulator, http, png_image):
    emu = comfyui_emulator
    for expected in ("start.png", "start.png"):
        form = aiohttp.FormData()
        form.add_field("image", png_image.read_bytes(), filename="start.png")
        async with http.post(f"{emu.url}/upload/image", data=form) as resp:
            assert (await resp.json())["name"] == expected  # the same bytes again: the same name
    form = aiohttp.FormData()
    form.add_field("image", b"\x89PNG other bytes", filename="start.png")
    async with http.post(f"{emu.url}/upload/image", data=form) as resp:
        assert (await resp.json())["name"] == "start (1).png"

    emu.die_at_step = 2
    _status, answer = await post(http, emu, {"prompt": wan(), "client_id": "c"})
    async with asyncio.timeout(60):
        while not emu.dead:
            await asyncio.sleep(0.02)
    with pytest.raises(aiohttp.ClientConnectionError):
        async with http.get(f"{emu.url}/queue"):
            pass
    await emu.start()
    async with http.get(f"{emu.url}/history/{answer['prompt_id']}") as resp:
        assert await resp.json() == {}
    async with http.get(f"{emu.url}/queue") as resp:
        assert await resp.json() == {"queue_running": [], "queue_pending": []}
