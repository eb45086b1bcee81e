"""The fallback steps of a job (a :class:`FallbackMover`, owned by the job's
:class:`~bot.services.jobs.runner.JobRunner`, which hands it the run's state): count a provider-side
failure on the provider's breaker, and move the job to the next model that can make it (see
:mod:`bot.services.fallback.policy`).  The move is one storage transaction (``jobs.switch_model``: new model, back
to QUEUED without a task, the one reservation re-priced), so a crash before it leaves the job where it was and
a crash after it resumes on the new model: the first provider never gets a second create."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.errors import ProviderError, ProviderUnavailable
from bot.i18n import phrase, saying
from bot.services.fallback.policy import provider_label, request_kind, unavailable_reason

if TYPE_CHECKING:
    from bot.services.jobs.run import Run

log = logging.getLogger(__name__)


class FallbackMover:
    """Breaker bookkeeping and the move to a fallback model, for one run (owned by its JobRunner)."""

    def __init__(self, run: Run):
        self.run = run
        self.ctx = run.ctx

    async def fall_back(self, exc: ProviderError) -> bool:
        """A provider-side failure: count it on the provider's breaker, then move the job if a fallback can take
        it.  Whether it moved (the caller hands it back to the worker, QUEUED on the new model)."""
        s, now, provider = self.ctx.settings, self.ctx.clock(), self.run.job.provider
        breaker = await self.ctx.storage.breakers.failed(
            provider,
            now=now,
            threshold=s.breaker_threshold,
            cooldown=s.breaker_cooldown_seconds,
            reason=f"{type(exc).__name__}: {exc.detail or exc.user_message}",
        )
        if breaker.opened_at == now:
            log.warning(
                "%s breaker OPEN for %.0fs after %d failures", provider, s.breaker_cooldown_seconds, breaker.failures
            )
        return await self.move(unavailable_reason(provider))

    async def skip_open_provider(self) -> bool:
        """A new job whose provider's breaker is open goes straight to the fallback (True: it moved), or fails
        clearly, refunded, when no other model can make it.  A job already retrying is left to its retries."""
        if self.run.job.attempts or self.run.job.fallback_from:
            return False
        if self.run.job.provider not in await self.ctx.storage.breakers.open_providers(now=self.ctx.clock()):
            return False
        if await self.move(unavailable_reason(self.run.job.provider)):
            return True
        if request_kind(self.run.request()) is None:
            return False  # only this provider can continue it: let it try
        why = phrase("fallback.unavailable_refunded", provider=provider_label(self.run.job.provider))
        raise saying(
            ProviderUnavailable(
                str(why),
                detail=f"{self.run.job.provider} breaker open",
                provider=self.run.job.provider,
                provider_fault=False,
            ),
            why,
        )

    async def move(self, reason: str) -> bool:
        """Switch to the next model that can make the request; False when none can."""
        request = self.run.request()
        tried = {*self.run.job.inputs.fallback_tried, self.run.job.model}
        skip = await self.ctx.storage.breakers.open_providers(now=self.ctx.clock())
        choice = self.ctx.fallback.choose(request, tried=tried, skip=skip)
        if choice is None:
            return False
        spec, inputs = dict(self.run.job.spec), replace(self.run.job.inputs, fallback_tried=tuple(sorted(tried)))
        spec.update(duration=choice.duration, aspect=choice.aspect, model=choice.model)
        seconds = self.run.job.cost_seconds  # quota is seconds of video: it changes only with a clamped duration
        if choice.duration != request.duration and seconds:
            seconds = float(choice.duration)
        previous = self.run.job.model
        self.run.job = await self.ctx.storage.jobs.switch_model(
            self.run.job.id,
            choice.model,
            seconds=seconds,
            reason=self.run.job.fallback_reason or reason,
            expect=[self.run.job.state],
            now=self.ctx.clock(),
            spec=spec,
            inputs=inputs,
        )
        log.warning("job %s: %s; moved from %s to %s", self.run.job.id, reason, previous, choice.model)
        await self.run.notify()
        return True
