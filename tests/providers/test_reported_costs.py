"""The providers' own cost figures on a task's final poll, read through the real SDKs from the emulators:
Runway's ``cost.credits`` (success, a moderated input it keeps, a refunded failure) and Replicate's
``metrics.predict_time`` (success and failure); none while a task is live."""

from __future__ import annotations

import pytest

from bot.providers.base import GenerationRequest, ProviderCost, TaskState
from bot.providers.replicate import ReplicateProvider
from bot.providers.runway import RunwayProvider
from emulators.providers import Script
from tests.support.providers import run_task

OPTS = {"timeout": 5.0, "create_timeout": 5.0, "poll_deadline": 5.0}


def req(model: str, duration: int, prompt: str = "a red fox runs through snow") -> GenerationRequest:
    return GenerationRequest(job_id=1, model=model, prompt=prompt, duration=duration, aspect="16:9")


@pytest.mark.parametrize(
    ("script", "credits"),
    [
        (Script(), 12 * 6),
        (Script(outcome="fail", failure_code="SAFETY.INPUT.TEXT"), 12 * 6),
        (Script(outcome="fail", failure_code="INTERNAL.BAD_OUTPUT"), 0),
    ],
)
async def test_runway_reports_the_credits_it_charged(emulator, script, credits):
    provider = RunwayProvider(emulator.runway.api_key, emulator.runway_url, **OPTS)
    try:
        emulator.runway.script_next(script)
        task_id = await provider.submit(req("runway:gen4.5", 6))
        final, seen = await run_task(provider, task_id)
        assert (
            final.cost == ProviderCost(credits, "credits") == ProviderCost(emulator.runway.reported[task_id], "credits")
        )
        assert all(s.cost is None for s in seen if not s.state.terminal)
    finally:
        await provider.aclose()


@pytest.mark.parametrize("outcome", ["succeed", "fail"])
async def test_replicate_reports_the_predict_time(emulator, outcome):
    provider = ReplicateProvider(emulator.replicate.api_key, emulator.replicate_url, **OPTS)
    try:
        emulator.replicate.script_next(Script(outcome=outcome))
        task_id = await provider.submit(req("replicate:zeroscope", 3))
        final, seen = await run_task(provider, task_id)
        assert final.state is (TaskState.SUCCEEDED if outcome == "succeed" else TaskState.FAILED)
        assert final.cost == ProviderCost(emulator.replicate.reported[task_id], "predict_seconds")
        assert final.cost.amount > 3  # seconds of GPU for a 3 s clip
        assert all(s.cost is None for s in seen if not s.state.terminal)
    finally:
        await provider.aclose()
