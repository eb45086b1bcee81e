"""A scripted video provider for worker tests: it stands in for a remote API (not for our code), lets a
test choose each poll's answer, and counts what the worker asked of it; and a delivery target that stands in
for Discord and remembers what it was handed."""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import RateLimited, SubmitUncertain
from bot.providers.base import Capability, GenerationRequest, ModelInfo, TaskState, TaskStatus
from bot.services.delivery.port import Progress, Receipt

MODEL = ModelInfo(
    name="scripted:v1",
    capabilities=frozenset({Capability.TEXT_TO_VIDEO, Capability.IMAGE_TO_VIDEO}),
    durations=tuple(range(1, 11)),
    aspects=("16:9", "9:16", "1:1"),
    deadline_seconds=30,
)


@dataclass
class Script:
    running_polls: int = 2  # RUNNING answers before SUCCEEDED
    final: TaskState = TaskState.SUCCEEDED
    error: str | None = None
    refuse_creates: int = 0  # answer the first N creates with 429
    find: str = "absent"  # find_task: "absent" | "found" | "uncertain"
    never_finish: bool = False
    poll_delay: float = 0.0
    poll_retry_after: float | None = None  # the provider asks us to wait this long between polls


@dataclass
class ScriptedProvider:
    video: Path
    script: Script = field(default_factory=Script)
    name: str = "scripted"
    poll_interval: float = 0.01
    calls: Counter = field(default_factory=Counter)
    polls_by_task: Counter = field(default_factory=Counter)
    created: list = field(default_factory=list)
    active: set = field(default_factory=set)
    max_active_per_user: Counter = field(default_factory=Counter)

    def models(self):
        return [MODEL]

    async def submit(self, request: GenerationRequest) -> str:
        self.calls["submit"] += 1
        if self.script.refuse_creates > 0:
            self.script.refuse_creates -= 1
            raise RateLimited(retry_after=0.01, provider="scripted")
        task_id = f"task-{request.job_id}-{len(self.created)}"
        self.created.append((request.job_id, task_id))
        return task_id

    async def find_task(self, request: GenerationRequest) -> str | None:
        self.calls["find_task"] += 1
        if self.script.find == "uncertain":
            raise SubmitUncertain(provider="scripted")
        if self.script.find == "found":
            return f"task-{request.job_id}-found"
        return None

    async def poll(self, task_id: str) -> TaskStatus:
        self.calls["poll"] += 1
        self.polls_by_task[task_id] += 1
        self.active.add(task_id)
        if self.script.poll_delay:
            await asyncio.sleep(self.script.poll_delay)
        n = self.polls_by_task[task_id]
        if self.script.never_finish or n <= self.script.running_polls:
            progress = min(0.99, n / (self.script.running_polls + 1))
            return TaskStatus(TaskState.RUNNING, progress=progress, retry_after=self.script.poll_retry_after)
        self.active.discard(task_id)
        if self.script.final is TaskState.SUCCEEDED:
            return TaskStatus(TaskState.SUCCEEDED, progress=1.0, output_url=f"scripted://{task_id}")
        return TaskStatus(self.script.final, error=self.script.error, error_code="SCRIPTED")

    async def cancel(self, task_id: str) -> None:
        self.calls["cancel"] += 1

    async def fetch_result(self, task_id: str, status: TaskStatus, dest: Path, max_bytes: int) -> Path:
        self.calls["fetch"] += 1
        shutil.copyfile(self.video, dest)
        return dest

    async def aclose(self) -> None:
        pass


class RecordingDelivery:
    """A delivery target that remembers what it was handed."""

    kind = "test"

    def __init__(self):
        self.delivered: Counter = Counter()
        self.failures: list = []
        self.progress_log: list = []

    async def progress(self, update: Progress) -> None:
        self.progress_log.append((update.job.id, update.job.state, update.job.progress, update.queue_position))

    async def deliver(self, job, video: Path) -> Receipt:
        assert video.exists() and video.stat().st_size > 0
        self.delivered[job.id] += 1
        return Receipt(message_id=1000 + job.id)

    async def failed(self, job, message: str) -> None:
        self.failures.append((job.id, message))
