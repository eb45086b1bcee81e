"""One job's state machine.  Each step writes its new state before the next step starts, so a
process killed anywhere resumes from the database:

    QUEUED ─submit─▶ SUBMITTING ─task id─▶ RUNNING ─poll─▶ DOWNLOADING ─▶ POSTPROCESSING ─▶ DELIVERING ─▶ DONE
      ▲                  │ (resumed: find_task; found → RUNNING, certainly absent → QUEUED, unknown → FAILED)
      └── retryable refusal of the create (429/5xx before a task existed) waits and goes back to QUEUED
      └── a provider-side failure (no task made, or the task failed on the provider's side) moves the job to a
          fallback model, back to QUEUED, in one transaction (bot.services.jobs.switching)

The runner owns the run's state (:class:`~bot.services.jobs.run.Run`) and hands it to the helpers it owns: a
:class:`~bot.services.jobs.polling.Poller` for RUNNING and a :class:`~bot.services.jobs.switching.FallbackMover`.

A job found in SUBMITTING is never submitted again unless the provider says the task does not exist,
and a job is delivered only from DELIVERING, then marked DONE in the same breath (see bot.services.delivery.port).
"""

from __future__ import annotations

import asyncio
import logging
import os
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
from bot.media import MediaInfo
from bot.providers.base import SOUND_OP, SOUND_SUFFIX, TEXT_SOUND_OP, TaskState, VideoProvider
from bot.services.delivery.port import FILM_SOUND_KIND, NotYet
from bot.services.fallback.policy import falls_back
from bot.services.jobs.film import PARKED, FilmDirector, LookAgain, is_directed, is_parked
from bot.services.jobs.jobcost import record_actual, reprice
from bot.services.jobs.polling import POLL_CALL_TIMEOUT, Poller
from bot.services.jobs.run import Context, Run
from bot.services.jobs.sound import keep_source_sound, lay_sound
from bot.services.jobs.switching import FallbackMover
from bot.services.web.posters import add_poster, result_facts
from storage import Job, JobState

log = logging.getLogger(__name__)

SUBMIT_TIMEOUT = 120.0
DELIVER_TIMEOUT = 600.0
MAX_VIDEO_SECONDS = 600.0
MAX_DELIVERY_ATTEMPTS = 6
SOUND_OPS = (SOUND_OP, TEXT_SOUND_OP)


class RetryLater(Exception):
    """Stop this step now; run the job again after ``defer`` seconds (arq's Retry)."""

    def __init__(self, defer: float, reason: str = ""):
        super().__init__(reason or f"retry in {defer:.1f}s")
        self.defer = defer


