"""Helpers for provider tests: drive a request to completion against an emulator; the providers' table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest_asyncio

from bot.providers.base import GenerationRequest, TaskStatus, VideoProvider
from bot.providers.fal import FalProvider
from bot.providers.luma import LumaProvider
from bot.providers.replicate import ReplicateProvider
from bot.providers.runway import RunwayProvider
from emulators.providers import Script


async def run_task(
    provider: VideoProvider, task_id: str, *, max_polls: int = 40
) -> tuple[TaskStatus, list[TaskStatus]]:
    """Poll until the task is terminal (the emulators advance one state per poll, so no sleeping)."""
    seen: list[TaskStatus] = []
    for _ in range(max_polls):
        status = await provider.poll(task_id)
        seen.append(status)
        if status.state.terminal:
            return status, seen
    raise AssertionError(f"task {task_id} not finished after {max_polls} polls: {seen[-1]}")


async def drive(
    provider: VideoProvider, request: GenerationRequest, dest: Path, *, max_bytes: int = 50_000_000
) -> tuple[str, list[TaskStatus], Path]:
    """submit → poll until done → fetch_result; returns (task id, every status seen, the video path)."""
    task_id = await provider.submit(request)
    final, seen = await run_task(provider, task_id)
    assert final.state.value == "succeeded", final
    return task_id, seen, await provider.fetch_result(task_id, final, dest, max_bytes)


def only_task(api: Any) -> Any:
    """The one task an emulated API holds."""
    (task,) = api.tasks.values()
    return task


def is_mp4(path: Path) -> bool:
    """Whether the file starts like an MP4 (``ftyp`` at offset 4)."""
    with path.open("rb") as f:
        return f.read(8)[4:8] == b"ftyp"


def assert_secret_free(exc: BaseException, *secrets: str) -> None:
    """No secret appears anywhere in an exception's text, detail, user message or repr."""
    texts = [str(exc), repr(exc), str(getattr(exc, "detail", "")), str(getattr(exc, "user_message", ""))]
    for secret in secrets:
        for text in texts:
            assert secret not in text, f"secret leaked in {text!r}"


PUBLISHED = "https://media.example.test/"


async def publish(path: Path) -> str:
    """Stands in for the bot's file server: the URL an image would be reachable at."""
    return PUBLISHED + path.name


# --- the four cloud providers as one table (the contract suite's rows; each test_<provider>.py uses its row) ---
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

    def req(self, model: str | None = None, **kw: Any) -> GenerationRequest:
        """The plain request, changed by ``kw`` (and the model, if given)."""
        return GenerationRequest(**{**self.request, **({"model": model} if model else {}), **kw})


CASES = [
    Case(
        "runway",
        RunwayProvider,
        {
            "job_id": 1,
            "model": "runway:gen4.5",
            "prompt": "a red fox runs through snow",
            "duration": 5,
            "aspect": "16:9",
        },
        Script(outcome="fail", failure="Prompt flagged", failure_code="SAFETY.INPUT.TEXT"),
        "SAFETY.INPUT.TEXT",
        "Your prompt was flagged by our content moderation system.",
        lambda text: {"error": text},
        finds_lost_creates=False,
        cancelled_stays=True,
        unknown_task="00000000-0000-4000-8000-000000000000",
    ),
    Case(
        "replicate",
        ReplicateProvider,
        {
            "job_id": 7,
            "model": "replicate:minimax-video-01",
            "prompt": "a paper boat on a river",
            "duration": 6,
            "aspect": "16:9",
        },
        Script(outcome="fail", failure="NSFW content detected. Try a different prompt."),
        "NSFW content detected",
        "The input was flagged as sensitive (E005).",
        lambda text: {"detail": text, "status": 500},
        finds_lost_creates=True,
        cancelled_stays=True,
        unknown_task="doesnotexist",
    ),
    Case(
        "luma",
        LumaProvider,
        {"job_id": 3, "model": "luma:ray-2", "prompt": "a lighthouse in a storm", "duration": 5, "aspect": "21:9"},
        Script(outcome="fail", failure="400: Advanced moderation failed"),
        "Advanced moderation failed",
        "Prompt not allowed because advanced moderation failed",
        lambda text: {"detail": text},
        finds_lost_creates=True,
        cancelled_stays=False,
        unknown_task="00000000-0000-4000-8000-000000000000",
        options={"publish_image": publish},
    ),
    Case(
        "fal",
        FalProvider,
        {"job_id": 5, "model": "fal:pika-2.2", "prompt": "a paper boat on a river", "duration": 5, "aspect": "9:16"},
        Script(
            outcome="fail", failure="Output flagged by the content checker", failure_code="content_policy_violation"
        ),
        "content_policy_violation",
        "prompt flagged as sensitive",
        lambda text: {"detail": text},
        finds_lost_creates=False,
        cancelled_stays=True,
        unknown_task="fal-ai/pika/v2.2/text-to-video#no-such-request",
        retries_poll_429=True,
        server_fixture="fal_emulator",
    ),
]

ROW = {case.name: case for case in CASES}


def provider_fixture(name: str):
    """A fixture (named ``name``) yielding that provider built against its emulator, closed afterwards."""
    case = ROW[name]

    async def made(server):
        provider = case.make(server)
        yield provider
        await provider.aclose()

    if case.server_fixture == "fal_emulator":  # an async fixture names what it needs (no getfixturevalue)

        @pytest_asyncio.fixture(name=name)
        async def on_tls(fal_emulator):
            async for provider in made(fal_emulator):
                yield provider

        return on_tls

    @pytest_asyncio.fixture(name=name)
    async def on_loopback(emulator):
        async for provider in made(emulator):
            yield provider

    return on_loopback
