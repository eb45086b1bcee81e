"""The generation service: the one entry point for submitting, extending, re-rolling and cancelling.

``submit`` goes validate → cache lookup → reserve quota → persist → wake the worker; it returns at
once with the job (and its queue position).  Bad input raises an :class:`~bot.errors.InvalidRequest`
before anything is stored or charged.  It is also the shared submit/queue core the other kinds of request
(:class:`~bot.services.requests.remix.Remixer`, :class:`~bot.services.requests.edits.Edits`,
:class:`~bot.services.requests.variations.Variations`, :class:`~bot.services.requests.presets.Presets`) are
given at construction: they check ownership with :meth:`GenerationService.extendable` and queue with
:meth:`GenerationService.queue`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.errors import InvalidOption, InvalidPrompt, JobNotFound, JobStateError, NotJobOwner, ProviderUnavailable
from bot.i18n import phrase, said, saying
from bot.media import Media
from bot.prompt import PromptSpec
from bot.providers.base import SOUND_OP, TEXT_SOUND_OP, Capability, ModelInfo, needs_for
from bot.providers.registry import ProviderRegistry
from bot.services.delivery.port import CANCELLED_NOTICE, DeliveryRouter
from bot.services.fallback.policy import Fallback, references_for, request_for
from bot.services.money.quota import QuotaService
from bot.services.requests import lineage
from bot.services.requests.intake import fit_spec, motion_note, parts_without_subject, request_fingerprint, store_upload
from bot.services.requests.requester import Requester, Submitted, page_name
from bot.settings import Settings
from storage import ACTIVE_STATES, CastUse, Charge, Job, JobInputs, JobState, NewJob, QuotaRefused, Storage

log = logging.getLogger(__name__)

# what makes no new seconds of video: edits of finished results, and sound made for one
NO_NEW_VIDEO = frozenset({Capability.EDIT, Capability.VIDEO_TO_AUDIO, Capability.TEXT_TO_AUDIO})


class GenerationService:
    """Submit/extend/reroll/cancel and read jobs; never touches Discord."""

    def __init__(
        self,
        storage: Storage,
        registry: ProviderRegistry,
        media: Media,
        settings: Settings,
        quota: QuotaService,
        wake: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
        interrupt: Callable[[int], None] = lambda job_id: None,
        router: DeliveryRouter | None = None,
        fallback: Fallback | None = None,
    ):
        self.storage = storage
        self.registry = registry
        self.media = media
        self.settings = settings
        self.quota = quota
        self.wake = wake
        self.clock = clock
        self.interrupt = interrupt
        self.router = router or DeliveryRouter()  # tells a job's target it ended (cancelled in the queue)
        self.fallback = fallback  # a provider whose breaker is open: its new jobs need a fallback, else refused

    # --- submitting ---------------------------------------------------------------------------------
    def check(
        self,
        spec: PromptSpec,
        *,
        image: bool = False,
        end_image: bool = False,
        loop: bool = False,
        video: bool = False,
        cast: tuple[CastUse, ...] = (),
    ) -> tuple[PromptSpec, ModelInfo]:
        """Every model-dependent rule for a request of this shape, without I/O: the model chosen (or the
        default), what it must be able to do (input kind, end image, loop), duration and aspect for this
        kind of input, prompt length.  Returns the spec with its defaults filled in.  The Discord edge
        calls this before acknowledging, so a refusal is private and nothing is charged; :meth:`submit`
        calls it again.  With a ``cast`` the model must take references (the default is a reference model), and
        a model that takes none is refused naming those that do."""
        if end_image and not image:
            raise said(InvalidOption, "option.end_without_start")
        has_media = image or video
        spec = PromptSpec.create(spec.subject, **parts_without_subject(spec), allow_empty_subject=has_media)
        needs = needs_for(
            video=video, image=image, end_image=end_image, loop=loop, references=bool(cast), audio=spec.audio is True
        )
        if spec.audio is True and spec.model:  # an explicit audio:on on a silent model: say which models can
            asked = self.registry.model(spec.model)
            if not asked.can(Capability.SOUND):
                able = self.registry.who_can(needs)
                raise said(InvalidOption, "sequence.silent", model=asked.name, able=able)
        info = self.registry.choose(spec.model, needs)
        info.check_seed(spec.seed)  # the member's own seed: within this model's range, and only if it takes one
        if not cast:
            return replace(fit_spec(spec, info, needs), audio=self.sound_for(spec.audio, info)), info
        info.check_capabilities(needs)  # a reference model that needs a start image, asked without one
        info.check_references(sum(len(c.photos) for c in cast))
        spec = replace(fit_spec(spec, info, needs), audio=self.sound_for(spec.audio, info))
        info.check_prompt(info.sent_prompt(spec.text(), references_for(cast)))  # the prompt as the model gets it
        return spec, info

    def sound_for(self, asked: bool | None, info: ModelInfo) -> bool | None:
        """Whether a clip on ``info`` is made with sound: as asked, else ``VIDEOBOT_AUDIO_DEFAULT``; None on a
        model that makes no sound (nothing about sound is ever sent to it)."""
        if not info.can(Capability.SOUND):
            return None
        return self.settings.audio_default if asked is None else asked

    async def submit(
        self,
        who: Requester,
        spec: PromptSpec,
        image: bytes | Path | None = None,
        *,
        end_image: bytes | Path | None = None,
        loop: bool = False,
        cast: tuple[CastUse, ...] = (),
    ) -> Submitted:
        """Validate, then queue (or serve from the cache) a job: text to video, or image to video; with
        ``end_image`` an interpolation from ``image`` to it; with ``loop`` a seamless loop; with ``cast`` the
        server's characters (:meth:`bot.services.cast.roster.Roster.resolve`), recorded with the job."""
        # Checked again here: a spec built by hand (another adapter, a script) must not reach a provider
        # with a seed past 2**32-1, an unknown camera key, an empty prompt or an option the model lacks.
        spec, info = self.check(spec, image=image is not None, end_image=end_image is not None, loop=loop, cast=cast)
        stored: list[Path] = []
        notes: list[str] = []
        try:
            paths: list[str | None] = []
            for upload in (image, end_image):
                path = None
                if upload is not None:
                    path, animated = await store_upload(self.settings, upload)
                    stored.append(path)
                    if animated:
                        notes.append(phrase("note.animated_image"))
                paths.append(str(path) if path is not None else None)
            inputs = JobInputs(image=paths[0], end_image=paths[1], loop=loop, cast=cast)
            if spec.motion_prompt:
                notes.append(motion_note(spec, info))
            submitted = await self.queue("generate", who, spec, info, inputs)
            return replace(submitted, notes=(*notes, *submitted.notes))
        except BaseException:
            for path in stored:
                path.unlink(missing_ok=True)  # a refused upload (quota, queue) leaves nothing behind
            raise

    async def extendable(self, who: Requester, job_id: int) -> Job:
        """The job if ``who`` may extend it now (their own, finished, still stored); else the reason."""
        parent = await self.authorize(who, job_id, allow_admin=False)
        if parent.state is not JobState.DONE or not parent.result_path or not Path(parent.result_path).exists():
            raise said(JobStateError, "job.not_extendable")
        return parent

    async def extend(self, who: Requester, job_id: int, prompt: str | None = None) -> Submitted:
        """Continue a finished result: natively where the provider can, else from its last frame."""
        parent = await self.extendable(who, job_id)
        base = PromptSpec.from_dict(parent.spec)
        spec = base if not prompt else PromptSpec.create(prompt, **parts_without_subject(base))
        parent_info = self.registry.model(parent.model)
        inputs = JobInputs(concat_with=parent.result_path)
        if parent_info.can(Capability.EXTEND) and parent.provider_task_id:
            info = parent_info
            inputs = JobInputs(extend_task_id=parent.provider_task_id)
        else:
            info = self.registry.choose(
                parent.model if parent_info.can(Capability.IMAGE_TO_VIDEO) else None, Capability.IMAGE_TO_VIDEO
            )
            frame = self.settings.inputs_dir / f"lastframe-{parent.id}.png"
            frame.parent.mkdir(parents=True, exist_ok=True)
            if not frame.exists():
                await self.media.last_frame(Path(str(parent.result_path)), frame)
            inputs = replace(inputs, image=str(frame))
        needs = needs_for(extend=True) if inputs.extend_task_id else needs_for(image=True)
        spec = fit_spec(replace(spec, model=info.name), info, needs)  # a parent's seed folded into this model's
        spec = replace(spec, audio=self.sound_for(spec.audio, info))  # the parent's sound where this model has any
        whole = (await self.media.probe(Path(str(parent.result_path)))).duration + float(spec.duration or 0)
        if whole > self.settings.max_extended_seconds + 0.5:  # the parent already holds the whole so far
            longest = self.settings.max_extended_seconds
            raise said(JobStateError, "job.extend_too_long", id=parent.id, seconds=f"{whole:.0f}", limit=longest)
        submitted = await self.queue("extend", who, spec, info, inputs, parent_job_id=parent.id)
        return replace(submitted, notes=(motion_note(spec, info),)) if spec.motion_prompt else submitted

    async def reroll(self, who: Requester, job_id: int) -> Submitted:
        """The same request with a new seed, charged to whoever asks."""
        original = await self.get(job_id)
        if original.kind == "extend":
            raise said(JobStateError, "reroll.extension")
        if original.kind == "sequence":
            raise said(JobStateError, "reroll.film")
        if original.inputs.op in (SOUND_OP, TEXT_SOUND_OP):
            raise said(JobStateError, "reroll.sound")
        info = self.registry.model(original.model)
        was = original.inputs
        # the cast as the original used it: its photos, even if the member was deleted or changed since
        inputs = JobInputs(image=was.image, end_image=was.end_image, loop=was.loop, cast=was.cast)
        spec = PromptSpec.from_dict(original.spec).with_seed(secrets.randbelow((info.seed_max or 2**32 - 1) + 1))
        needs = needs_for(
            image=inputs.image is not None,
            end_image=inputs.end_image is not None,
            loop=inputs.loop,
            references=bool(inputs.cast),
        )
        spec = fit_spec(spec, info, needs)  # the neutral prompt for older jobs too
        if any(not Path(p).exists() for p in (inputs.image, inputs.end_image) if p):
            raise said(JobStateError, "reroll.image_gone")
        if any(not Path(p).exists() for c in inputs.cast for p in (*c.photos, *([c.voice] if c.voice else []))):
            raise said(JobStateError, "reroll.cast_gone")
        return await self.queue("reroll", who, spec, info, inputs, parent_job_id=original.id)

    async def prepare(
        self,
        kind: str,
        who: Requester,
        spec: PromptSpec,
        info: ModelInfo,
        inputs: JobInputs,
        parent_job_id: int | None = None,
    ) -> tuple[NewJob, Charge | None]:
        """The job to create and its reservation; a cache hit is a DELIVERING job with no charge."""
        fingerprint = await asyncio.to_thread(request_fingerprint, kind, spec, inputs)  # hashes the image
        if spec.seed is None:  # a stable seed per request, so the cache and a re-render agree
            spec = spec.with_seed(info.fit_seed(int(fingerprint[:8], 16)))
        base = NewJob(
            kind=kind,
            owner_id=who.user_id,
            guild_id=who.guild_id,
            channel_id=who.channel_id,
            model=info.name,
            spec=spec.to_dict(),
            cost_seconds=0.0,
            inputs=inputs,
            delivery=who.delivery,
            parent_job_id=parent_job_id,
            fingerprint=fingerprint,
            owner_name=page_name(who.display_name),
        )
        hit = await self.storage.cache.get(fingerprint)
        if hit is not None and Path(hit.result_path).exists():
            return replace(base, state=JobState.DELIVERING, result_path=hit.result_path), None
        if hit is not None:
            await self.storage.cache.drop(fingerprint)
        down = await self.storage.breakers.open_providers(now=self.clock()) if self.fallback is not None else set()
        if (
            down
            and self.fallback is not None
            and (why := self.fallback.refusal(request_for(0, info.name, spec.to_dict(), inputs), down))
        ):
            refused = ProviderUnavailable(str(why), provider=info.provider, provider_fault=False)
            raise saying(refused, why)  # before any charge
        # quota is seconds of video, one for one, on every model; edits of finished results make nothing new, and
        # the offline finish (local:finish) is free of quota too, and so is sound for a finished clip (not of its
        # price: priced_seconds)
        made = float(spec.duration or 0)
        free = bool(info.capabilities & NO_NEW_VIDEO) or (
            Capability.FINISH in info.capabilities and info.provider == "local"
        )
        seconds = 0.0 if free else made
        charge = await self.quota.charge(
            who.guild_id,
            who.user_id,
            seconds,
            model=info.name,
            user_install=who.user_install,
            priced_seconds=made,
            sound=spec.audio is True,
        )
        return base, charge  # seconds, in the right pool, and dollars

    async def queue(
        self,
        kind: str,
        who: Requester,
        spec: PromptSpec,
        info: ModelInfo,
        inputs: JobInputs,
        parent_job_id: int | None = None,
    ) -> Submitted:
        new, charge = await self.prepare(kind, who, spec, info, inputs, parent_job_id)
        try:
            job = await self.storage.jobs.create(new, charge=charge, now=self.clock())
        except QuotaRefused as refused:
            moved = await self._on_spend_cap(refused, kind, who, spec, info, inputs, parent_job_id)
            if moved is None:
                raise self.quota.refusal_for(refused, charge) from None
            return moved
        self.wake()
        if charge is None:
            await self.note_cached(job, new)
            return Submitted(job, cached=True, queue_position=0)
        return Submitted(job, cached=False, queue_position=await self.storage.jobs.queue_position(job.id))

    async def _on_spend_cap(
        self,
        refused: QuotaRefused,
        kind: str,
        who: Requester,
        spec: PromptSpec,
        info: ModelInfo,
        inputs: JobInputs,
        parent_job_id: int | None,
    ) -> Submitted | None:
        """A job refused only by a spend cap runs on ``VIDEOBOT_FALLBACK_ON_SPENDCAP`` instead (typically a free
        ``comfyui:`` model), saying so; None when there is none, or it cannot make this request (the refusal
        stands).  The nearest duration it makes and its default aspect stand in for ones it lacks."""
        target = self.settings.fallback_on_spendcap
        if not refused.scope.startswith("spend") or not target:
            return None
        try:
            other = self.registry.model(target)
        except InvalidOption:
            log.warning("VIDEOBOT_FALLBACK_ON_SPENDCAP names %r, which is not enabled", target)
            return None
        if other.name == info.name:
            return None
        needs = needs_for(
            video=inputs.video is not None,
            image=inputs.image is not None,
            end_image=inputs.end_image is not None,
            extend=bool(inputs.extend_task_id),
            loop=inputs.loop,
        )
        wanted = int(spec.duration or 0)
        duration = min(other.durations, key=lambda d: (abs(d - wanted), -d)) if wanted else None
        has_media = Capability.TEXT_TO_VIDEO not in needs
        aspect = spec.aspect if spec.aspect in other.aspects_for(has_media=has_media) else None
        try:
            other.check_capabilities(needs)
            moved = fit_spec(replace(spec, model=other.name, duration=duration, aspect=aspect), other, needs)
        except (InvalidOption, InvalidPrompt):
            return None
        log.info("%s refused by a spend cap (%s); running it on %s", info.name, refused.scope, other.name)
        submitted = await self.queue(kind, who, moved, other, inputs, parent_job_id)
        changed = [f"{moved.duration} s"] if moved.duration != spec.duration else []
        changed += [str(moved.aspect)] if moved.aspect != spec.aspect else []
        shape = f" ({', '.join(changed)})" if changed else ""
        note = phrase("note.spend_cap", model=other.name, shape=shape, instead=info.name)
        return replace(submitted, notes=(*submitted.notes, note))

    async def queue_together(self, prepared: list[tuple[NewJob, Charge | None]]) -> list[Job]:
        """Jobs from :meth:`prepare` created in one transaction, all or none (QuotaRefused: none), the later
        ones pointing at the first (/variations); the worker is woken and each cache hit's saving recorded."""
        news = [new for new, _ in prepared]
        charges = [charge for _, charge in prepared]
        jobs = await self.storage.jobs.create_many(news, charges, self.clock(), link_to_first=True)
        self.wake()
        for job, new, charge in zip(jobs, news, charges, strict=True):
            if charge is None:
                await self.note_cached(job, new)
        return jobs

    async def note_cached(self, job: Job, new: NewJob) -> None:
        """A cache hit spends nothing: record what it saved (the money report counts it)."""
        saved = self.quota.spend.estimate(
            job.model, float(new.spec.get("duration") or 0), sound=new.spec.get("audio") is True
        )
        await self.storage.costs.record_cached(job.id, new, saved, now=self.clock())

    # --- cancelling and reading -----------------------------------------------------------------------
    async def cancel(self, who: Requester, job_id: int) -> Job:
        """Cancel a queued or running job (owner or admin); the reservation is refunded."""
        job = await self.authorize(who, job_id, allow_admin=True)
        if job.state.finished:
            raise said(JobStateError, f"job.already_{_finished_word(job.state)}", id=job.id)
        if job.state is JobState.QUEUED and job.kind != "sequence":  # a film's director stops its shots first
            from storage import StaleJob

            try:
                job = await self.storage.jobs.finish(
                    job.id,
                    JobState.CANCELLED,
                    now=self.clock(),
                    ledger="refunded",
                    expect=[JobState.QUEUED],
                    error="Cancelled.",
                )
            except StaleJob:
                pass  # the worker took it meanwhile: fall through to a cancel request
            else:  # it never reached the worker, so the notice (the worker's words) comes from here
                await self.router.ended(job, CANCELLED_NOTICE)
                return job
        # next_attempt_at cleared: a job parked by a retry wait is picked up (and cancelled) right away
        job = await self.storage.jobs.update(job.id, cancel_requested=True, next_attempt_at=None)
        self.interrupt(job.id)
        return job

    async def get(self, job_id: int) -> Job:
        """A job, or JobNotFound."""
        job = await self.storage.jobs.get(job_id)
        if job is None:
            raise said(JobNotFound, "job.not_found", id=job_id)
        return job

    async def active_jobs(self, user_id: int) -> list[tuple[Job, int]]:
        """A user's unfinished jobs with their queue positions."""
        jobs = await self.storage.jobs.search(owner_id=user_id, states=[JobState.QUEUED, *ACTIVE_STATES], limit=50)
        return [(j, await self.storage.jobs.queue_position(j.id)) for j in jobs]

    async def chain(self, who: Requester, job_id: int) -> tuple[list[Job], Job, list[Job]]:
        """A job's whole lineage: (ancestors, the job, descendants); ``who``'s own jobs (or an admin's view)."""
        job = await self.authorize(who, job_id, allow_admin=True)
        ancestors, descendants = await lineage.chain(self.storage, job)
        return ancestors, job, descendants

    async def history(self, user_id: int, limit: int = 10) -> list[Job]:
        """A user's recent finished results."""
        return await self.storage.jobs.search(owner_id=user_id, states=[JobState.DONE], limit=limit)

    async def unfinished(self, kinds: frozenset[str]) -> list[Job]:
        """Every unfinished job whose delivery kind is one of ``kinds``, oldest first."""
        jobs = await self.storage.jobs.search(
            states=[JobState.QUEUED, *ACTIVE_STATES], limit=10_000, newest_first=False
        )
        return [j for j in jobs if j.delivery_kind in kinds]

    async def recent(self, limit: int = 20) -> list[Job]:
        """Everyone's recent jobs (CLI)."""
        return await self.storage.jobs.search(limit=limit)

    async def save_delivery(self, job_id: int, delivery: dict[str, Any]) -> Job:
        """Store a job's delivery record (its target's JSON, e.g. a chat target's status message id)."""
        return await self.storage.jobs.update(job_id, delivery=delivery)

    async def authorize(self, who: Requester, job_id: int, *, allow_admin: bool = True) -> Job:
        """The job if ``who`` owns it or (``allow_admin``) is an admin: for cancelling, deleting a result, a lineage."""
        job = await self.get(job_id)
        if job.owner_id != who.user_id and not (allow_admin and who.is_admin):
            raise said(NotJobOwner, "job.not_owner", id=job.id)
        return job


def _finished_word(state: JobState) -> str:
    return {JobState.DONE: "done", JobState.FAILED: "failed", JobState.CANCELLED: "cancelled"}.get(state, "done")


__all__ = ["GenerationService", "Requester", "Submitted"]
