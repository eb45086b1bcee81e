"""One job's state machine.  Each step writes its new state before the next step starts, so a
process killed anywhere resumes from the database:

    QUEUED ─submit─▶ SUBMITTING ─task id─▶ RUNNING ─poll─▶ DOWNLOADING ─▶ POSTPROCESSING ─▶ DELIVERING ─▶ DONE
      ▲                  │ (resumed: find_task; found → RUNNING, certainly absent → QUEUED, unknown → FAILED)
      └── retryable refusal of the create (429/5xx before a task existed) waits and goes back to QUEUED
      └── a provider-side failure (no task made, or the task failed on the provider's side) moves the job to a
          fallback model, back to QUEUED, in one transaction (bot.services.jobs.switching)

A job found in SUBMITTING is never submitted again unless the provider says the task does not exist,
and a job is delivered only from DELIVERING, then marked DONE in the same breath (see bot.services.delivery.port).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from bot.errors import (
    DeliveryError,
    MediaError,
    ProviderAuthError,
    ProviderError,
    ProviderModelGone,
    ProviderTaskFailed,
    ProviderUnavailable,
    RateLimited,
    SubmitUncertain,
)
from bot.media import Media
from bot.providers.base import GenerationRequest, TaskState, VideoProvider
from bot.providers.registry import ProviderRegistry
from bot.services.delivery.port import DeliveryRouter, NotYet, Progress
from bot.services.fallback.policy import Fallback, falls_back, request_for
from bot.services.jobs.jobcost import record_actual, reprice
from bot.services.jobs.polling import POLL_CALL_TIMEOUT, PollingSteps
from bot.services.jobs.switching import FallbackSteps
from bot.services.web.posters import add_poster
from bot.settings import Settings
from storage import Job, JobState, Storage

log = logging.getLogger(__name__)

SUBMIT_TIMEOUT = 120.0
DELIVER_TIMEOUT = 600.0
MAX_VIDEO_SECONDS = 600.0
MAX_DELIVERY_ATTEMPTS = 6


class RetryLater(Exception):
    """Stop this step now; run the job again after ``defer`` seconds (arq's Retry)."""

    def __init__(self, defer: float, reason: str = ""):
        super().__init__(reason or f"retry in {defer:.1f}s")
        self.defer = defer


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


class JobRunner(PollingSteps, FallbackSteps):
    """Drives one job to a final state (or to a RetryLater)."""

    def __init__(self, ctx: Context, job: Job):
        self.ctx = ctx
        self.job = job
        self.interrupted = asyncio.Event()  # set by Worker.interrupt (a cancel): cut the current wait short
        self.provider_queue: int | None = None  # the last place in the provider's queue that was shown

    # --- helpers -------------------------------------------------------------------------------------
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
            update = Progress(self.job, provider_queue=self.provider_queue or 0, seconds_left=self.seconds_left())
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

    # --- the steps -----------------------------------------------------------------------------------
    async def step(self) -> None:
        """Advance one state."""
        await self.check_cancel()
        state = self.job.state
        if state is JobState.QUEUED:
            await self.submit()
        elif state is JobState.SUBMITTING:
            await self.resume_submit()
        elif state is JobState.RUNNING:
            try:
                await self.poll_until_done()
            except ProviderTaskFailed as exc:  # failed at the provider's side: another model may make it
                if falls_back(exc) and await self.fall_back(exc):
                    raise RetryLater(0.0, "moved to a fallback model") from exc
                raise
        elif state is JobState.DOWNLOADING:
            await self.download()
        elif state is JobState.POSTPROCESSING:
            await self.postprocess()
        elif state is JobState.DELIVERING:
            await self.deliver()

    async def submit(self) -> None:
        """QUEUED → SUBMITTING → RUNNING (task id persisted first).  A create that certainly made no task and
        failed on the provider's side moves the job to a fallback model (back to QUEUED, on the new model)."""
        if await self.skip_open_provider():  # the provider's breaker is open: straight to the fallback
            raise RetryLater(0.0, "moved to a fallback model")
        now = self.ctx.clock()
        await self.save(state=JobState.SUBMITTING, started_at=self.job.started_at or now)
        try:
            task_id = await asyncio.wait_for(self.provider.submit(self.request()), SUBMIT_TIMEOUT)
        except RateLimited as exc:
            wait = exc.retry_after or 10.0
            if self.ctx.clock() + wait > self.deadline() and await self.fall_back(exc):
                raise RetryLater(0.0, "moved to a fallback model") from exc
            await self._requeue(wait, exc)
        except SubmitUncertain:
            raise  # a task may exist: never sent anywhere else
        except (ProviderUnavailable, ProviderAuthError, ProviderModelGone) as exc:  # certainly no task
            if await self.fall_back(exc):
                raise RetryLater(0.0, "moved to a fallback model") from exc
            if not isinstance(exc, ProviderUnavailable):
                raise
            await self._requeue(15.0, exc)
        except TimeoutError:
            # The create may have landed: look for it instead of sending it again.
            await self.resume_submit()
            return
        else:
            self.task_created_at = self.ctx.clock()  # the origin of the run time learned for the model
            await self.save(state=JobState.RUNNING, provider_task_id=task_id, progress=0.0)
            await reprice(self.ctx, self.job)  # priced for the model that actually runs it
            await self.ctx.storage.breakers.succeeded(self.job.provider, now=self.ctx.clock())

    async def _requeue(self, defer: float, exc: ProviderError) -> None:
        """The provider refused the create before a task existed: wait and try again from QUEUED."""
        if self.job.attempts >= 4 or self.ctx.clock() + defer > self.deadline():
            raise exc  # a task created after the deadline would only be cancelled (and paid for)
        await self.save(state=JobState.QUEUED, attempts=self.job.attempts + 1)
        raise RetryLater(defer, f"create refused: {exc.detail or exc.user_message}")

    def deadline(self) -> float:
        """When the provider task must be finished: the model's deadline, counted from the first submit."""
        info = self.ctx.registry.model(self.job.model)
        limit = info.deadline_seconds or self.ctx.settings.job_deadline_seconds
        return (self.job.started_at or self.ctx.clock()) + limit

    async def resume_submit(self) -> None:
        """A job left in SUBMITTING: find its task; resubmit only when it certainly does not exist."""
        task_id = await self.provider.find_task(self.request())  # raises SubmitUncertain if it can't tell
        if task_id:
            log.info("job %s: found task %s created before the restart", self.job.id, task_id)
            await self.save(state=JobState.RUNNING, provider_task_id=task_id)
            await reprice(self.ctx, self.job)
        else:
            await self.save(state=JobState.QUEUED)

    async def download(self) -> None:
        """DOWNLOADING → POSTPROCESSING.  Re-polls first: stored URLs may have expired."""
        try:
            status = await asyncio.wait_for(self.provider.poll(str(self.job.provider_task_id)), POLL_CALL_TIMEOUT)
        except (ProviderUnavailable, TimeoutError) as exc:  # a 429/5xx now must not lose a finished video
            await self._retry_download(exc)
        if not status.state.terminal:  # a provider that reports success early: keep polling
            await self.save(state=JobState.RUNNING)
            return
        if status.state is not TaskState.SUCCEEDED:
            await record_actual(self.ctx, self.job, status)
            raise ProviderTaskFailed(status.error or ProviderTaskFailed.user_message, detail=f"task {status.state}")
        raw = self.ctx.settings.media_dir / "raw" / f"{self.job.id}.mp4"
        raw.parent.mkdir(parents=True, exist_ok=True)
        s = self.ctx.settings
        try:
            path = await asyncio.wait_for(
                self.provider.fetch_result(str(self.job.provider_task_id), status, raw, s.max_download_bytes),
                s.ffmpeg_timeout_seconds,
            )
        except (ProviderUnavailable, TimeoutError) as exc:
            await self._retry_download(exc)
        await self.save(state=JobState.POSTPROCESSING, raw_path=str(path))

    async def _retry_download(self, exc: Exception) -> NoReturn:
        """A transient failure while fetching the result: try again later, a few times, then fail."""
        if self.job.attempts >= 4:
            raise ProviderUnavailable("The finished video could not be downloaded.", detail=str(exc)) from exc
        await self.save(attempts=self.job.attempts + 1)
        wait = max(2 * self.ctx.settings.retry_base_seconds, getattr(exc, "retry_after", None) or 0.0)
        raise RetryLater(wait, f"download failed: {exc}") from exc

    async def postprocess(self) -> None:
        """POSTPROCESSING → DELIVERING: check the video, join extensions, fix the format if needed."""
        results = self.ctx.settings.media_dir / "results"
        results.mkdir(parents=True, exist_ok=True)
        result = results / f"{self.job.id}.mp4"
        raw = Path(str(self.job.raw_path))
        if not result.exists():
            info = await self.ctx.media.probe(raw)
            if info.duration <= 0 or info.duration > MAX_VIDEO_SECONDS or not info.width:
                raise MediaError("The provider returned something that is not a usable video.",
                                 detail=f"duration={info.duration} size={info.width}x{info.height}")  # fmt: skip
            concat_with = self.job.inputs.get("concat_with")
            if concat_with:
                await self.ctx.media.concat([Path(concat_with), raw], result)
            elif info.codec != "h264" or info.pix_fmt != "yuv420p":
                await self.ctx.media.resize(raw, result, info.width, info.height)
            else:
                os.replace(raw, result)
        if self.job.fingerprint:
            await self.ctx.storage.cache.put(self.job.fingerprint, self.job.id, str(result), now=self.ctx.clock())
        raw.unlink(missing_ok=True)
        await self.save(state=JobState.DELIVERING, result_path=str(result))

    async def deliver(self) -> None:
        """DELIVERING → DONE, committing the charge in the same transaction."""
        target = self.ctx.router.target_for(self.job)
        path = Path(str(self.job.result_path))
        if not path.exists():
            raise MediaError("The finished video is no longer stored.", detail=str(path))
        if self.ctx.settings.file_server_port:  # result pages and galleries show a poster frame
            self.job = await add_poster(self.ctx.media, self.ctx.storage, self.job, path)
        try:
            receipt = await asyncio.wait_for(target.deliver(self.job, path), DELIVER_TIMEOUT)
        except NotYet as wait:  # e.g. a variation waiting for its siblings: parked, no attempt counted
            raise RetryLater(wait.defer, str(wait)) from wait
        except (DeliveryError, TimeoutError) as exc:
            # Discord (or wherever) is down: the video is made and paid for, so wait and try again; the
            # target makes a repeated delivery harmless.  Only a lasting failure ends the job (refunded).
            retryable = isinstance(exc, TimeoutError) or exc.retryable
            if not retryable or self.job.delivery_attempts >= MAX_DELIVERY_ATTEMPTS:
                raise exc if isinstance(exc, DeliveryError) else DeliveryError(detail="delivery timed out") from exc
            await self.save(delivery_attempts=self.job.delivery_attempts + 1)
            delay = min(300.0, self.ctx.settings.retry_base_seconds * 2**self.job.delivery_attempts)
            raise RetryLater(delay, f"delivery failed: {exc}") from exc
        self.job = await self.ctx.storage.jobs.finish(
            self.job.id, JobState.DONE, now=self.ctx.clock(), ledger="committed",
            expect=[JobState.DELIVERING], delivered_at=self.ctx.clock(),
            message_id=receipt.message_id, result_url=receipt.url or self.job.result_url, progress=1.0,
        )  # fmt: skip
