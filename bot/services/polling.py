"""The RUNNING step of a job: poll the provider's task until it ends, and wait between polls.

Split from :mod:`bot.services.runner` (whose JobRunner inherits these steps) so the poll schedule lives in
one place.  The waits are cut short by a cancel (``interrupted``) and never carry a job past its deadline.

Push: when the provider calls back (``provider.pushes``), the poll is only a safety net, at most every
``VIDEOBOT_PUSH_POLL_SECONDS``; the web server records each valid completion call on the job's row
(``pushed_at``) and interrupts the wait, so the job polls at once (the poll stays the source of truth).
A call taken by another process is noticed within ``CANCEL_RECHECK`` seconds, from the row (at once on
PostgreSQL, where its NOTIFY makes the worker look: ``Worker._notice_pushes``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import TYPE_CHECKING

from bot.errors import ProviderTaskFailed, ProviderTimeout, ProviderUnavailable, RateLimited
from bot.providers.base import TaskState, TaskStatus
from bot.services.jobcost import record_actual
from storage import JobState

if TYPE_CHECKING:
    from bot.providers.base import VideoProvider
    from bot.services.runner import Context
    from storage import Job

log = logging.getLogger(__name__)

POLL_CALL_TIMEOUT = 90.0
CANCEL_RECHECK = 2.0  # a long wait re-reads the job this often: a cancel taken by another process stops it


class PollingSteps:
    """The poll loop and its waits (mixed into JobRunner, which provides the attributes below)."""

    ctx: Context
    job: Job
    interrupted: asyncio.Event
    provider_queue: int | None
    push_seen: float | None  # the job's pushed_at when the last poll began

    @property
    def provider(self) -> VideoProvider:  # pragma: no cover - provided by JobRunner
        raise NotImplementedError

    async def check_cancel(self) -> None:  # pragma: no cover - provided by JobRunner
        raise NotImplementedError

    async def save(self, **fields: object) -> Job:  # pragma: no cover - provided by JobRunner
        raise NotImplementedError

    async def notify(self) -> None:  # pragma: no cover - provided by JobRunner
        raise NotImplementedError

    def deadline(self) -> float:  # pragma: no cover - provided by JobRunner
        raise NotImplementedError

    async def nap(self, seconds: float) -> None:
        """Wait between polls; a cancel request or a completion call (push) ends the wait: at once when this
        process took it (``interrupt``), within ``CANCEL_RECHECK`` seconds when another process did (it is
        read from the job's row)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (left := deadline - loop.time()) > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.interrupted.wait(), min(left, CANCEL_RECHECK))
            if self.interrupted.is_set() or (left > CANCEL_RECHECK and await self._cancel_recorded()):
                break
        self.interrupted.clear()

    async def _cancel_recorded(self) -> bool:
        """Whether the row now says stop waiting: a cancel, or a completion call newer than our copy of it."""
        fresh = await self.ctx.storage.jobs.get(self.job.id)
        seen = getattr(self, "push_seen", None)
        return fresh is not None and (fresh.cancel_requested or fresh.pushed_at != seen)

    def safety_net(self, wait: float) -> float:
        """The wait before the next poll: with push expected, at least ``VIDEOBOT_PUSH_POLL_SECONDS``."""
        if getattr(self.provider, "pushes", False):
            return max(wait, self.ctx.settings.push_poll_seconds)
        return wait

    async def poll_until_done(self) -> None:
        """RUNNING → DOWNLOADING, polling with backoff and jitter until the model's deadline."""
        s = self.ctx.settings
        deadline = self.deadline()
        base = float(getattr(self.provider, "poll_interval", s.poll_interval_seconds))
        interval = base
        while True:
            await self.check_cancel()
            self.push_seen = self.job.pushed_at  # a completion call after this is a reason to poll again
            if self.ctx.clock() > deadline:
                raise ProviderTimeout(detail=f"task {self.job.provider_task_id} passed its deadline")
            status, wait = await self._poll_once(interval)
            if status is not None:
                await record_actual(self.ctx, self.job, status)  # terminal: what the provider says it cost
                if status.state is TaskState.SUCCEEDED:
                    await self.save(state=JobState.DOWNLOADING, result_url=status.output_url, progress=1.0)
                    return
                if status.state in (TaskState.FAILED, TaskState.CANCELLED):
                    raise ProviderTaskFailed(
                        status.error or ProviderTaskFailed.user_message, detail=status.error_code or "",
                        provider=self.job.provider, provider_fault=status.provider_fault,
                    )  # fmt: skip
                if status.progress is not None and status.progress - self.job.progress >= 0.01:
                    await self.save(progress=round(status.progress, 3))
                elif status.queue_position != self.provider_queue:  # "#3 in fal's queue", then "rendering"
                    self.provider_queue = status.queue_position
                    await self.notify()
                interval = min(
                    interval * 1.5,
                    max(base, float(getattr(self.provider, "poll_max_interval", s.poll_max_interval_seconds))),
                )
            # A long Retry-After must not carry the job past its deadline.
            wait = self.safety_net(wait * random.uniform(0.8, 1.2))
            await self.nap(min(wait, max(0.0, deadline - self.ctx.clock()) + 0.01))

    async def _poll_once(self, interval: float) -> tuple[TaskStatus | None, float]:
        """One poll; transient failures give (None, how long to wait)."""
        task_id = str(self.job.provider_task_id)
        try:
            status = await asyncio.wait_for(self.provider.poll(task_id), POLL_CALL_TIMEOUT)
        except RateLimited as exc:
            return None, max(interval, exc.retry_after or interval * 2)
        except (ProviderUnavailable, TimeoutError) as exc:
            log.info("job %s: poll failed, will retry: %s", self.job.id, exc)
            return None, interval * 2
        return status, max(interval, status.retry_after or 0.0)
