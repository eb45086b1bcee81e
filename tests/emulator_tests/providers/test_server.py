"""The emulators as a separate process (as the CLI end-to-end and fault-injection suites use them)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import httpx
import pytest

from bot.errors import ProviderRejected
from bot.providers.base import GenerationRequest, TaskState
from bot.providers.luma import LumaProvider
from bot.providers.replicate import ReplicateProvider
from bot.providers.runway import RunwayProvider
from tests.support.providers import is_mp4, run_task

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def emulator_process(tmp_path):
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulators.providers",
        "serve",
        "--port",
        "0",
        "--cache-dir",
        str(tmp_path / "clips"),
        "--runway-key",
        "key_sub_runway",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=20)
        yield json.loads(line)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), timeout=10)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def test_subprocess_serves_all_three_apis_with_http_knobs(emulator_process, tmp_path):
    env = emulator_process["env"]
    assert env["RUNWAYML_API_SECRET"] == "key_sub_runway"
    assert env["LUMAAI_BASE_URL"].startswith("http://127.0.0.1:") and env["LUMAAI_BASE_URL"].endswith(
        "/dream-machine/v1"
    )
    base = f"http://127.0.0.1:{emulator_process['port']}"
    async with httpx.AsyncClient(base_url=base, timeout=5) as control:
        rule = {"match": "forbidden", "script": {"refuse": "moderation"}}
        assert (await control.post("/_control/runway/rule", json=rule)).status_code == 200
        assert (await control.post("/_control/replicate/next", json=[{"queued": 0, "running": 1}])).status_code == 200
    runway = RunwayProvider(env["RUNWAYML_API_SECRET"], env["RUNWAYML_BASE_URL"], timeout=5)
    replicate = ReplicateProvider(env["REPLICATE_API_TOKEN"], env["REPLICATE_BASE_URL"], timeout=5)
    luma = LumaProvider(env["LUMAAI_API_KEY"], env["LUMAAI_BASE_URL"], timeout=5)
    try:
        base_req = {"job_id": 1, "prompt": "a forbidden thing", "duration": 5, "aspect": "16:9"}
        with pytest.raises(ProviderRejected):
            await runway.submit(GenerationRequest(model="runway:gen4.5", **base_req))
        for provider, model, seconds in ((replicate, "replicate:minimax-video-01", 6), (luma, "luma:ray-2", 5)):
            request = GenerationRequest(model=model, **{**base_req, "duration": seconds})
            task_id = await provider.submit(request)
            final, _ = await run_task(provider, task_id)
            assert final.state is TaskState.SUCCEEDED
            assert is_mp4(await provider.fetch_result(task_id, final, tmp_path / f"{provider.name}.mp4", 10**8))
    finally:
        for p in (runway, replicate, luma):
            await p.aclose()
    async with httpx.AsyncClient(base_url=base, timeout=5) as control:
        stats = (await control.get("/_control/runway/stats")).json()
        assert stats["create_count"] == 1 and stats["tasks"] == {}
        replicate_stats = (await control.get("/_control/replicate/stats")).json()
        assert [t["polls"] for t in replicate_stats["tasks"].values()] == [2]
        assert (await control.post("/_control/reset")).json() == {"ok": True}
        assert (await control.get("/_control/luma/stats")).json()["create_count"] == 0
