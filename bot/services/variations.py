"""/variations: the same request with 2-4 different seeds.

The quota for all of them is checked at once before any is queued (refused at once, nothing charged, when
the total does not fit); each variation is then its own job and its own reservation, so a failed one is
refunded alone.  Should a concurrent request take the quota between the check and the last reservation,
the variations already queued are cancelled (refunded) and the request is refused as a whole.
Each variation is delivered as its own result (``variation 2/4 of #N``); the first answers the command.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.errors import InvalidOption, QuotaExceeded
from bot.prompt import MAX_SEED, PromptSpec
from storage import QuotaRefused

if TYPE_CHECKING:
    from bot.services.generation import GenerationService, Requester, Submitted

MAX_VARIATIONS = 4
_WINDOW = 24 * 3600.0


def check_variations(service: GenerationService, spec: PromptSpec, count: int) -> PromptSpec:
    """Everything that can be refused without I/O (called before acknowledging)."""
    if not 2 <= count <= MAX_VARIATIONS:
        raise InvalidOption(f"`count` goes from 2 to {MAX_VARIATIONS}.")
    return service.check(spec)[0]


async def _check_room(service: GenerationService, who: Requester, needed: float, count: int, model: str) -> None:
    quota, storage = service.quota, service.storage
    since = service.clock() - _WINDOW
    limit, budget = await quota.limits_for(who.guild_id, who.user_id)
    usage = await storage.quota.usage(user_id=who.user_id, since=since)
    if usage.used + needed > limit:
        raise quota.refusal(QuotaRefused("user", usage, limit), needed)
    if who.guild_id is not None and budget is not None:
        guild = await storage.quota.usage(guild_id=who.guild_id, since=since)
        if guild.used + needed > budget:
            raise quota.refusal(QuotaRefused("guild", guild, budget), needed)
    await quota.spend.check_room(who.guild_id, model, needed / count, count)  # the dollars for all of them
    active = len(await service.active_jobs(who.user_id))
    if active + count > service.settings.max_queued_per_user:
        raise QuotaExceeded(f"{count} variations would make more than {service.settings.max_queued_per_user} "
                            "unfinished jobs; wait for some to finish or ask for fewer.", remaining=0.0,
                            resets_at=None)  # fmt: skip


async def variations(service: GenerationService, who: Requester, spec: PromptSpec, count: int) -> Submitted:
    """Queue ``count`` variations of ``spec``; the answer is the first one's, with a note naming all."""
    spec = check_variations(service, spec, count)
    info = service.registry.model(str(spec.model))
    needed = float(spec.duration or 0) * count  # seconds of video, one for one
    await _check_room(service, who, needed, count, info.name)
    base = spec.seed if spec.seed is not None else secrets.randbelow(MAX_SEED - MAX_VARIATIONS)
    base = min(base, MAX_SEED - count)
    made: list[Submitted] = []
    try:
        for n in range(count):
            inputs = {"variation": n + 1, "of": count}
            parent = made[0].job.id if made else None
            # the first answers the interaction; the others post their own status and result in the channel
            mine = (
                who
                if n == 0
                else replace(
                    who,
                    delivery={
                        k: v for k, v in who.delivery.items() if k not in ("token", "message_id", "application_id")
                    },
                )
            )
            made.append(await service.queue("variation", mine, spec.with_seed(base + n), info, inputs,
                                            parent_job_id=parent))  # fmt: skip
    except BaseException:
        for done in made:
            await service.cancel(who, done.job.id)  # refunded: the request is refused as a whole
        raise
    ids = ", ".join(f"#{s.job.id}" for s in made)
    return replace(made[0], notes=(f"Making {count} variations ({ids}); each arrives as its own result.",))
