"""The rig for the provider and Discord fault suites: the real App, worker and provider classes against the
in-process provider emulators, delivering to a file or through the real VideoBot on the Discord emulator.

Time travel, not sleeping: the worker takes a clock, and :class:`SkipClock` is the wall clock plus an
offset.  When a job is parked by the worker (a deferred retry: ``next_attempt_at`` in the future, no lease),
:meth:`Rig.settle` moves the offset past that moment and wakes the worker, recording how long the worker
*wanted* to wait (``rig.defers``), so a test can assert the backoff without paying for it.  Everything else
(polls, downloads, Discord's own retries) runs in real time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.app import App
from bot.edge.client import VideoBot
from bot.prompt import PromptSpec
from bot.providers.base import VideoProvider
from bot.providers.catalogue import CatalogueModel, models_for
from bot.providers.luma import LumaProvider
from bot.providers.replicate import ReplicateProvider
from bot.providers.runway import RunwayProvider
from bot.services.requests.generation import Requester
from emulators.discord import DiscordEmulator
from emulators.providers import EmulatorServer
from storage import Job, JobState

SETTLE_BOUND = 45.0  # real seconds a job may take to reach a final state (a safety net: loaded CI is slow)
USER = 4242


class SkipClock:
    """``time.time()`` plus an offset that only moves forward (see the module docstring)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def skip(self, seconds: float) -> None:
        """Jump ahead."""
        self.offset += max(0.0, seconds)


def fast_models(provider: str, **changes: Any) -> list[CatalogueModel]:
    """The provider's catalogue with every model changed (e.g. a short ``deadline_seconds``)."""
    return [dataclasses.replace(m, **changes) for m in models_for(provider)]


def cloud_providers(server: EmulatorServer, *, deadline: float | None = None, **opts: Any) -> list[VideoProvider]:
    """Runway, Replicate and Luma as the bot builds them, pointed at the emulator, with short timeouts."""
    changes: dict[str, Any] = {}
    if deadline is not None:
        changes["deadline_seconds"] = deadline
    common = {"timeout": 5.0, "create_timeout": 5.0, "poll_deadline": 2.0, "download_timeout": 10.0, **opts}
    return [
        RunwayProvider(server.runway.api_key, server.runway_url, models=fast_models("runway", **changes), **common),
        ReplicateProvider(
            server.replicate.api_key, server.replicate_url, models=fast_models("replicate", **changes), **common
        ),
        LumaProvider(server.luma.api_key, server.luma_url, models=fast_models("luma", **changes), **common),
    ]


# A text-to-video model per provider, with a duration it accepts.
MODELS = {"runway": ("runway:gen4.5", 2), "replicate": ("replicate:minimax-video-01", 6), "luma": ("luma:ray-2", 5)}
MODELS["local"] = ("local:storyboard", 1)


@dataclass
class Rig:
    """One App (with its worker) on a temp data dir, its emulator and its clock."""

    app: App
    server: EmulatorServer
    clock: SkipClock
    out: Path
    defers: list[tuple[JobState, float]] = field(default_factory=list)

    def secrets(self) -> list[str]:
        """Every provider key the bot was given."""
        return [api.api_key for api in self.server.apis.values()]

    async def submit(self, provider: str = "runway", prompt: str = "a lighthouse in a storm", **kw: Any) -> Job:
        """Queue a text-to-video job delivered to a file (as the CLI does)."""
        model, duration = MODELS[provider]
        spec = PromptSpec.create(prompt, model=model, duration=kw.pop("duration", duration), **kw)
        dest = self.out / f"{provider}-{len(self.defers)}-{time.monotonic_ns()}.mp4"
        who = Requester(user_id=USER, guild_id=1, channel_id=2, delivery={"kind": "file", "path": str(dest)})
        return (await self.app.service.submit(who, spec)).job

    async def settle(
        self,
        job_id: int,
        bound: float = SETTLE_BOUND,
        on_defer: Callable[[Job], Awaitable[None] | None] | None = None,
    ) -> Job:
        """Run the worker until the job is final, skipping its deferrals; fail if that takes over ``bound`` s."""
        await self.app.worker.start()
        limit = time.monotonic() + bound
        while True:
            job = await self.app.storage.jobs.get(job_id)
            assert job is not None, f"job {job_id} vanished"
            if job.state.finished:
                return job
            if time.monotonic() > limit:
                raise AssertionError(f"job {job_id} stuck in {job.state} after {bound:.0f} s (attempts {job.attempts})")
            due = job.next_attempt_at or 0.0
            if job.lease_owner is None and due > self.clock():
                # The wait the worker asked for when it parked the job (updated_at is real time, as of then),
                # not what is left of it now: a slow look here must not shorten it.
                self.defers.append((job.state, due - (job.updated_at + self.clock.offset)))
                if on_defer is not None:
                    maybe = on_defer(job)
                    if maybe is not None:
                        await maybe
                self.clock.skip(due - self.clock() + 0.01)
                self.app.worker.wake()
            await asyncio.sleep(0.02)

    async def ledger(self, job_id: int) -> str | None:
        """'reserved' / 'committed' / 'refunded' (None: never charged)."""
        return await self.app.storage.quota.ledger_state(job_id)


