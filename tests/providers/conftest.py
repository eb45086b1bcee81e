"""The four cloud providers as one table, for the parametrised contract suite (test_provider_contract.py).

Each :class:`Case` says how to build the provider against its loopback emulator, what a plain request for it
looks like, and the few ways the providers legitimately differ (whether a lost create can be found by listing,
whether a cancelled task stays readable, what their moderation failure looks like)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.providers.base import GenerationRequest, VideoProvider
from bot.providers.fal import FalProvider
from bot.providers.luma import LumaProvider
from bot.providers.replicate import ReplicateProvider
from bot.providers.runway import RunwayProvider
from emulators.providers import Script
from tests.providers.helpers import publish


@dataclass(frozen=True)
class Case:
    name: str
    cls: type[VideoProvider]
    request: dict[str, Any]  # a plain text-to-video request for the provider's default model
    moderation_failure: Script  # a task that fails because the provider's moderation flagged it
    moderation_code: str  # what the failed status's error_code then holds
    refusal: str  # the provider's words when it refuses a create on moderation grounds
    error_body: Callable[[str], Any]  # the provider's JSON error body carrying a message
    finds_lost_creates: bool  # a create whose answer was lost is found again by listing (else SubmitUncertain)
    cancelled_stays: bool  # a cancelled task still reads as CANCELLED (else it is deleted: ProviderTaskFailed)
    unknown_task: str  # a well-formed task id the provider never made
    retries_poll_429: bool = False  # the SDK retries a 429 on reads itself
    options: dict[str, Any] = field(default_factory=dict)
    server_fixture: str = "emulator"

    def make(self, server, api_key: str | None = None, **kw) -> VideoProvider:
        opts = {"timeout": 5.0, "create_timeout": 5.0, "poll_deadline": 5.0, **self.options, **kw}
        return self.cls(api_key or self.api(server).api_key, getattr(server, f"{self.name}_url"), **opts)

    def api(self, server):
        """The emulated API's state (its knobs and records)."""
        return getattr(server, self.name)

    def req(self, **kw) -> GenerationRequest:
        return GenerationRequest(**{**self.request, **kw})


CASES = [
    Case(
        "runway", RunwayProvider,
        {"job_id": 1, "model": "runway:gen4.5", "prompt": "a red fox runs through snow", "duration": 5,
         "aspect": "16:9"},
        Script(outcome="fail", failure="Prompt flagged", failure_code="SAFETY.INPUT.TEXT"), "SAFETY.INPUT.TEXT",
        "Your prompt was flagged by our content moderation system.", lambda text: {"error": text},
        finds_lost_creates=False, cancelled_stays=True, unknown_task="00000000-0000-4000-8000-000000000000",
    ),
    Case(
        "replicate", ReplicateProvider,
        {"job_id": 7, "model": "replicate:minimax-video-01", "prompt": "a paper boat on a river", "duration": 6,
         "aspect": "16:9"},
        Script(outcome="fail", failure="NSFW content detected. Try a different prompt."), "NSFW content detected",
        "The input was flagged as sensitive (E005).", lambda text: {"detail": text, "status": 500},
        finds_lost_creates=True, cancelled_stays=True, unknown_task="doesnotexist",
    ),
    Case(
        "luma", LumaProvider,
        {"job_id": 3, "model": "luma:ray-2", "prompt": "a lighthouse in a storm", "duration": 5, "aspect": "21:9"},
        Script(outcome="fail", failure="400: Advanced moderation failed"), "Advanced moderation failed",
        "Prompt not allowed because advanced moderation failed", lambda text: {"detail": text},
        finds_lost_creates=True, cancelled_stays=False, unknown_task="00000000-0000-4000-8000-000000000000",
        options={"publish_image": publish},
    ),
    Case(
        "fal", FalProvider,
        {"job_id": 5, "model": "fal:pika-2.2", "prompt": "a paper boat on a river", "duration": 5, "aspect": "9:16"},
        Script(outcome="fail", failure="Output flagged by the content checker",
               failure_code="content_policy_violation"), "content_policy_violation",
        "prompt flagged as sensitive", lambda text: {"detail": text},
        finds_lost_creates=False, cancelled_stays=True, unknown_task="fal-ai/pika/v2.2/text-to-video#no-such-request",
        retries_poll_429=True, server_fixture="fal_emulator",
    ),
]  # fmt: skip


@pytest.fixture(params=CASES, ids=[c.name for c in CASES])
def case(request) -> Case:
    """One cloud provider's row of the table."""
    return request.param


@pytest.fixture
def server(case, request):
    """The loopback emulator server the case's provider talks to (fal's over TLS)."""
    return request.getfixturevalue(case.server_fixture)


@pytest.fixture
def api(case, server):
    """The case's emulated API (knobs and records)."""
    return case.api(server)


@pytest.fixture
async def provider(case, server):
    """The case's provider, built with the real SDK against its emulator."""
    made = case.make(server)
    yield made
    await made.aclose()
