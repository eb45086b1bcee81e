"""The job worker: one dispatch loop (RoboDanny's durable timers, arq's semantics).

The loop renews its leases and starts every due job it can deliver while the limits allow (overall, per
provider, per user), then sleeps until :meth:`Worker.wake`, the next job's due time or the idle maximum.
Jobs already past QUEUED (resumed after a restart) are always restarted: their provider task exists and is
being paid for.
Each job runs in its own task through :class:`~bot.services.jobs.runner.JobRunner`; a failure that is
not retryable ends the job FAILED with its reservation refunded, in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from bot.errors import ProviderError, VideobotError
from bot.i18n import told
from bot.media import Media
from bot.providers.registry import ProviderRegistry
from bot.services.delivery.port import CANCELLED_NOTICE, FILM_PARTS, DeliveryRouter, Progress
from bot.services.fallback.policy import Fallback
from bot.services.jobs.film import is_directed
from bot.services.jobs.run import Context, JobCancelled
from bot.services.jobs.runner import JobRunner, RetryLater
from bot.settings import Settings
from storage import Caps, Job, JobState, StaleJob, Storage

log = logging.getLogger(__name__)


LEASE_SECONDS = 60.0
RENEW_EVERY = 15.0
DUE_MARGIN = 0.05  # wake this long after a job falls due, so the clock is surely past it
MAX_UNEXPECTED_ATTEMPTS = 3
STOP_GRACE = 2.0  # seconds stop() lets cancelled tasks end before it cuts their waits short as well


class Worker:
    """Runs jobs from storage until stopped."""

    def __init__(
        self,
        storage: Storage,
        registry: ProviderRegistry,
        media: Media,
        settings: Settings,
        router: DeliveryRouter,
        clock: Callable[[], float] = time.time,
    ):
        self.ctx = Context(storage, registry, media, settings, router, clock, Fallback(registry, settings))
        self.settings = settings
        self.worker_id = settings.worker_id
        self._held = False  # whether storage holds settings.worker_id for us
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._runners: dict[int, JobRunner] = {}
        self._owners: dict[int, tuple[int, str]] = {}
        self._event = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None
        self._stopping = False  # set by stop(): the loops end at their next look even if a cancel is swallowed
        self._last_renew = 0.0
        self._dispatched_at = 0.0  # the clock when dispatch_once last looked for due jobs
        self._queued_seen: dict[int, int] = {}
        self._ended: dict[int, asyncio.Event] = {}  # set when a run of the job ends here (wait_for looks at once)

    # --- lifecycle -------------------------------------------------------------------------------------
    def wake(self) -> None:
        """Look for work now."""
        self._event.set()

    def interrupt(self, job_id: int) -> None:
        """A running job should look at its row again now (a cancel or a completion call arrived, a local render
        ended): end its current wait."""
        runner = self._runners.get(job_id)
        if runner is not None:
            runner.interrupted.set()
        self.wake()

    async def start(self) -> None:
        """Start the dispatch loop (jobs left by a previous run are resumed by it)."""
        if self._loop is None:
            self._stopping = False
            await self._take_identity()
            self._loop = asyncio.create_task(self._run_loop(), name="videobot-worker")

    async def _take_identity(self) -> None:
        """Hold our worker id in storage while running (SQLite: a lock file; PostgreSQL: an advisory lock).

        A restarted process takes the same id back at once (the dead one's lock died with it) and so
        resumes its jobs without waiting for their leases to expire.  A second live process (on the same
        data dir, or on PostgreSQL on any machine) finds the id taken and runs under an id of its own, so
        the two never both claim a job.
        """
        if self._held:
            return
        self._held = await self.ctx.storage.hold_worker_id(self.settings.worker_id)
        if not self._held:
            self.worker_id = f"{self.settings.worker_id}-{os.getpid()}-{secrets.token_hex(2)}"
            log.warning(
                "worker id %r is in use by another process; running as %r", self.settings.worker_id, self.worker_id
            )

    async def stop(self) -> None:
        """Stop dispatching and interrupt running jobs; their state stays resumable.

        Besides the cancel, the loops are told to end, and a task still running after ``STOP_GRACE`` has its
        wait cut short: on Python 3.11 an ``asyncio.wait_for`` (asyncpg's, say) whose awaited call completes
        just as the cancel arrives swallows it, and the dispatch loop would go back to an idle sleep of up to
        ``worker_idle_max_seconds``, a job to a poll interval's wait."""
        self._stopping = True
        tasks = [t for t in (self._loop, *self._tasks.values()) if t is not None]
        for task in tasks:
            task.cancel()
        if tasks and (pending := (await asyncio.wait(tasks, timeout=STOP_GRACE))[1]):
            self._event.set()  # a cancel was swallowed: end the waits, the loops see _stopping and end
            for runner in self._runners.values():
                runner.interrupted.set()
            await asyncio.wait(pending)
        for task in tasks:  # ended (a job's own errors were logged by it): nothing is left to retrieve
            if not task.cancelled():
                task.exception()
        self._loop = None
        if self._held:
            self._held = False
            with contextlib.suppress(Exception):
                await self.ctx.storage.release_worker_id(self.settings.worker_id)

    @property
    def running(self) -> int:
        """How many jobs this worker is running."""
        return len(self._tasks)

    async def _run_loop(self) -> None:
        while not self._stopping:
            try:
                await self.dispatch_once()
                await self._notice_pushes()
                delay = await self.idle_delay()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("worker dispatch failed; retrying")
                delay = min(1.0, self.settings.worker_idle_max_seconds)
            await self._sleep(delay)
            self._event.clear()

    async def _sleep(self, delay: float) -> None:
        """Until a wake-up here, work announced through the database (PostgreSQL's LISTEN/NOTIFY: a job
        created or finished by any process), or ``delay``, whichever comes first."""
        if self._stopping:
            return
        waits = [
            asyncio.create_task(self._event.wait(), name="videobot-wake"),
            asyncio.create_task(self.ctx.storage.wait_for_work(delay), name="videobot-listen"),
        ]
        try:
            await asyncio.wait(waits, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
            await asyncio.gather(*waits, return_exceptions=True)

    async def idle_delay(self) -> float:
        """How long the loop may sleep before it must look again (a wake-up ends the sleep sooner).

        Until the next job falls due (a retry's parking time, another worker's lease running out), our own
        leases need renewing, or at the most ``worker_idle_max_seconds``: jobs that another process puts on
        the same database (the CLI) wake nobody here.  Jobs due now that could not start (no slot) start
        when one of ours ends, which wakes the loop.
        """
        # What fell due since the last dispatch looked counts too: it was not seen then.
        due = await self.ctx.storage.jobs.next_due(now=self._dispatched_at, worker_id=self.worker_id)
        now = self.ctx.clock()
        delay = self.settings.worker_idle_max_seconds
        if self._tasks:
            delay = min(delay, self._last_renew + RENEW_EVERY - now)
        if due is not None:
            delay = min(delay, due - now + DUE_MARGIN)
        return max(0.0, delay)

    # --- dispatch --------------------------------------------------------------------------------------
    async def dispatch_once(self) -> int:
        """Start what can be started; return how many jobs were started."""
        now = self._dispatched_at = self.ctx.clock()
        if not self._tasks:
            self._last_renew = now  # no lease of ours to renew; those claimed below are fresh
        elif now - self._last_renew >= RENEW_EVERY:
            await self.ctx.storage.jobs.renew_leases(self.worker_id, now=now, lease_seconds=LEASE_SECONDS)
            self._last_renew = now
        kinds = self.ctx.router.kinds()
        started = 0
        for job in await self.ctx.storage.jobs.runnable(now=now, skip=self._tasks.keys()):
            if job.id in self._tasks or job.delivery_kind not in kinds:
                continue
            if job.state is JobState.QUEUED and not self._has_slot(job):
                continue
            claimed = await self.ctx.storage.jobs.claim(
                job.id, worker_id=self.worker_id, now=now, lease_seconds=LEASE_SECONDS, caps=self._caps(job)
            )
            if claimed is None:
                continue
            self._owners[job.id] = (job.owner_id, job.provider)
            self._tasks[job.id] = asyncio.create_task(self._run_job(claimed), name=f"videobot-job-{job.id}")
            started += 1
        if started:
            await self._announce_queue()
        return started

    async def _notice_pushes(self) -> None:
        """End the waits of our jobs that a completion call taken by another process marked (its NOTIFY woke us)."""
        waiting = {
            i: r
            for i, r in self._runners.items()
            if getattr(self.ctx.registry.providers.get(r.job.provider), "pushes", False)
        }
        if waiting:
            for job in await self.ctx.storage.jobs.search(states=[JobState.RUNNING], limit=1000):
                runner = waiting.get(job.id)
                if runner is not None and job.pushed_at != getattr(runner, "push_seen", None):
                    runner.interrupted.set()

    def _caps(self, job: Job) -> Caps:
        """The per-user and per-provider running caps, counted by the claim over every process's jobs."""
        return Caps(per_user=self.settings.max_running_per_user, per_provider=self._provider_limit(job))

    def _has_slot(self, job: Job) -> bool:
        """This process's own capacity (a quick pre-filter; the claim checks the caps across processes)."""
        owners = list(self._owners.values())
        if len(owners) >= self.settings.max_concurrent_jobs:
            return False
        if Counter(user for user, _ in owners)[job.owner_id] >= self.settings.max_running_per_user:
            return False
        return Counter(p for _, p in owners)[job.provider] < self._provider_limit(job)

    def _provider_limit(self, job: Job) -> int:
        """Jobs of one provider running at once: the local renderer's slots, ComfyUI's per server × servers."""
        if job.provider == "local":
            return self.settings.local_concurrency
        if job.provider == "comfyui":
            return self.settings.comfyui_concurrency * max(1, len(self.settings.comfyui_url))
        return self.settings.provider_concurrency

    async def _announce_queue(self) -> None:
        """Queued jobs moved up: tell their targets their new positions."""
        queued = await self.ctx.storage.jobs.search(states=[JobState.QUEUED], limit=100, newest_first=False)
        kinds = self.ctx.router.kinds()
        for position, job in enumerate(queued, start=1):
            if self._queued_seen.get(job.id) == position or job.delivery_kind not in kinds or is_directed(job):
                continue  # (a film whose shots are being made shows its own line: "Shot 2 of 5 rendering · …")
            self._queued_seen[job.id] = position
            with contextlib.suppress(Exception):
                await self.ctx.router.target_for(job).progress(Progress(job, queue_position=position))

    # --- one job ---------------------------------------------------------------------------------------
    async def _run_job(self, job: Job) -> None:
        runner = JobRunner(self.ctx, job)
        self._runners[job.id] = runner
        self._queued_seen.pop(job.id, None)
        try:
            while not runner.job.state.finished and not self._stopping:
                await runner.step()
        except asyncio.CancelledError:
            raise  # shutdown: the stored state is where we resume
        except RetryLater as retry:
            await self._defer(runner.job, retry.defer, str(retry))
        except JobCancelled:
            await self._finish_cancelled(runner)
        except StaleJob as exc:
            log.info("job %s changed under us (%s); leaving it", job.id, exc)
        except VideobotError as exc:
            await self._fail(runner, exc)
        except Exception as exc:  # a bug or an unmapped library error: retry a few times, then fail
            ref = secrets.token_hex(3)
            log.exception("job %s: unexpected error (ref %s)", job.id, ref)
            current = runner.job
            if current.attempts + 1 < MAX_UNEXPECTED_ATTEMPTS:
                await self._defer(current, 5.0 * (current.attempts + 1), repr(exc), count=True)
            else:
                await self._fail(runner, VideobotError(f"Something went wrong (ref {ref}).", detail=repr(exc)))
        finally:
            self._runners.pop(job.id, None)
            self._tasks.pop(job.id, None)
            self._owners.pop(job.id, None)
            if (ended := self._ended.get(job.id)) is not None:
                ended.set()
            await self._wake_film(runner.job)
            self.wake()

    async def _wake_film(self, job: Job) -> None:
        """A /sequence shot (or the film's soundtrack) ended: its film looks now rather than at its next planned
        look."""
        if job.kind in FILM_PARTS and job.parent_job_id is not None and job.state.finished:
            with contextlib.suppress(Exception):
                await self.ctx.storage.jobs.update(job.parent_job_id, next_attempt_at=None)

    async def _defer(self, job: Job, seconds: float, reason: str, *, count: bool = False) -> None:
        log.info("job %s: %s; next attempt in %.1fs", job.id, reason, seconds)
        fields: dict[str, Any] = {"next_attempt_at": self.ctx.clock() + seconds, "lease_owner": None}
        if count:
            fields["attempts"] = job.attempts + 1
        with contextlib.suppress(StaleJob):
            await self.ctx.storage.jobs.update(job.id, **fields)

    async def _finish_cancelled(self, runner: JobRunner) -> None:
        job = runner.job
        if job.provider_task_id and not job.state.finished:
            try:
                await runner.provider.cancel(job.provider_task_id)
            except Exception:
                log.warning("job %s: provider cancel failed", job.id, exc_info=True)
        job = await self.ctx.storage.jobs.finish(
            job.id, JobState.CANCELLED, now=self.ctx.clock(), ledger="refunded", error="Cancelled."
        )
        runner.job = job
        await self.ctx.router.ended(job, CANCELLED_NOTICE)

    async def _fail(self, runner: JobRunner, exc: VideobotError) -> None:
        job = runner.job
        log.warning("job %s failed: %s | %s", job.id, exc.user_message, exc.detail)
        if isinstance(exc, ProviderError) and job.provider_task_id and job.state is JobState.RUNNING:
            with contextlib.suppress(Exception):
                await runner.provider.cancel(job.provider_task_id)
        message = exc.user_message
        job = await self.ctx.storage.jobs.finish(
            job.id,
            JobState.FAILED,
            now=self.ctx.clock(),
            ledger="refunded",
            error=message,
            error_detail=exc.detail[:2000],
        )
        runner.job = job
        await self.ctx.router.ended(job, told(exc))  # in the member's language where the error has the words

    # --- for the CLI and tests -----------------------------------------------------------------------------
    async def wait_for(self, job_id: int, *, timeout: float, on_update: Callable[[Job], None] | None = None) -> Job:
        """Run until the job is finished (starting the loop if needed); return its final row.  The row is read
        when a run of the job ends in this process, and at least every 0.2 s (progress, other processes)."""
        await self.start()
        deadline = time.monotonic() + timeout
        ended = self._ended.setdefault(job_id, asyncio.Event())
        try:
            while True:
                ended.clear()  # before the read: a run that ends after it is not missed
                job = await self.ctx.storage.jobs.get(job_id)
                if job is None:
                    raise VideobotError(f"Job #{job_id} vanished.")
                if on_update is not None:
                    on_update(job)
                if job.state.finished:
                    return job
                if time.monotonic() > deadline:
                    raise TimeoutError(f"job {job_id} still {job.state} after {timeout:.0f}s")
                with contextlib.suppress(TimeoutError):  # the row is read again at least every 0.2 s (progress)
                    await asyncio.wait_for(ended.wait(), 0.2)
        finally:
            self._ended.pop(job_id, None)
