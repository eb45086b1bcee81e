"""The emulators' completion calls, checked by an independent receiver: Replicate's with the ``replicate``
SDK's own validator, fal's with ``cryptography`` against the JWKS the emulator serves; failed deliveries
are retried (5xx, no answer) as the real services do, a 4xx is not."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from replicate.webhook import Webhooks, WebhookSigningSecret

from emulators.providers import Script
from emulators.providers.replicate import MODELS

pytestmark = pytest.mark.timeout(60)


class Receiver:
    """A loopback endpoint that answers the queued statuses in turn (then 200) and keeps what it got."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append((dict(request.headers), await request.read()))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    got = Receiver()
    app = web.Application()
    app.router.add_post("/hook/{rest:.*}", got.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    got.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook/" + "t" * 32
    yield got
    await runner.cleanup()


async def until(check, timeout: float = 20.0):
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.05)


async def test_replicate_signs_per_standard_webhooks_and_retries_a_5xx(emulator, receiver):
    receiver.statuses = [503, 500]
    emulator.replicate.push_backoff = 0.05
    emulator.replicate.script_next(Script(push_after=0.05))
    async with httpx.AsyncClient(base_url=emulator.replicate_url) as http:
        auth = {"Authorization": f"Bearer {emulator.replicate.api_key}"}
        body = {"input": {"prompt": "a kite"}, "webhook": receiver.url, "webhook_events_filter": ["completed"]}
        body["version"] = MODELS["anotherjesse/zeroscope-v2-xl"].version
        created = await http.post("/v1/predictions", json=body, headers={**auth, "Cancel-After": "15m"})
        secret = (await http.get("/v1/webhooks/default/secret", headers=auth)).json()["key"]
    prediction_id = created.json()["id"]
    assert emulator.replicate.tasks[prediction_id].extra["cancel_after"] == "15m"
    await until(lambda: len(emulator.replicate.deliveries) == 1)
    assert len(receiver.calls) == 3 and [d.status for d in emulator.replicate.deliveries] == [200]
    for headers, raw in receiver.calls:  # every try is signed; the SDK's validator accepts it
        Webhooks.validate(headers=headers, body=raw.decode(), secret=WebhookSigningSecret(key=secret), tolerance=300)
        assert json.loads(raw)["id"] == prediction_id and json.loads(raw)["status"] == "succeeded"
    assert secret.startswith("whsec_")


async def test_fal_signs_with_ed25519_and_a_4xx_is_not_retried(fal_emulator, receiver):
    receiver.statuses = [401]
    fal_emulator.fal.script_next(Script(push_after=0.05))
    async with httpx.AsyncClient() as http:
        auth = {"Authorization": f"Key {fal_emulator.fal.api_key}"}
        url = f"{fal_emulator.fal_url}/fal-ai/pika/v2.2/text-to-video"
        created = await http.post(url, params={"fal_webhook": receiver.url}, json={"prompt": "rain"}, headers=auth)
        jwks = (await http.get(fal_emulator.fal_jwks_url)).json()
    await until(lambda: len(fal_emulator.fal.deliveries) == 1)
    assert len(receiver.calls) == 1 and fal_emulator.fal.deliveries[0].status == 401
    headers, raw = receiver.calls[0]
    x = jwks["keys"][0]["x"]
    key = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))
    fields = [headers[f"X-Fal-Webhook-{n}"] for n in ("Request-Id", "User-Id", "Timestamp")]
    message = "\n".join([*fields, hashlib.sha256(raw).hexdigest()]).encode()
    key.verify(bytes.fromhex(headers["X-Fal-Webhook-Signature"]), message)  # raises if it does not verify
    assert fields[0] == created.json()["request_id"] == json.loads(raw)["request_id"]
    assert json.loads(raw)["status"] == "OK" and json.loads(raw)["payload"]["video"]["url"].startswith("https://")


async def test_luma_calls_back_plainly_but_never_a_reserved_invalid_host(emulator, receiver):
    emulator.luma.script_next(Script(push_after=0.05), Script(push_after=0.05))
    async with httpx.AsyncClient(base_url=emulator.luma_url) as http:
        auth = {"Authorization": f"Bearer {emulator.luma.api_key}"}
        body = {"prompt": "a lighthouse", "model": "ray-2"}
        marked = await http.post(
            "/generations", json={**body, "callback_url": "https://videobot.invalid/luma?job=1"}, headers=auth
        )
        called = await http.post("/generations", json={**body, "callback_url": receiver.url}, headers=auth)
    await until(lambda: len(emulator.luma.deliveries) == 1)
    headers, raw = receiver.calls[0]
    assert headers["Content-Type"] == "application/json" and not any("signature" in h.lower() for h in headers)
    assert json.loads(raw)["id"] == called.json()["id"] and json.loads(raw)["state"] == "completed"
    assert [d.task_id for d in emulator.luma.deliveries] == [called.json()["id"]]
    assert marked.status_code == 201 and "push_url" not in emulator.luma.tasks[marked.json()["id"]].extra
