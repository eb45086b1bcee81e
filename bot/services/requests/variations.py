"""/variations: the same request with 2-4 different seeds.

The quota for all of them is reserved at once: one storage transaction
(:meth:`storage.jobs.JobRepository.create_many`) checks the total against the user's limit, the guild's budget
and the unfinished-job cap and inserts every job with its own ledger row, or refuses the whole request and
stores nothing.  Each variation is then its own job (``variation 2/4 of #N``, the later ones pointing at the
first), so a failed one is refunded alone.

The results are delivered together (see :mod:`bot.services.delivery.grouping` and :mod:`bot.edge.group`): one message
with every clip when they fit the upload limit, else one message per clip; the first take's status message
answers the command, the others post their own status in the channel.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.errors import InvalidOption, QuotaExceeded
from bot.i18n import phrase, said, text
from bot.prompt import MAX_SEED, PromptSpec
from bot.providers.registry import ProviderRegistry
from bot.services.money.quota import QuotaService
from bot.services.requests.requester import Submitted
from storage import CastUse, JobInputs, QuotaRefused, Storage

if TYPE_CHECKING:
    from bot.services.requests.generation import GenerationService
    from bot.services.requests.requester import Requester

MAX_VARIATIONS = 4


class Variations:
    """2-4 seeds of one request, reserved in one transaction."""

    def __init__(self, storage: Storage, registry: ProviderRegistry, quota: QuotaService, core: GenerationService):
        self.storage = storage
        self.registry = registry
        self.quota = quota
        self.core = core  # the shared submit/queue core: the model checks, preparing and creating jobs

    def check(self, spec: PromptSpec, count: int, cast: tuple[CastUse, ...] = ()) -> PromptSpec:
        """Everything that can be refused without I/O (the Discord edge calls it before acknowledging); returns
        the spec with its defaults filled in."""
        if not 2 <= count <= MAX_VARIATIONS:
            raise said(InvalidOption, "variations.count", max=MAX_VARIATIONS)
        return self.core.check(spec, cast=cast)[0]

    async def submit(self, who: Requester, spec: PromptSpec, count: int, cast: tuple[CastUse, ...] = ()) -> Submitted:
        """Queue ``count`` variations of ``spec`` (with the same ``cast``) in one transaction; the answer is the
        first one's, with a note."""
        spec = self.check(spec, count, cast)
        info = self.registry.model(str(spec.model))
        top = info.seed_max if info.seed_max is not None else MAX_SEED  # seeds this model takes (a member's: checked)
        base = spec.seed if spec.seed is not None else secrets.randbelow(top - MAX_VARIATIONS)
        base = min(base, top - count + 1)
        prepared = []
        for n in range(count):
            mine = who if n == 0 else _later(who)
            inputs = JobInputs(variation=n + 1, of=count, cast=cast)
            prepared.append(await self.core.prepare("variation", mine, spec.with_seed(base + n), info, inputs))
        charges = [charge for _, charge in prepared]
        try:
            jobs = await self.core.queue_together(prepared)
        except QuotaRefused as refused:
            if refused.scope == "queue":
                amounts = {"count": count, "limit": int(refused.limit)}
                english = text("en", "quota.queue_variations", **amounts)
                error = QuotaExceeded(english, remaining=0.0, resets_at=None)
                raise error.keyed("quota.queue_variations", **amounts) from None
            charged = [c for c in charges if c is not None]  # the words name what all of them need
            raise self.quota.refusal_for(refused, charged[0] if charged else None, len(charged)) from None
        ids = ", ".join(f"#{j.id}" for j in jobs)
        first = jobs[0]
        position = 0 if charges[0] is None else await self.storage.jobs.queue_position(first.id)
        note = phrase("note.variations", count=count, ids=ids)
        return Submitted(first, cached=charges[0] is None, queue_position=position, notes=(note,))


def _later(who: Requester) -> Requester:
    """The later takes post their own status and result (the first answers the request): the delivery record
    the target gave for them (:attr:`Requester.later_delivery`), else the same as the first's."""
    return replace(who, delivery=who.later_delivery) if who.later_delivery is not None else who
