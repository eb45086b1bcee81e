"""The RUNNING step of a job: poll the provider's task until it ends, and wait between polls.

A :class:`Poller` is owned by the job's :class:`~bot.services.jobs.runner.JobRunner`, which hands it the run's
state (:class:`~bot.services.jobs.run.Run`); the poll schedule lives in one place
(:mod:`bot.services.jobs.schedule` decides each wait).  The waits are cut short by a cancel
(``interrupted``) and never carry a job past its deadline.

Push: when the provider calls back (``provider.pushes``), the poll is only a safety net: until the model's
learned run time plus its spread has passed, at most every ``VIDEOBOT_PUSH_POLL_SECONDS``; after it with no call,
as adaptive polling would; with nothing learned, on the backoff (``PollSchedule.with_push``).  A result found by
a poll with no call come is marked on the row (``push_missed_at``, counted by /admin status).  The web server
records each valid completion call on the job's row (``pushed_at``) and interrupts the wait, so the job polls at
once (the poll stays the source of truth).  A call taken by another process is noticed within
``CANCEL_RECHECK`` seconds, from the row (at once on PostgreSQL, where its NOTIFY makes the worker look:
``Worker._notice_pushes``).

Siblings: the runs polling a model are listed in ``Context.polling``; when one finishes with a run time measured
here, the others are re-planned from it (``PollSchedule.after_sibling``) and their waits worked out again: one
created about as long ago polls at once.  A ``Retry-After`` still holds after a re-plan.  The jitter of siblings
is stratified (``schedule.stratified``) so that their polls are spread evenly and one sees a shared finish soon.

The answer that says the task succeeded is kept on the run (``Run.succeeded``): the download starts from its link
at once instead of reading the task again (``JobRunner.download``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import TYPE_CHECKING

from bot.errors import ProviderTaskFailed, ProviderTimeout, ProviderUnavailable, RateLimited
from bot.providers.base import TaskState, TaskStatus
from bot.services.jobs.jobcost import record_actual
from bot.services.jobs.schedule import PollSchedule, stratified
from storage import JobState

if TYPE_CHECKING:
    from bot.services.jobs.run import Run
    from storage import ModelTiming

log = logging.getLogger(__name__)

POLL_CALL_TIMEOUT = 90.0
CANCEL_RECHECK = 2.0  # a long wait re-reads the job this often: a cancel taken by another process stops it


class Poller:
    """The poll loop and its waits, for one run (owned by its JobRunner)."""

    def __init__(self, run: Run):
        self.run = run
        self.ctx = run.ctx
        self.push_seen: float | None = None  # the job's pushed_at when the last poll began
        self.run_time_learned = False  # this task's run time was counted for its model

    async def nap(self, seconds: float) -> None:
        """Wait between polls; a cancel request or a completion call (push) ends the wait: at once when this
        process took it (``interrupt``), within ``CANCEL_RECHECK`` seconds when another process did (it is
        read from the job's row)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (left := deadline - loop.time()) > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.run.interrupted.wait(), min(left, CANCEL_RECHECK))
            if self.run.interrupted.is_set() or (left > CANCEL_RECHECK and await self._cancel_recorded()):
                break
        self.run.interrupted.clear()

    async def _cancel_recorded(self) -> bool:
        """Whether the row now says stop waiting: a cancel, or a completion call newer than our copy of it."""
        fresh = await self.ctx.storage.jobs.get(self.run.job.id)
        return fresh is not None and (fresh.cancel_requested or fresh.pushed_at != self.push_seen)

    @property
    def pushes(self) -> bool:
        """Whether the provider is to call back when the task ends."""
        return bool(getattr(self.run.provider, "pushes", False))

    def safety_net(self, wait: float, elapsed: float) -> float:
        """The wait before the next poll, ``elapsed`` s after the task was created: with push expected, see
        :meth:`PollSchedule.with_push`."""
        if self.pushes and self.run.schedule is not None:
            return self.run.schedule.with_push(wait, elapsed, self.ctx.settings.push_poll_seconds)
        return wait

    def poll_schedule(self, timing: ModelTiming | None) -> PollSchedule:
        """This task's schedule: the model's learned run time (when adaptive polling is on), else the cold start
        (adaptive polling on) or the backoff (off)."""
        s = self.ctx.settings
        learned = timing is not None and s.poll_adaptive
        return PollSchedule.build(
            float(getattr(self.run.provider, "poll_interval", s.poll_interval_seconds)),
            float(getattr(self.run.provider, "poll_max_interval", s.poll_max_interval_seconds)),
            s.poll_brisk_seconds,
            expected=timing.mean_seconds if learned and timing else None,
            spread=timing.spread_seconds if learned and timing else 0.0,
            provider_brisk=float(getattr(self.run.provider, "poll_brisk_interval", 0.0)),
            cold=s.poll_adaptive,
        )

    async def poll_until_done(self) -> None:
        """RUNNING → DOWNLOADING, polling on the model's schedule (bot.services.jobs.schedule) until its deadline."""
        siblings = self.ctx.polling.setdefault(self.run.job.model, set())
        siblings.add(self.run)
        try:
            await self._poll_loop()
        finally:
            siblings.discard(self.run)
            if not siblings:
                self.ctx.polling.pop(self.run.job.model, None)

    def _replan_siblings(self, run_time: float) -> None:
        """This task finished in ``run_time`` s: re-plan the model's other tasks in flight (module docstring)."""
        count = 0
        for sibling in self.ctx.polling.get(self.run.job.model, ()):
            if sibling is self.run or sibling.schedule is None:
                continue
            replanned = sibling.schedule.after_sibling(run_time)
            if replanned != sibling.schedule:
                sibling.schedule, sibling.replanned = replanned, True
                sibling.interrupted.set()
                count += 1
        if count:
            log.info(
                "job %s: %s finished in %.1f s; %d in flight re-planned",
                self.run.job.id,
                self.run.job.model,
                run_time,
                count,
            )

    def _jitter_draw(self) -> float:
        """The jitter's uniform draw, stratified over the model's tasks in flight (``schedule.stratified``)."""
        ids = sorted(run.job.id for run in self.ctx.polling.get(self.run.job.model, ()))
        if self.run.job.id not in ids:
            return random.random()
        return stratified(ids.index(self.run.job.id), len(ids), random.random())

    async def _poll_loop(self) -> None:
        deadline = self.run.deadline()
        self.run.schedule = await self._load_schedule()
        # Run times are learned only from tasks this process saw created (after a restart the origin is a guess).
        exact = self.run.task_created_at is not None and not self.run_time_learned
        origin = self.run.task_created_at or self.run.job.started_at or self.ctx.clock()
        polls, unfinished_at, floor = 0, origin, 0.0
        last_sent: float | None = None  # when the last poll went out
        while True:
            schedule = self.run.schedule
            interval = max(schedule.next_wait(self.ctx.clock() - origin, polls), floor)
            not_before = self.ctx.clock() + floor  # the provider's Retry-After, kept through a re-plan
            if interval > 0:  # a long Retry-After must not carry the job past its deadline
                left = max(0.0, deadline - self.ctx.clock()) + 0.01
                wait = self.safety_net(schedule.jittered(interval, self._jitter_draw()), self.ctx.clock() - origin)
                await self.nap(min(max(wait, floor), left))
            while self.run.replanned:  # a sibling finished: wait as the new plan says (often not at all)
                self.run.replanned = False
                schedule = self.run.schedule
                since = None if last_sent is None else self.ctx.clock() - last_sent
                rest = max(schedule.replan_wait(self.ctx.clock() - origin, since), not_before - self.ctx.clock())
                if rest > 0:
                    await self.nap(min(rest, max(0.0, deadline - self.ctx.clock()) + 0.01))
            await self.run.check_cancel()
            self.push_seen = self.run.job.pushed_at  # a completion call after this is a reason to poll again
            if self.ctx.clock() > deadline:
                raise ProviderTimeout(detail=f"task {self.run.job.provider_task_id} passed its deadline")
            sent = last_sent = self.ctx.clock()
            step = max(interval, schedule.brisk if schedule.adaptive else schedule.base)
            status, floor, limited = await self._poll_once(step)
            if limited:
                self.run.schedule = schedule.throttled()
            if status is None:
                continue
            polls += 1
            await record_actual(self.ctx, self.run.job, status)  # terminal: what the provider says it cost
            if status.state is TaskState.SUCCEEDED:
                if exact:  # the provider finished between the last "not yet" and this answer
                    self.run_time_learned = True  # once per task, even if the download finds it unfinished
                    run_time = self._finished_at(unfinished_at) - origin
                    self._replan_siblings(run_time)
                    await self._learn(run_time)
                self.run.succeeded = (status, self.ctx.clock())  # the download starts from this answer
                pushes_missed = self.pushes and self.run.job.pushed_at is None
                missed = {"push_missed_at": self.ctx.clock()} if pushes_missed else {}
                await self.run.save(state=JobState.DOWNLOADING, result_url=status.output_url, progress=1.0, **missed)
                return
            if status.state in (TaskState.FAILED, TaskState.CANCELLED):
                raise ProviderTaskFailed(
                    status.error or ProviderTaskFailed.user_message,
                    detail=status.error_code or "",
                    provider=self.run.job.provider,
                    provider_fault=status.provider_fault,
                )
            unfinished_at = sent
            stage_moved = status.stage != self.run.stage
            self.run.stage = status.stage
            if status.progress is not None and status.progress - self.run.job.progress >= 0.01:
                await self.run.save(progress=round(status.progress, 3))
            elif status.queue_position != self.run.provider_queue:  # "#3 in fal's queue", then "rendering"
                self.run.provider_queue = status.queue_position
                await self.run.notify()
            elif stage_moved:  # "sampling 12/30" (ComfyUI)
                await self.run.notify()

    async def _load_schedule(self) -> PollSchedule:
        """The schedule from the model's learned run time; shows "about N s left" when there is one."""
        try:
            timing = await self.ctx.storage.timings.get(self.run.job.model)
        except Exception:  # the estimate is an optimisation: without it, poll as before
            log.warning("job %s: run time of %s not read", self.run.job.id, self.run.job.model, exc_info=True)
            timing = None
        schedule = self.run.schedule = self.poll_schedule(timing)
        if schedule.adaptive:
            await self.run.notify()
        return schedule

    def _finished_at(self, unfinished_at: float) -> float:
        """When the provider finished: its completion call if one came after the last "not yet", else halfway
        between that poll and this answer."""
        now = self.ctx.clock()
        pushed = self.run.job.pushed_at
        if pushed is not None and unfinished_at <= pushed <= now:
            return pushed
        return (unfinished_at + now) / 2

    async def _learn(self, seconds: float) -> None:
        """Count one run of the model (its estimate for the next jobs); a storage failure never stops the job."""
        try:
            await self.ctx.storage.timings.record(self.run.job.model, seconds, now=self.ctx.clock())
        except Exception:
            log.warning("job %s: run time of %s not recorded", self.run.job.id, self.run.job.model, exc_info=True)

    async def _poll_once(self, interval: float) -> tuple[TaskStatus | None, float, bool]:
        """One poll: (status or None after a transient failure, the least wait before the next poll, whether the
        provider said 429)."""
        task_id = str(self.run.job.provider_task_id)
        try:
            status = await asyncio.wait_for(self.run.provider.poll(task_id), POLL_CALL_TIMEOUT)
        except RateLimited as exc:
            return None, max(interval, exc.retry_after or interval * 2), True
        except (ProviderUnavailable, TimeoutError) as exc:
            log.info("job %s: poll failed, will retry: %s", self.run.job.id, exc)
            return None, interval * 2, False
        return status, status.retry_after or 0.0, False