class JobRunner:
    """Drives one job to a final state (or to a RetryLater).  It owns the run's state (:class:`Run`) and the two
    helpers it hands that state to: the poller (the RUNNING step) and the fallback mover."""

    def __init__(self, ctx: Context, job: Job):
        self.ctx = ctx
        self.run = Run(ctx, job)
        self.poller = Poller(self.run)
        self.mover = FallbackMover(self.run)
        self.director = FilmDirector(self.run)

    @property
    def job(self) -> Job:
        """The job as last saved."""
        return self.run.job

    @job.setter
    def job(self, job: Job) -> None:
        self.run.job = job

    @property
    def interrupted(self) -> asyncio.Event:
        """Set by Worker.interrupt (a cancel): cuts the current wait short."""
        return self.run.interrupted

    @property
    def provider(self) -> VideoProvider:
        """The job's provider."""
        return self.run.provider

    # --- the steps -----------------------------------------------------------------------------------
    async def step(self) -> None:
        """Advance one state (a /sequence film whose shots are being made: one look by its director)."""
        if is_directed(self.job):
            try:
                await self.director.step()
            except LookAgain as wait:
                raise RetryLater(wait.defer, str(wait)) from None
            return
        await self.run.check_cancel()
        state = self.job.state
        if is_parked(self.job):
            await self.wait_for_film()
        elif state is JobState.QUEUED:
            await self.submit()
        elif state is JobState.SUBMITTING:
            await self.resume_submit()
        elif state is JobState.RUNNING:
            try:
                await self.poller.poll_until_done()
            except ProviderTaskFailed as exc:  # failed at the provider's side: another model may make it
                if falls_back(exc) and await self.mover.fall_back(exc):
                    raise RetryLater(0.0, "moved to a fallback model") from exc
                raise
        elif state is JobState.DOWNLOADING:
            await self.download()
        elif state is JobState.POSTPROCESSING:
            await self.postprocess()
        elif state is JobState.DELIVERING:
            await self.deliver()

    async def wait_for_film(self) -> None:
        """A film's soundtrack waits for its film's director to give it the film's length; a film that ended
        without it (cancelled, failed, gone) takes it along: cancelled, its price refunded."""
        film = await self.ctx.storage.jobs.get(self.job.parent_job_id or 0)
        if film is not None and not film.state.finished:
            raise RetryLater(PARKED, "the film's soundtrack waits for its shots")
        self.job = await self.ctx.storage.jobs.finish(
            self.job.id,
            JobState.CANCELLED,
            now=self.ctx.clock(),
            ledger="refunded",
            expect=[JobState.QUEUED],
            error="Cancelled: the film ended without it.",
        )

    async def submit(self) -> None:
        """QUEUED → SUBMITTING → RUNNING (task id persisted first).  A create that certainly made no task and
        failed on the provider's side moves the job to a fallback model (back to QUEUED, on the new model)."""
        if await self.mover.skip_open_provider():  # the provider's breaker is open: straight to the fallback
            raise RetryLater(0.0, "moved to a fallback model")
        now = self.ctx.clock()
        await self.run.save(state=JobState.SUBMITTING, started_at=self.job.started_at or now)
        try:
            task_id = await asyncio.wait_for(self.provider.submit(self.run.request()), SUBMIT_TIMEOUT)
        except RateLimited as exc:
            wait = exc.retry_after or 10.0
            if self.ctx.clock() + wait > self.run.deadline() and await self.mover.fall_back(exc):
                raise RetryLater(0.0, "moved to a fallback model") from exc
            await self._requeue(wait, exc)
        except SubmitUncertain:
            raise  # a task may exist: never sent anywhere else
        except (ProviderUnavailable, ProviderAuthError, ProviderModelGone) as exc:  # certainly no task
            if await self.mover.fall_back(exc):
                raise RetryLater(0.0, "moved to a fallback model") from exc
            if not isinstance(exc, ProviderUnavailable):
                raise
            await self._requeue(15.0, exc)
        except TimeoutError:
            # The create may have landed: look for it instead of sending it again.
            await self.resume_submit()
            return
        else:
            self.run.task_created_at = self.ctx.clock()  # the origin of the run time learned for the model
            await self.run.save(state=JobState.RUNNING, provider_task_id=task_id, progress=0.0)
            await reprice(self.ctx, self.job)  # priced for the model that actually runs it
            await self.ctx.storage.breakers.succeeded(self.job.provider, now=self.ctx.clock())

    async def _requeue(self, defer: float, exc: ProviderError) -> None:
        """The provider refused the create before a task existed: wait and try again from QUEUED."""
        if self.job.attempts >= 4 or self.ctx.clock() + defer > self.run.deadline():
            raise exc  # a task created after the deadline would only be cancelled (and paid for)
        await self.run.save(state=JobState.QUEUED, attempts=self.job.attempts + 1)
        raise RetryLater(defer, f"create refused: {exc.detail or exc.user_message}")

    async def resume_submit(self) -> None:
        """A job left in SUBMITTING: find its task; resubmit only when it certainly does not exist."""
        task_id = await self.provider.find_task(self.run.request())  # raises SubmitUncertain if it can't tell
        if task_id:
            log.info("job %s: found task %s created before the restart", self.job.id, task_id)
            await self.run.save(state=JobState.RUNNING, provider_task_id=task_id)
            await reprice(self.ctx, self.job)
        else:
            await self.run.save(state=JobState.QUEUED)

    async def download(self) -> None:
        """DOWNLOADING → POSTPROCESSING.  Straight from the poll that saw the task succeed when it was just now
        (``Run.fresh_success``: no second read of a status just read); else re-polls first, since stored links
        may have expired (and a provider's ``fetch_result`` refreshes a link that expired anyway)."""
        status = self.run.fresh_success()
        if status is None:
            try:
                status = await asyncio.wait_for(self.provider.poll(str(self.job.provider_task_id)), POLL_CALL_TIMEOUT)
            except (ProviderUnavailable, TimeoutError) as exc:  # a 429/5xx now must not lose a finished video
                await self._retry_download(exc)
        if not status.state.terminal:  # a provider that reports success early: keep polling
            await self.run.save(state=JobState.RUNNING)
            return
        if status.state is not TaskState.SUCCEEDED:
            await record_actual(self.ctx, self.job, status)
            raise ProviderTaskFailed(status.error or ProviderTaskFailed.user_message, detail=f"task {status.state}")
        suffix = SOUND_SUFFIX if self.job.inputs.op in SOUND_OPS else ".mp4"  # a sound task returns the sound alone
        raw = self.ctx.settings.media_dir / "raw" / f"{self.job.id}{suffix}"
        raw.parent.mkdir(parents=True, exist_ok=True)
        s = self.ctx.settings
        try:
            path = await asyncio.wait_for(
                self.provider.fetch_result(str(self.job.provider_task_id), status, raw, s.max_download_bytes),
                s.ffmpeg_timeout_seconds,
            )
        except (ProviderUnavailable, TimeoutError) as exc:
            await self._retry_download(exc)
        await self.run.save(state=JobState.POSTPROCESSING, raw_path=str(path))

    async def _retry_download(self, exc: Exception) -> NoReturn:
        """A transient failure while fetching the result: try again later, a few times, then fail."""
        if self.job.attempts >= 4:
            raise ProviderUnavailable("The finished video could not be downloaded.", detail=str(exc)) from exc
        await self.run.save(attempts=self.job.attempts + 1)
        wait = max(2 * self.ctx.settings.retry_base_seconds, getattr(exc, "retry_after", None) or 0.0)
        raise RetryLater(wait, f"download failed: {exc}") from exc

    async def postprocess(self) -> None:
        """POSTPROCESSING → DELIVERING: check the video, join extensions, fix the format if needed (a sound job:
        the sound laid under its clip; a remix: its source clip's sound kept)."""
        results = self.ctx.settings.media_dir / "results"
        results.mkdir(parents=True, exist_ok=True)
        result = results / f"{self.job.id}.mp4"
        raw = Path(str(self.job.raw_path))
        if self.job.kind == FILM_SOUND_KIND:  # a film's soundtrack: the sound alone, laid under the film by its join
            sound = results / f"{self.job.id}{SOUND_SUFFIX}"  # (no picture to probe; never cached: no fingerprint)
            if not sound.exists():
                os.replace(raw, sound)
            raw.unlink(missing_ok=True)
            await self.run.save(state=JobState.DELIVERING, result_path=str(sound), result_audio=1)
            return
        known: MediaInfo | None = None  # the result's info when it is the provider's file as it came (no 2nd probe)
        if not result.exists() and self.job.inputs.op in SOUND_OPS:
            await lay_sound(self.ctx.media, self.job.inputs, raw, result)  # the clip's own picture, copied
        elif not result.exists():
            info = await self.ctx.media.probe(raw)
            if info.duration <= 0 or info.duration > MAX_VIDEO_SECONDS or not info.width:
                raise MediaError(
                    "The provider returned something that is not a usable video.",
                    detail=f"duration={info.duration} size={info.width}x{info.height}",
                )
            concat_with = self.job.inputs.concat_with
            if concat_with:
                await self.ctx.media.concat([Path(concat_with), raw], result)
            elif info.codec != "h264" or info.pix_fmt != "yuv420p":
                await self.ctx.media.resize(raw, result, info.width, info.height)
            else:
                os.replace(raw, result)
                known = info
        if self.job.kind == "remix":
            await keep_source_sound(self.ctx.media, self.job.inputs, result)  # the source clip's sound, kept
            known = None
        if self.job.fingerprint:
            await self.ctx.storage.cache.put(self.job.fingerprint, self.job.id, str(result), now=self.ctx.clock())
        raw.unlink(missing_ok=True)
        final = known or await self.ctx.media.probe(result)
        await self.run.save(
            state=JobState.DELIVERING,
            result_path=str(result),
            result_audio=int(final.has_audio),  # the 🔊 button, result pages, the gallery filter
            **result_facts(final),  # the player and the unfurl tags; the poster then needs no probe
        )

    async def deliver(self) -> None:
        """DELIVERING → DONE, committing the charge in the same transaction."""
        target = self.ctx.router.target_for(self.job)
        path = Path(str(self.job.result_path))
        if not path.exists():
            raise MediaError("The finished video is no longer stored.", detail=str(path))
        if self.ctx.settings.file_server_port and self.job.kind != FILM_SOUND_KIND:  # pages show a poster frame
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
            await self.run.save(delivery_attempts=self.job.delivery_attempts + 1)
            delay = min(300.0, self.ctx.settings.retry_base_seconds * 2**self.job.delivery_attempts)
            raise RetryLater(delay, f"delivery failed: {exc}") from exc
        self.job = await self.ctx.storage.jobs.finish(
            self.job.id,
            JobState.DONE,
            now=self.ctx.clock(),
            ledger="committed",
            expect=[JobState.DELIVERING],
            delivered_at=self.ctx.clock(),
            message_id=receipt.message_id,
            result_url=receipt.url or self.job.result_url,
            progress=1.0,
        )
