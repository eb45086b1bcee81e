"""A running job's money steps: re-price its reservation when a provider task is created (for the model that
actually runs it, which a fallback may have changed) and store the provider's own figure when the task ends
(success or provider-side failure alike: Runway bills some failures).  Settling is storage's ``finish``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.providers.base import TaskState, TaskStatus
from bot.services.money import costs

if TYPE_CHECKING:
    from bot.services.jobs.run import Context
    from storage import Job


def _seconds(job: Job) -> float:
    try:
        return float(job.spec.get("duration") or 0)
    except (TypeError, ValueError):
        return 0.0


def _sound(job: Job) -> bool:
    """Whether the job's clip is made with sound (priced apart on the native-audio models)."""
    return job.spec.get("audio") is True


async def reprice(ctx: Context, job: Job) -> None:
    """Record the estimate again, for ``job.model``, now that its provider task exists.  A /sequence film's
    join keeps the estimate of its shots' model (the film holds their money reservation)."""
    if job.kind == "sequence" and job.inputs.op == "sequence":
        return
    cost = costs.estimate(job.model, _seconds(job), credit_usd=ctx.settings.runway_credit_usd, sound=_sound(job))
    await ctx.storage.costs.reprice(job.id, job.model, cost)


async def record_actual(ctx: Context, job: Job, status: TaskStatus) -> None:
    """Store what a terminal task cost (the provider's figure, else the price table for a success)."""
    if not status.state.terminal:
        return
    succeeded = status.state is TaskState.SUCCEEDED
    cost = costs.actual(
        job.model,
        _seconds(job),
        status.cost,
        succeeded=succeeded,
        credit_usd=ctx.settings.runway_credit_usd,
        sound=_sound(job),
    )
    await ctx.storage.costs.record_actual(job.id, cost)
