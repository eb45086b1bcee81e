"""One job's run as the runner and the helpers it owns share it.

:class:`~bot.services.jobs.runner.JobRunner` drives the states; it owns a
:class:`~bot.services.jobs.polling.Poller` (the RUNNING step) and a
:class:`~bot.services.jobs.switching.FallbackMover` (a provider-side failure), and hands both the same
:class:`Run`: the job as last saved, what the run learned on the way, and the few acts every step needs
(save, notify, look for a cancel).  So each helper reads and writes one typed state, never its host's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.media import Media
from bot.providers.base import GenerationRequest, TaskStatus, VideoProvider
from bot.providers.registry import ProviderRegistry
from bot.services.delivery.port import DeliveryRouter, Progress
from bot.services.fallback.policy import Fallback, request_for
from bot.settings import Settings
from storage import Job, JobState, Storage

if TYPE_CHECKING:
    from bot.services.jobs.schedule import PollSchedule

log = logging.getLogger(__name__)

FRESH_RESULT_SECONDS = 60.0  # the answer that said "succeeded" is downloaded from at once while this young


class JobCancelled(Exception):
    """The user asked for the job to stop."""


@dataclass
class Context:
    """What a runner needs (shared by all jobs of a worker)."""

    storage: Storage
    registry: ProviderRegistry
    media: Media
    settings: Settings
    router: DeliveryRouter
    clock: Callable[[], float]
    fallback: Fallback
    polling: dict[str, set[Run]] = field(default_factory=dict)  # model → its runs polling now (siblings)


class Run:
    """One job's run: the job as last saved and the run's working state.  Every write of the job's row goes
    through :meth:`save` (or replaces :attr:`job` with what storage returned)."""

    def __init__(self, ctx: Context, job: Job):
        self.ctx = ctx
        self.job = job
        self.interrupted = asyncio.Event()  # set by Worker.interrupt (a cancel): cut the current wait short
        self.provider_queue: int | None = None  # the last place in the provider's queue that was shown
        self.stage: str | None = None  # the provider's own words for what it does now ("sampling 12/30")
        self.task_created_at: float | None = None  # when this process created the task (set by JobRunner.submit)
        self.schedule: PollSchedule | None = None  # this task's poll schedule (set by the poller)
        self.replanned = False  # a sibling finished and changed :attr:`schedule`: the wait is to be worked out again
        self.succeeded: tuple[TaskStatus, float] | None = None  # the poll that said "succeeded", and when

    @property
    def provider(self) -> VideoProvider:
        """The job's provider."""
        return self.ctx.registry.provider(self.job.model)

    async def save(self, **fields: object) -> Job:
        """Persist fields (state changes are conditional on the state we believe in)."""
        self.job = await self.ctx.storage.jobs.update(self.job.id, expect=[self.job.state], **fields)
        if "state" in fields or "progress" in fields:
            await self.notify()
        return self.job

    async def notify(self) -> None:
        """Tell the delivery target about progress; its failures never stop the job."""
        try:
            target = self.ctx.router.target_for(self.job)
            update = Progress(
                self.job,
                provider_queue=self.provider_queue or 0,
                seconds_left=self.seconds_left(),
                stage=self.stage or "",
            )
            await target.progress(update)
        except Exception:
            log.warning("progress notice for job %s failed", self.job.id, exc_info=True)

    def request(self) -> GenerationRequest:
        """The provider request, rebuilt from the stored job (identical after a restart)."""
        return request_for(self.job.id, self.job.model, self.job.spec, self.job.inputs)

    async def check_cancel(self) -> None:
        """Raise JobCancelled when a cancel was requested (re-read from storage)."""
        fresh = await self.ctx.storage.jobs.get(self.job.id)
        if fresh is not None:
            self.job = fresh
        if self.job.cancel_requested:
            raise JobCancelled()

    def fresh_success(self) -> TaskStatus | None:
        """The answer a poll of this run gave when the task succeeded, taken once, while it is younger than
        ``FRESH_RESULT_SECONDS``: the download uses its output link instead of asking the provider again.
        None after a restart, a retried download or a long pause (the link may have expired: ask again)."""
        seen, self.succeeded = self.succeeded, None
        if seen is None or self.ctx.clock() - seen[1] > FRESH_RESULT_SECONDS:
            return None
        return seen[0]

    def deadline(self) -> float:
        """When the provider task must be finished: the model's deadline, counted from the first submit."""
        info = self.ctx.registry.model(self.job.model)
        limit = info.deadline_seconds or self.ctx.settings.job_deadline_seconds
        return (self.job.started_at or self.ctx.clock()) + limit

    def seconds_left(self) -> float | None:
        """The expected seconds to the provider's finish (for the progress message), when the model has history."""
        schedule = self.schedule
        if schedule is None or schedule.expected is None or self.job.state is not JobState.RUNNING:
            return None
        origin = self.task_created_at or self.job.started_at or self.ctx.clock()
        return schedule.seconds_left(self.ctx.clock() - origin)
