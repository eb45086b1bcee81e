"""The fallback steps of a job (mixed into :class:`~bot.services.jobs.runner.JobRunner`): count a provider-side
failure on the provider's breaker, and move the job to the next model that can make it (see
:mod:`bot.services.fallback.policy`).  The move is one storage transaction (``jobs.switch_model``: new model, back
to QUEUED without a task, the one reservation re-priced), so a crash before it leaves the job where it was and
a crash after it resumes on the new model: the first provider never gets a second create."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.errors import ProviderError, ProviderUnavailable
from bot.services.fallback.policy import provider_label, request_kind, unavailable_reason

if TYPE_CHECKING:
    from bot.providers.base import GenerationRequest
    from bot.services.jobs.runner import Context
    from storage import Job

log = logging.getLogger(__name__)


class FallbackSteps:
    """Breaker bookkeeping and the move to a fallback model (JobRunner provides the attributes below)."""

    ctx: Context
    job: Job

    def request(self) -> GenerationRequest:  # pragma: no cover - provided by JobRunner
        raise NotImplementedError

    async def notify(self) -> None:  # pragma: no cover - provided by JobRunner
        raise NotImplementedError

    async def fall_back(self, exc: ProviderError) -> bool:
        """A provider-side failure: count it on the provider's breaker, then move the job if a fallback can take
        it.  Whether it moved (the caller hands it back to the worker, QUEUED on the new model)."""
        s, now, provider = self.ctx.settings, self.ctx.clock(), self.job.provider
        breaker = await self.ctx.storage.breakers.failed(
            provider, now=now, threshold=s.breaker_threshold, cooldown=s.breaker_cooldown_seconds,
            reason=f"{type(exc).__name__}: {exc.detail or exc.user_message}",
        )  # fmt: skip
        if breaker.opened_at == now:
            log.warning("%s breaker OPEN for %.0fs after %d failures", provider, s.breaker_cooldown_seconds,
                        breaker.failures)  # fmt: skip
        return await self.move(unavailable_reason(provider))

    async def skip_open_provider(self) -> bool:
        """A new job whose provider's breaker is open goes straight to the fallback (True: it moved), or fails
        clearly, refunded, when no other model can make it.  A job already retrying is left to its retries."""
        if self.job.attempts or self.job.fallback_from:
            return False
        if self.job.provider not in await self.ctx.storage.breakers.open_providers(now=self.ctx.clock()):
            return False
        if await self.move(unavailable_reason(self.job.provider)):
            return True
        if request_kind(self.request()) is None:
            return False  # only this provider can continue it: let it try
        name = provider_label(self.job.provider)
        raise ProviderUnavailable(
            f"{name} is unavailable right now and no fallback model on this bot can make this request; "
            "your quota was refunded. Please try again in a few minutes or pick another model.",
            detail=f"{self.job.provider} breaker open", provider=self.job.provider, provider_fault=False,
        )  # fmt: skip

    async def move(self, reason: str) -> bool:
        """Switch to the next model that can make the request; False when none can."""
        request = self.request()
        tried = {*self.job.inputs.get("fallback_tried", ()), self.job.model}
        skip = await self.ctx.storage.breakers.open_providers(now=self.ctx.clock())
        choice = self.ctx.fallback.choose(request, tried=tried, skip=skip)
        if choice is None:
            return False
        spec, inputs = dict(self.job.spec), dict(self.job.inputs)
        inputs["fallback_tried"] = sorted(tried)
        spec.update(duration=choice.duration, aspect=choice.aspect, model=choice.model)
        seconds = self.job.cost_seconds  # quota is seconds of video: it changes only with a clamped duration
        if choice.duration != request.duration and seconds:
            seconds = float(choice.duration)
        previous = self.job.model
        self.job = await self.ctx.storage.jobs.switch_model(
            self.job.id, choice.model, seconds=seconds, reason=self.job.fallback_reason or reason,
            expect=[self.job.state], now=self.ctx.clock(), spec=spec, inputs=inputs,
        )  # fmt: skip
        log.warning("job %s: %s; moved from %s to %s", self.job.id, reason, previous, choice.model)
        await self.notify()
        return True