_FORBIDDEN = ("http://", "https://", "127.0.0.1", "localhost", "Traceback", "Exception", "HTTP ", "{", "}", "None")
_PATHISH = re.compile(r"(?:^|\s)(?:/|~/|[A-Za-z]:\\)\S+")


def assert_user_text(text: str | None, rig: Rig, *, fragments: tuple[str, ...] = ()) -> str:
    """A message fit for a user: a short plain sentence, no key, URL, host path or raw provider answer."""
    assert text, "no message for the user"
    assert len(text) <= 300, text
    assert text[0].isupper() and text.rstrip()[-1] in ".!)", text
    for secret in rig.secrets():
        assert secret not in text, f"API key leaked: {text!r}"
    for bad in (*_FORBIDDEN, str(rig.out), str(rig.app.settings.data_dir), str(rig.app.settings.media_dir)):
        assert bad not in text, f"{bad!r} in a user message: {text!r}"
    assert not _PATHISH.search(text), f"a path in a user message: {text!r}"
    for fragment in fragments:
        assert fragment.lower() in text.lower(), f"{fragment!r} not in {text!r}"
    return text


async def assert_failed_and_refunded(rig: Rig, job: Job, *fragments: str) -> str:
    """FAILED, the reservation refunded, and a clear message stored for the user."""
    assert job.state is JobState.FAILED, (job.state, job.error, job.error_detail)
    assert await rig.ledger(job.id) == "refunded"
    for secret in rig.secrets():
        assert secret not in (job.error_detail or ""), "API key in the logged detail"
    return assert_user_text(job.error, rig, fragments=fragments)


async def assert_delivered(rig: Rig, job: Job) -> Path:
    """DONE, charged once, and the delivered file is a real MP4."""
    assert job.state is JobState.DONE, (job.state, job.error, job.error_detail)
    assert await rig.ledger(job.id) == "committed"
    dest = Path(str(job.delivery.get("path") or job.result_path))
    data = dest.read_bytes()
    assert data[4:8] == b"ftyp" and len(data) > 1000
    return dest


RigFactory = Callable[..., Awaitable[Rig]]


@dataclass
class BotRig(Rig):
    """A :class:`Rig` whose App runs inside the real VideoBot, connected to the Discord emulator."""

    bot: VideoBot | None = None
    emu: DiscordEmulator | None = None

    async def video(self, prompt: str, provider: str = "runway", user: Any = None) -> tuple[Any, int]:
        """/video with a cloud model (alice by default); returns (interaction handle, job id)."""
        assert self.emu is not None
        who = user or self.emu.alice
        model, duration = MODELS[provider]
        handle = await self.emu.slash(who, "video", prompt=prompt, model=model, duration=duration)
        assert await handle.wait_ack() == 5
        return handle, await self.job_of(who.id)

    def requests(self, method: str, pattern: str) -> list[Any]:
        """Discord REST requests the bot made (``pattern`` is a regex searched in the path)."""
        assert self.emu is not None
        return [r for r in self.emu.rest.log if r.method == method and re.search(pattern, r.path)]

    async def job_of(self, user_id: int, timeout: float = 30.0) -> int:
        """The id of the user's newest job (once the command has queued it)."""
        async with asyncio.timeout(timeout):
            while True:
                jobs = await self.app.storage.jobs.search(owner_id=user_id, limit=1)
                if jobs:
                    return jobs[0].id
                await asyncio.sleep(0.02)


BotFactory = Callable[..., Awaitable[BotRig]]


def failure_notice(handle: Any) -> str:
    """The text of the status message once it has turned into the failure notice."""
    status = handle.original
    assert status is not None and status.embeds
    embed = status.embeds[0]
    assert embed["title"].startswith("❌"), embed
    return str(embed.get("description", ""))


_RENDERERS = {"runway": "task_json", "replicate": "prediction", "luma": "generation"}


def fault_after_success(api: Any, *faults: Any) -> None:
    """Queue ``faults`` for the task reads right after the first answer that says the task succeeded
    (a read for a fresh link, a download resumed later): an in-process hook on the emulator's task renderer."""
    name = _RENDERERS[api.name]
    original = getattr(api, name)
    armed = [True]

    def render(request: Any, task: Any) -> Any:
        body = original(request, task)
        if armed[0] and task.phase()[0] == "succeeded":
            armed[0] = False
            api.poll_faults.extend(faults)
        return body

    setattr(api, name, render)


def task_reads(api: Any) -> int:
    """GETs of a single task (polls) the emulator answered, faults included."""
    return sum(1 for method, path in api.requests if method == "GET" and _TASK_PATH.search(path))


_TASK_PATH = re.compile(r"/(tasks|predictions|generations)/[^/]+$")
