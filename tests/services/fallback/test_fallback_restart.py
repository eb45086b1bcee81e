"""The fallback in-process, on each storage backend (``VIDEOBOT_TEST_BACKEND=postgresql``): jobs queued before
a provider's breaker opened, then run by a worker (a restart picks them up the same way)."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.prompt import PromptSpec
from bot.services.delivery.port import FileDelivery
from bot.services.requests.generation import Requester

pytestmark = pytest.mark.timeout(90)


async def _app(make_settings, emulator, **extra):
    settings = make_settings(
        RUNWAYML_API_SECRET=emulator.runway.api_key,
        RUNWAYML_BASE_URL=emulator.runway_url,
        LUMAAI_API_KEY=emulator.luma.api_key,
        LUMAAI_BASE_URL=emulator.luma_url,
        daily_seconds=1000,
        **extra,
    )
    app = await App.create(settings)
    app.router.register(FileDelivery())
    return app


async def _queue(app, tmp_path, text):
    who = Requester(user_id=7, delivery={"kind": "file", "path": str(tmp_path / f"{text}.mp4")})
    return (await app.service.submit(who, PromptSpec.create(text, model="runway:gen4.5", duration=5))).job


async def test_queued_jobs_of_an_open_provider_go_to_the_fallback_or_fail_refunded(make_settings, emulator, tmp_path):
    app = await _app(make_settings, emulator, fallback_text=["luma:ray-flash-2"])
    try:
        movable = await _queue(app, tmp_path, "a lantern")
        stuck = await _queue(app, tmp_path, "a long lantern")
        # now Runway's breaker opens (another process saw it fail); the worker starts only afterwards
        await app.storage.breakers.failed("runway", now=app.quota.clock(), threshold=1, cooldown=600, reason="503")
        await app.storage.jobs.update(stuck.id, spec={**stuck.spec, "duration": 7})  # Luma cannot make 7 s
        done = await app.worker.wait_for(movable.id, timeout=60)
        failed = await app.worker.wait_for(stuck.id, timeout=60)
        ledger = [await app.storage.quota.ledger_state(j.id) for j in (movable, stuck)]
    finally:
        await app.close()
    assert done.state.value == "done" and (done.model, done.fallback_from) == ("luma:ray-flash-2", "runway:gen4.5")
    assert failed.state.value == "failed" and "Runway is unavailable right now" in (failed.error or "")
    assert ledger == ["committed", "refunded"]
    assert emulator.runway.create_count == 0  # the open breaker kept both away from Runway
    assert emulator.luma.create_count == 1
