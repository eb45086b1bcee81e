"""ReplicateProvider's push half against the emulator: the webhook it asks for, the Cancel-After header on
every create (from the model's deadline) and the ``aborted`` end of a prediction that never started."""

from __future__ import annotations

import asyncio

import pytest

from bot.providers.base import GenerationRequest, TaskState
from bot.providers.replicate import ReplicateProvider
from emulators.providers import Script

pytestmark = pytest.mark.timeout(60)


def req(**kw) -> GenerationRequest:
    values = {"job_id": 12, "model": "replicate:zeroscope", "prompt": "a paper boat", "duration": 2, "aspect": "16:9"}
    return GenerationRequest(**{**values, **kw})


async def test_creates_ask_for_a_completed_webhook_and_carry_cancel_after(emulator):
    hook = "http://127.0.0.1:9/hooks/replicate/12/" + "t" * 32
    provider = ReplicateProvider(emulator.replicate.api_key, emulator.replicate_url, hook_url=lambda job: hook)
    emulator.replicate.script_next(Script(webhook="hold"))
    try:
        assert provider.pushes
        task_id = await provider.submit(req())
        task = emulator.replicate.tasks[task_id]
        assert task.body["webhook"] == hook and task.body["webhook_events_filter"] == ["completed"]
        assert task.extra["cancel_after"] == "1800s"  # zeroscope's deadline in the catalogue
        assert (await provider.webhook_secret()) == emulator.replicate.webhook_secret
    finally:
        await provider.aclose()


async def test_without_push_no_webhook_is_asked_for_but_cancel_after_still_is(emulator):
    provider = ReplicateProvider(emulator.replicate.api_key, emulator.replicate_url)
    try:
        assert not provider.pushes
        task = emulator.replicate.tasks[await provider.submit(req())]
        assert "webhook" not in task.body and task.extra["cancel_after"] == "1800s"
        assert emulator.replicate.deliveries == []
    finally:
        await provider.aclose()


async def test_a_prediction_not_started_by_its_cancel_after_ends_aborted_as_a_failure(emulator):
    provider = ReplicateProvider(emulator.replicate.api_key, emulator.replicate_url, cancel_after=1)
    emulator.replicate.script_next(Script(queued=10**6))
    try:
        task_id = await provider.submit(req())
        assert emulator.replicate.tasks[task_id].extra["cancel_after"] == "1s"
        async with asyncio.timeout(30):
            while not (status := await provider.poll(task_id)).state.terminal:
                await asyncio.sleep(0.2)
        assert status.state is TaskState.FAILED and status.error_code == "aborted"
    finally:
        await provider.aclose()
