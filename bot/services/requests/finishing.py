"""Draft, then finish (/finish and the ⬆️ button): a member's finished result made larger (1080p, 2k, 4k) and/or
smoother (30, 60 fps) as a new job in its lineage ("finished version of #12").

Two steps, so nothing is charged before the member has seen the price: :meth:`Finisher.quote` checks everything
(their own finished result, a target above the source, a clip the model takes), picks the model
(``VIDEOBOT_FINISH_MODEL``, else the first enabled finishing model; one whose provider is down is passed over, as
the fallback does for generation) and says what it will make, on which model, for what price and quota seconds;
:meth:`Finisher.confirm` takes that quote back (its values travel in the confirm button), refuses one older than
:data:`QUOTE_TTL` (:class:`~bot.errors.StaleConfirmation`: the caller shows a fresh quote), checks it all again
and queues the job.  Quota is the clip's seconds, one for one, like any generation; the offline ``local:finish``
is free of quota.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import InvalidMedia, InvalidOption, JobStateError, StaleConfirmation
from bot.i18n import phrase, said
from bot.media import Media
from bot.media.finish import target_size
from bot.prompt import PromptSpec
from bot.providers.finishes import FINISH_MODELS, FINISH_ORDER, FRAME_RATES, RESOLUTIONS, SHORT_SIDE, FinishModel
from bot.providers.registry import ProviderRegistry
from bot.services.money.quota import QuotaService
from bot.settings import Settings
from storage import JobInputs, JobState, Storage

if TYPE_CHECKING:
    from bot.services.requests.generation import GenerationService
    from bot.services.requests.requester import Requester, Submitted
    from storage import Job

QUOTE_TTL = 600.0  # seconds a quote may be confirmed in
DEFAULT_RESOLUTION = "1080p"
DEFAULT_FPS = 60


@dataclass(frozen=True)
class FinishQuote:
    """What a finish will make and cost; ``resolution``/``fps`` are what was asked (the confirm button's values),
    ``width``/``height``/``out_fps`` what the model will make."""

    job_id: int
    model: str
    resolution: str | None
    fps: int | None
    width: int
    height: int
    out_fps: float
    source_width: int
    source_height: int
    source_fps: float
    seconds: float  # the clip's length
    quota_seconds: float
    price_usd: float
    eta_seconds: float
    issued_at: float
    notes: tuple[str, ...] = ()

    @property
    def free(self) -> bool:
        """Whether it costs neither quota nor money (the offline finish)."""
        return self.quota_seconds == 0 and self.price_usd == 0


def check_options(resolution: str | None, fps: int | None) -> tuple[str | None, int | None]:
    """/finish's options, without I/O; neither given means 1080p at 60 fps."""
    if resolution is not None and resolution not in RESOLUTIONS:
        raise said(InvalidOption, "finish.resolution", options=", ".join(RESOLUTIONS))
    if fps is not None and fps not in FRAME_RATES:
        raise said(InvalidOption, "finish.fps", options=", ".join(map(str, FRAME_RATES)))
    if resolution is None and fps is None:
        return DEFAULT_RESOLUTION, DEFAULT_FPS
    return resolution, fps


class Finisher:
    """Quotes and queues finished versions of a member's results."""

    def __init__(
        self,
        storage: Storage,
        registry: ProviderRegistry,
        settings: Settings,
        media: Media,
        quota: QuotaService,
        core: GenerationService,
        clock: Callable[[], float] = time.time,
    ):
        self.storage = storage
        self.registry = registry
        self.settings = settings
        self.media = media
        self.quota = quota
        self.core = core  # the shared submit/queue core: whose results may be used, and queueing
        self.clock = clock

    async def quote(
        self, who: Requester, job_id: int, resolution: str | None = None, fps: int | None = None
    ) -> FinishQuote:
        """What finishing ``job_id`` at ``resolution`` and ``fps`` makes, on which model, at what price; or why not."""
        resolution, fps = check_options(resolution, fps)
        parent = await self._source(who, job_id)
        info = await self.media.probe(Path(str(parent.result_path)))
        source_fps = float(info.fps or 24)
        short = min(info.width, info.height)
        if resolution is not None and SHORT_SIDE[resolution] < short:
            raise said(
                InvalidOption,
                "finish.already_larger",
                id=parent.id,
                width=info.width,
                height=info.height,
                resolution=resolution,
            )
        if fps is not None and fps < source_fps - 0.5:
            raise said(InvalidOption, "finish.already_fps", id=parent.id, fps=f"{source_fps:g}")
        entry, notes = await self._model(parent, resolution, fps)
        resolution, fps, differs = entry.makes(resolution, fps)
        notes += differs
        if entry.max_scale and resolution is not None and SHORT_SIDE[resolution] > short * entry.max_scale:
            within = [r for r in RESOLUTIONS if short < SHORT_SIDE[r] <= short * entry.max_scale]
            kept = within[-1] if within else None
            scale = f"{entry.max_scale:g}"
            if kept:
                notes.append(
                    phrase("finish.note.max_scale", model=entry.name, scale=scale, made=kept, asked=resolution)
                )
            else:
                notes.append(phrase("finish.note.max_scale_none", model=entry.name, scale=scale))
            resolution = kept
        if resolution is not None and SHORT_SIDE[resolution] == short:
            resolution = None  # already that size: nothing to scale
        if fps is not None and abs(fps - source_fps) < 0.5:
            fps = None
        out_fps = source_fps
        if fps is not None:  # what it makes of this clip's rate (fal:rife: a multiple of it), the quote says
            made, note = entry.rate_for(fps, source_fps)
            notes += [note] if note else []
            fps, out_fps = (fps, float(made)) if made is not None else (None, source_fps)
        if resolution is None and fps is None:
            raise said(
                InvalidOption,
                "finish.nothing_new",
                id=parent.id,
                width=info.width,
                height=info.height,
                fps=f"{source_fps:g}",
                model=entry.name,
            )
        if info.duration > entry.max_input_seconds + 0.05:
            raise said(
                InvalidMedia,
                "finish.too_long",
                id=parent.id,
                seconds=f"{info.duration:.1f}",
                model=entry.name,
                limit=f"{entry.max_input_seconds:g}",
            )
        width, height = target_size(info.width, info.height, resolution) if resolution else (info.width, info.height)
        quota_seconds = 0.0 if entry.provider == "local" else float(math.ceil(info.duration - 0.05))
        return FinishQuote(
            job_id=parent.id,
            model=entry.name,
            resolution=resolution,
            fps=fps,
            width=width,
            height=height,
            out_fps=out_fps,
            source_width=info.width,
            source_height=info.height,
            source_fps=source_fps,
            seconds=info.duration,
            quota_seconds=quota_seconds,
            price_usd=self.quota.spend.estimate(entry.name, info.duration).usd,
            eta_seconds=max(5.0, info.duration * entry.seconds_per_second),
            issued_at=self.clock(),
            notes=tuple(notes),
        )

    async def confirm(
        self, who: Requester, job_id: int, resolution: str | None, fps: int | None, model: str, issued_at: float
    ) -> Submitted:
        """Queue the quoted finish; StaleConfirmation for a quote past :data:`QUOTE_TTL` (or whose model or
        price changed meanwhile): nothing is charged, and the caller quotes again."""
        self.check_fresh(issued_at)
        if resolution is None and fps is None:
            raise said(InvalidOption, "finish.asked_nothing")
        quote = await self.quote(who, job_id, resolution, fps)
        if quote.model != model:
            raise said(StaleConfirmation, "finish.stale_model", model=model)
        parent = await self._source(who, job_id)
        entry = FINISH_MODELS[quote.model]
        info = self.registry.model(entry.name)
        spec = replace(
            PromptSpec.from_dict(parent.spec), duration=max(1, math.ceil(quote.seconds - 0.05)), model=entry.name
        )
        inputs = JobInputs(
            video=parent.result_path,
            width=quote.width,
            height=quote.height,
            fps=round(quote.out_fps),
            source_task_id=parent.provider_task_id if entry.own_results_only else None,
            scale=min(quote.width, quote.height) / min(quote.source_width, quote.source_height),
            source_fps=quote.source_fps,
            source_jobs=(parent.id,),
        )
        return await self.core.queue("finish", who, spec, info, inputs, parent_job_id=parent.id)

    def check_fresh(self, issued_at: float) -> None:
        """Raise StaleConfirmation for a quote issued more than :data:`QUOTE_TTL` ago (or in the future)."""
        now = self.clock()
        if not now - QUOTE_TTL <= issued_at <= now + 60:
            raise said(StaleConfirmation, "finish.stale_quote")

    async def _source(self, who: Requester, job_id: int) -> Job:
        parent = await self.core.authorize(who, job_id, allow_admin=False)  # someone else's: NotJobOwner
        if parent.state is not JobState.DONE or not parent.result_path or not Path(parent.result_path).exists():
            raise said(JobStateError, "finish.not_stored", id=parent.id)
        return parent

    async def _model(self, parent: Job, resolution: str | None, fps: int | None) -> tuple[FinishModel, list[str]]:
        """The finishing model for ``parent``: ``VIDEOBOT_FINISH_MODEL`` when it makes something of what was asked,
        else the first enabled model of the order that makes all of it (else the first that makes some).  A model
        that cannot take this result (Luma upscales only Luma's own) or whose provider's breaker is open is passed
        over, as the fallback does for generation."""
        down = await self.storage.breakers.open_providers(now=self.clock())
        wanted = self.settings.finish_model
        usable: list[FinishModel] = []
        notes: list[str] = []
        for name in ([wanted] if wanted else []) + [n for n in FINISH_ORDER if n != wanted]:
            entry = FINISH_MODELS.get(name)
            if (
                entry is None
                or not self._enabled(name)
                or (entry.own_results_only and parent.provider != entry.provider)
            ):
                continue
            if entry.provider in down:
                notes.append(phrase("finish.note.unavailable", model=entry.name))
                continue
            usable.append(entry)
        if not usable:
            raise said(InvalidOption, "finish.no_model")

        def makes(entry: FinishModel) -> int:
            made = entry.makes(resolution, fps)
            return (made[0] is not None) + (made[1] is not None)

        asked = (resolution is not None) + (fps is not None)
        if wanted and usable[0].name == wanted and makes(usable[0]):
            return usable[0], notes
        best = next((e for e in usable if makes(e) == asked), None) or max(usable, key=makes)
        return best, notes

    def _enabled(self, name: str) -> bool:
        try:
            self.registry.model(name)
        except InvalidOption:
            return False
        return True
