"""The fal emulator as fal_client itself speaks to it: over TLS, at the host fal_client builds from
``FAL_QUEUE_RUN_HOST``, trusting the test CA through ``SSL_CERT_FILE`` (a child process, because
fal_client reads its hosts when it is imported)."""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import sys
from pathlib import Path

import certifi
import httpx
import pytest

from emulators.providers import Script

ROOT = Path(__file__).resolve().parents[3]

# fal_client's own flow: submit_async → status (queue position) → get (result) → cancel of another one.
CHILD = """
import asyncio, json, fal_client

async def main():
    handle = await fal_client.submit_async("fal-ai/pika/v2.2/text-to-video", {"prompt": "a kite", "duration": 5})
    first = await handle.status()
    result = await handle.get(interval=0.01)
    other = await fal_client.submit_async("fal-ai/kling-video/v2.1/master/text-to-video", {"prompt": "rain"})
    await other.cancel()
    done = await other.status()
    print(json.dumps({"id": handle.request_id, "first": type(first).__name__, "position": first.position,
                      "url": result["video"]["url"], "status_url": handle.status_url,
                      "cancelled": [type(done).__name__, done.error_type]}))

asyncio.run(main())
"""


async def test_fal_client_itself_against_the_tls_emulator(fal_emulator):
    fal_emulator.fal.script_next(Script(queued=2, running=1), Script(queued=4))
    env = {
        **os.environ,
        "FAL_KEY": fal_emulator.fal.api_key,
        "FAL_QUEUE_RUN_HOST": fal_emulator.fal_host,
        "FAL_RUN_HOST": fal_emulator.fal_host,
        "SSL_CERT_FILE": str(fal_emulator.fal_ca_file),
        "PYTHONPATH": str(ROOT),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    assert proc.returncode == 0, err.decode()
    seen = json.loads(out)
    assert seen["first"] == "Queued" and seen["position"] == 1  # 0-indexed, as fal_client documents
    assert seen["status_url"] == f"https://{fal_emulator.fal_host}/fal-ai/pika/requests/{seen['id']}/status"
    assert seen["url"].startswith(f"https://{fal_emulator.fal_host}/_media/")
    assert seen["cancelled"] == ["Completed", "request_cancelled"]
    assert fal_emulator.fal.creates == {
        "fal-ai/pika/v2.2/text-to-video": 1,
        "fal-ai/kling-video/v2.1/master/text-to-video": 1,
    }


async def test_only_clients_trusting_the_test_ca_get_in(fal_emulator):
    public_roots = ssl.create_default_context(cafile=certifi.where())  # what a client without the test CA has
    async with httpx.AsyncClient(verify=public_roots) as untrusting:
        with pytest.raises(httpx.ConnectError):
            await untrusting.get(f"{fal_emulator.fal_url}fal-ai/pika/requests/x/status")
    async with httpx.AsyncClient() as trusting:  # SSL_CERT_FILE (set by the fixture) names the test CA
        resp = await trusting.get(f"{fal_emulator.fal_url}fal-ai/pika/requests/x/status")
        assert resp.status_code == 401 and resp.json() == {"detail": "Invalid Key Authorization header format"}
        headers = {"Authorization": f"Key {fal_emulator.fal.api_key}"}
        missing = await trusting.post(f"{fal_emulator.fal_url}fal-ai/pika/v2.2/text-to-video", json={}, headers=headers)
        assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "prompt"]
        unknown = await trusting.post(f"{fal_emulator.fal_url}fal-ai/nope", json={"prompt": "x"}, headers=headers)
        assert unknown.status_code == 404


async def test_control_api_reaches_fal(fal_emulator):
    async with httpx.AsyncClient(base_url=fal_emulator.base, timeout=5) as control:
        assert (await control.post("/_control/fal/next", json=[{"queued": 7}])).status_code == 200
        assert (await control.get("/_control/fal/stats")).json()["create_count"] == 0
    assert fal_emulator.fal.next_scripts[0].queued == 7
