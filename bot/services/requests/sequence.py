"""/sequence: a short film of 2–8 shots, as one durable job graph.

The member writes the shots one per line (each up to 300 characters, optionally ending in ``| 4s`` for that
shot's length); the shared options (model, preset, style, camera, lighting, aspect) apply to every shot so
the film keeps one look.  Everything that can be refused is refused before anything is stored or charged
(:meth:`Sequences.check`): the shot count, a long line, a length the model cannot make, a film longer than
``VIDEOBOT_MAX_EDIT_SECONDS``, ``continuity`` on a model that takes no image; the quota for the whole film is
then reserved at once, in the transaction that creates the film (:meth:`storage.jobs.JobRepository.create_many`).

Where the model makes a whole shot list in one task (Runway's ``recipes.multi_shot_video``: 3-5 shots adding up to
5, 10 or 15 s; Kling 3.0 on Runway: its ``multiPrompt``, shots adding up to 5 or 10 s;
:class:`bot.providers.base.MultiShot`), the film is that one task: a ``sequence`` job on the
model, its shot list sent as the request's ``shots``.  Otherwise it is orchestrated:
the film is a ``sequence`` job holding that one reservation; its shots are free ``shot`` children, made by
:class:`bot.services.jobs.film.FilmDirector` (in order from each other's last frame with ``continuity``, side by
side without) and joined with the chosen transition.  :meth:`Sequences.decide` takes the member's answer about a
shot that failed twice; :meth:`Sequences.reroll_shot` makes a new version of a finished film with one shot made
again (the others reused, the new film a child of the old one, which lineage shows).

``sound`` (:attr:`FilmOptions.sound`): one soundtrack described for the whole film, made by the sound model
``/soundtrack prompt:`` uses (Runway's ``sound_effect``) and laid under the joined film.  It is checked with the
film (a sound model enabled, none offline; the description within the model's limit; the film no longer than
the sound it can make; the hourly sound limit) and reserved with it: the film's seconds and the soundtrack's
price are one transaction, the soundtrack a ``filmsound`` job of its own in the cost ledger (free of the seconds
quota, like /soundtrack).  It waits, parked, until every shot is made or left out; the film's director then
gives it the film's length and lets it run, and the join lays it under the shots: replacing their silence, or
with ``audio:on`` mixed over their own sound, which stays ducked under it (``/soundtrack mix:under``).  A film
with ``sound`` is always orchestrated (one task per shot): the soundtrack goes onto the joined film.
"""

from __future__ import annotations

import asyncio
import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import InvalidOption, InvalidPrompt, JobStateError
from bot.i18n import phrase, said
from bot.prompt import PromptSpec, clean_text
from bot.providers._local_render import EDIT_MODEL
from bot.providers.base import TEXT_SOUND_OP, Capability, ModelInfo, needs_for
from bot.providers.registry import ProviderRegistry
from bot.services.delivery.port import FILM_SOUND_KIND, SHOT_KIND
from bot.services.jobs.film import FILM_KIND, is_directed, seconds_of, shot_specs
from bot.services.money.quota import QuotaService
from bot.services.requests.intake import fit_spec, parts_without_subject, store_upload
from bot.services.requests.requester import Requester, Submitted, page_name
from bot.services.requests.sound import sound_allowed, sound_model
from bot.settings import Settings
from storage import CastUse, Charge, Job, JobInputs, JobState, NewJob, QuotaRefused, Storage

if TYPE_CHECKING:
    from bot.services.requests.generation import GenerationService

MAX_SHOT_CHARS = 300
MAX_TITLE_CHARS = 100
TRANSITIONS = ("cut", "crossfade", "fade")
OVERLAP_SECONDS = 0.5  # a crossfade's or fade's length: the film is the sum of its shots minus these
ANSWERS = ("finish", "cancel")
_LENGTH = re.compile(r"^(?P<prompt>.*?)\s*\|\s*(?P<seconds>\d{1,3})\s*(?:s|sec|secs|seconds?)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Shot:
    """One line of the modal: what the shot shows, and its own length if the line gave one."""

    prompt: str
    seconds: int | None = None


@dataclass(frozen=True)
class FilmOptions:
    """The options of the command that are the film's own (the shared look is the :class:`PromptSpec`, its
    ``audio`` included); ``cast``: the server's characters in every shot, sent to a reference model; ``sound``:
    a description of one soundtrack over the whole film (empty: none)."""

    title: str = ""
    continuity: bool = False
    transition: str = "cut"
    cast: tuple[CastUse, ...] = ()
    sound: str = ""


@dataclass(frozen=True)
class FilmPlan:
    """A checked film: its shots' fitted specs (model and length each), its model, length and reservation."""

    options: FilmOptions
    shots: tuple[PromptSpec, ...]
    model: ModelInfo
    native: bool = False  # the model makes the whole film in one task (:class:`bot.providers.base.MultiShot`)
    sound: ModelInfo | None = None  # the model that makes the film's soundtrack (``FilmOptions.sound``)

    @property
    def seconds(self) -> float:
        """The seconds reserved for the film: every shot's length."""
        return sum(seconds_of(s) for s in self.shots)

    @property
    def overlap(self) -> float:
        """The seconds each transition overlaps two shots by (0 for cuts, and in one task: the model cuts)."""
        return 0.0 if self.options.transition == "cut" or self.native else OVERLAP_SECONDS

    @property
    def length(self) -> float:
        """The film's length once joined: the sum minus the overlaps."""
        return self.seconds - self.overlap * (len(self.shots) - 1)


def _together(charges: list[Charge | None]) -> Charge | None:
    """One charge standing for a film's reservations (its shots' seconds and dollars, its soundtrack's dollars),
    for the words of a refusal."""
    held = [c for c in charges if c is not None]
    if len(held) < 2 or held[0].spend is None:
        return held[0] if held else None
    usd = sum(c.spend.cost.usd for c in held if c.spend is not None)
    spend = replace(held[0].spend, cost=replace(held[0].spend.cost, usd=usd))
    return replace(held[0], seconds=sum(c.seconds for c in held), spend=spend)


def parse_shots(text: str, max_shots: int) -> list[Shot]:
    """The modal's shots, one per non-empty line, ``| 4s`` giving a line its own length; refuses the rest."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        raise said(InvalidOption, "sequence.too_few")
    if len(lines) > max_shots:
        raise said(InvalidOption, "sequence.too_many", count=len(lines), max=max_shots)
    shots = []
    for n, line in enumerate(lines, start=1):
        if len(line) > MAX_SHOT_CHARS:
            raise said(InvalidPrompt, "sequence.shot_too_long", shot=n, length=len(line), limit=MAX_SHOT_CHARS)
        found = _LENGTH.match(line)
        prompt, seconds = (found["prompt"], int(found["seconds"])) if found else (line, None)
        if not prompt.strip():
            raise said(InvalidPrompt, "sequence.shot_empty", shot=n)
        shots.append(Shot(prompt.strip(), seconds))
    return shots


class Sequences:
    """/sequence: check, submit, the member's answer about a failed shot, a shot re-rolled."""

    def __init__(
        self,
        storage: Storage,
        registry: ProviderRegistry,
        settings: Settings,
        quota: QuotaService,
        core: GenerationService,
        wake: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ):
        self.storage = storage
        self.registry = registry
        self.settings = settings
        self.quota = quota
        self.core = core  # ownership checks
        self.wake = wake
        self.clock = clock

    def check(self, spec: PromptSpec, shots_text: str, options: FilmOptions, *, image: bool = False) -> FilmPlan:
        """Every refusal that needs no I/O (the edge calls it before acknowledging): shots, lengths, the model's
        abilities, the film's total."""
        if options.transition not in TRANSITIONS:
            raise said(InvalidOption, "sequence.transition", options=", ".join(TRANSITIONS))
        if len(options.title) > MAX_TITLE_CHARS:
            raise said(InvalidPrompt, "sequence.title_too_long", length=len(options.title), limit=MAX_TITLE_CHARS)
        shots = parse_shots(shots_text, self.settings.max_sequence_shots)
        self.registry.model(EDIT_MODEL)  # the join runs on the bot's machine: refused here if it is switched off
        sound = self.check_sound(options.sound)
        first_needs = needs_for(image=image, references=bool(options.cast))
        if options.continuity:
            if spec.model:
                info = self.registry.model(spec.model)
                if not info.can(Capability.IMAGE_TO_VIDEO):
                    raise said(InvalidOption, "sequence.continuity_no_image", model=info.name)
            info = self.registry.choose(
                spec.model,
                {Capability.IMAGE_TO_VIDEO, *(() if image else {Capability.TEXT_TO_VIDEO})}
                if not spec.model
                else Capability.IMAGE_TO_VIDEO,
            )
            if not image and not info.can(Capability.TEXT_TO_VIDEO):
                raise said(InvalidOption, "sequence.images_only", model=info.name)
        else:
            info = self.registry.choose(spec.model, first_needs)
        if options.cast:  # every shot carries the cast: a reference model, within its photo limit
            if not info.can(Capability.REFERENCES):
                able = self.registry.who_can(Capability.REFERENCES)
                raise said(InvalidOption, "sequence.no_cast", model=info.name, able=able)
            info.check_references(sum(len(c.photos) for c in options.cast))
        if spec.audio is True and not info.can(Capability.SOUND):  # an explicit audio:on: say which models can
            able = self.registry.who_can(needs_for(audio=True))
            raise said(InvalidOption, "sequence.silent", model=info.name, able=able)
        audio = self.core.sound_for(spec.audio, info)  # each shot made with sound or not, as one film
        specs = []
        for n, shot in enumerate(shots, start=1):
            needs = first_needs if n == 1 else needs_for(image=options.continuity, references=bool(options.cast))
            one = PromptSpec.create(
                shot.prompt, **parts_without_subject(replace(spec, duration=shot.seconds or spec.duration))
            )
            specs.append(replace(fit_spec(replace(one, model=info.name), info, needs), audio=audio))
        multi = info.multi_shot
        lengths = [int(s.duration or 0) for s in specs]
        native = multi is not None and multi.fits(lengths) and specs[0].aspect in multi.aspects
        native = native and not options.cast and sound is None  # a soundtrack goes onto the joined shots
        plan = FilmPlan(options, tuple(specs), info, native=native, sound=sound)
        if plan.seconds > self.settings.max_edit_seconds + 0.05:
            raise said(
                InvalidOption,
                "sequence.too_long",
                seconds=f"{plan.seconds:g}",
                limit=self.settings.max_edit_seconds,
            )
        longest = sound.max_input_seconds if sound is not None else None
        if sound is not None and longest is not None and plan.length > longest + 0.05:
            raise said(
                InvalidOption,
                "sequence.sound_too_long",
                length=f"{plan.length:g}",
                model=sound.name,
                limit=f"{longest:g}",
            )
        if plan.overlap and plan.overlap >= min(seconds_of(s) for s in specs):
            raise said(InvalidOption, "sequence.transition_too_long")
        return plan

    def check_sound(self, description: str) -> ModelInfo | None:
        """The model for a film's soundtrack, refused without I/O (no sound model enabled, e.g. offline; a
        description over its limit), or None when no soundtrack is asked for."""
        if not clean_text(description):
            return None
        return sound_model(self.registry, Capability.TEXT_TO_AUDIO, description)

    async def submit(
        self,
        who: Requester,
        spec: PromptSpec,
        shots_text: str,
        options: FilmOptions,
        image: bytes | Path | None = None,
    ) -> Submitted:
        """Check, reserve the whole film's seconds and store the film with its first shots (all of them without
        continuity, the first with it), in one transaction; the worker does the rest."""
        plan = self.check(spec, shots_text, options, image=image is not None)
        if plan.sound is not None:
            await sound_allowed(self.storage, self.settings, who, self.clock())
        stored = None
        try:
            if image is not None:
                stored, _ = await store_upload(self.settings, image)
            charge = await self.quota.charge(who.guild_id, who.user_id, plan.seconds, model=plan.model.name)
            film = self._film(who, plan, stored)
            first = () if plan.native else plan.shots if not options.continuity else plan.shots[:1]
            cast = options.cast
            shot_jobs = (self._shot(who, n, s, len(plan.shots), stored, cast) for n, s in enumerate(first, start=1))
            news: list[NewJob] = [film]
            charges: list[Charge | None] = [charge]
            if plan.sound is not None:  # priced with the film, in one transaction; free of the seconds quota
                track = self._soundtrack(who, plan, plan.sound)
                news.append(track)
                charges.append(
                    await self.quota.charge(
                        who.guild_id, who.user_id, 0.0, model=plan.sound.name, priced_seconds=plan.length
                    )
                )
            news += shot_jobs
            charges += [None] * (len(news) - len(charges))
            try:
                jobs = await self.storage.jobs.create_many(news, charges, self.clock(), link_to_first=True)
            except QuotaRefused as refused:
                raise self.quota.refusal_for(refused, _together(charges)) from None
        except BaseException:
            if stored is not None:
                stored.unlink(missing_ok=True)
            raise
        self.wake()
        order = "continuity" if options.continuity else "side_by_side"
        order = "native" if plan.native else order
        note = phrase(f"note.film.{order}", count=len(plan.shots), length=f"{plan.length:g}", model=plan.model.name)
        if plan.sound is not None:
            note = note.then("note.film.soundtrack", model=plan.sound.name)
        return Submitted(jobs[0], cached=False, queue_position=0, notes=(note,))

    def _soundtrack(self, who: Requester, plan: FilmPlan, info: ModelInfo) -> NewJob:
        """The film's soundtrack, parked (no ``seconds`` yet) until the film's director knows the film's length."""
        spec = PromptSpec(
            subject=clean_text(plan.options.sound),
            duration=max(1, math.ceil(plan.length - 0.05)),
            aspect=info.aspects[0],
            model=info.name,
        )
        return NewJob(
            kind=FILM_SOUND_KIND,
            owner_id=who.user_id,
            guild_id=who.guild_id,
            channel_id=who.channel_id,
            model=info.name,
            spec=spec.to_dict(),
            cost_seconds=0.0,
            inputs=JobInputs(op=TEXT_SOUND_OP, mix="under"),
            delivery=who.delivery,
            owner_name=page_name(who.display_name),
        )

    def _film(self, who: Requester, plan: FilmPlan, image: Path | None) -> NewJob:
        first = plan.shots[0]
        title = plan.options.title.strip() or first.subject[:MAX_TITLE_CHARS]
        model = plan.model.name if plan.native else EDIT_MODEL  # one provider task, or the join of the shots
        spec = PromptSpec(
            subject=title,
            duration=max(1, math.ceil(plan.length - 0.05)),
            aspect=first.aspect,
            model=model,
            audio=first.audio if plan.native else None,  # in one task: the model's sound, as every shot's
        ).to_dict()
        inputs = JobInputs(
            op=None if plan.native else FILM_KIND,
            of=len(plan.shots),
            continuity=plan.options.continuity,
            transition=plan.options.transition,
            crossfade=plan.overlap or None,
            image=str(image) if image is not None else None,
            cast=plan.options.cast,
        )
        return NewJob(
            kind=FILM_KIND,
            owner_id=who.user_id,
            guild_id=who.guild_id,
            channel_id=who.channel_id,
            model=model,
            spec=spec | {"shots": [s.to_dict() for s in plan.shots]},
            cost_seconds=0.0,
            inputs=inputs,
            delivery=who.delivery,
            owner_name=page_name(who.display_name),
        )

    def _shot(
        self,
        who: Requester,
        n: int,
        spec: PromptSpec,
        of: int,
        image: Path | None,
        cast: tuple[CastUse, ...] = (),
    ) -> NewJob:
        return NewJob(
            kind=SHOT_KIND,
            owner_id=who.user_id,
            guild_id=who.guild_id,
            channel_id=who.channel_id,
            model=str(spec.model),
            spec=spec.to_dict(),
            cost_seconds=0.0,
            inputs=JobInputs(
                shot=n,
                of=of,
                image=str(image) if image is not None and n == 1 else None,
                cast=cast,
            ),
            delivery=who.delivery,
            owner_name=page_name(who.display_name),
        )

    async def decide(self, who: Requester, film_id: int, shot: int, answer: str) -> Job:
        """The member's answer about a shot that failed twice: ``finish`` without it, or ``cancel`` the rest.
        A stale or repeated answer (already answered, timed out, finished film) is refused and changes nothing."""
        if answer not in ANSWERS:
            raise said(InvalidOption, "sequence.answer")
        film = await self.core.authorize(who, film_id, allow_admin=False)
        if film.kind != FILM_KIND or not is_directed(film) or film.state.finished:
            raise said(JobStateError, "sequence.not_waiting", film=film_id)
        if not await self.storage.sequences.answer(film_id, shot, answer, now=self.clock()):
            raise said(JobStateError, "sequence.decided", shot=shot, film=film_id)
        film = await self.storage.jobs.update(film_id, next_attempt_at=None)  # look at the film now
        self.wake()
        return film

    async def shots(self, who: Requester, film_id: int) -> list[Job]:
        """A film's shots as delivered (the newest take of each place), for the shot list and the 🔁 select."""
        film = await self.core.authorize(who, film_id, allow_admin=True)
        latest: dict[int, Job] = {}
        for child in await self.storage.jobs.children(film.id, limit=1000):
            if child.kind == SHOT_KIND and child.inputs.shot:
                latest[child.inputs.shot] = child
        return [latest[n] for n in sorted(latest)]

    async def reroll_shot(self, who: Requester, film_id: int, shot: int) -> Submitted:
        """A new version of a finished film with shot ``shot`` made again (a new seed) and the other shots
        reused; only the re-rolled shot's seconds are charged.  The new film is the old one's child."""
        film = await self.core.extendable(who, film_id)  # own, finished, still stored
        if film.kind != FILM_KIND:
            raise said(JobStateError, "sequence.not_a_film", film=film_id)
        if film.inputs.op != FILM_KIND:
            raise said(JobStateError, "sequence.one_task", film=film_id)
        plan = shot_specs(film)
        if not 1 <= shot <= len(plan):
            raise said(InvalidOption, "sequence.shot_range", film=film_id, count=len(plan))
        made = {s.inputs.shot or 0: s for s in await self.shots(who, film_id) if s.state is JobState.DONE}
        old = made.get(shot)
        info = self.registry.model(str(plan[shot - 1].model))
        seed = secrets.randbelow((info.seed_max or 2**32 - 1) + 1)
        fresh = plan[shot - 1].with_seed(seed)
        again = replace(
            self._shot(who, shot, fresh, len(plan), None),
            inputs=JobInputs(
                shot=shot,
                of=len(plan),
                image=old.inputs.image if old is not None else None,
                cast=film.inputs.cast,  # the photos the original used, even if the member changed since
            ),
        )
        if again.inputs.image and not await asyncio.to_thread(Path(again.inputs.image).exists):
            raise said(JobStateError, "sequence.frame_gone")
        reused = [
            replace(
                self._shot(who, n, plan[n - 1], len(plan), None),
                state=JobState.DELIVERING,
                result_path=made[n].result_path,
                inputs=JobInputs(shot=n, of=len(plan), source_jobs=(made[n].id,)),
            )
            for n in sorted(made)
            if n != shot and made[n].result_path and Path(str(made[n].result_path)).exists()
        ]
        spec = dict(film.spec) | {"shots": [s.to_dict() for s in (*plan[: shot - 1], fresh, *plan[shot:])]}
        inputs = replace(film.inputs, sources=None, source_jobs=(film.id,), image=film.inputs.image)
        new_film = replace(
            NewJob(
                kind=FILM_KIND,
                owner_id=who.user_id,
                guild_id=who.guild_id,
                channel_id=who.channel_id,
                model=EDIT_MODEL,
                spec=spec,
                cost_seconds=0.0,
                inputs=inputs,
                delivery=who.delivery,
                owner_name=page_name(who.display_name),
            ),
            parent_job_id=film.id,
        )
        charge: Charge = await self.quota.charge(who.guild_id, who.user_id, seconds_of(fresh), model=info.name)
        news = [new_film, again, *reused]
        try:
            jobs = await self.storage.jobs.create_many(
                news, [charge, *([None] * (len(news) - 1))], self.clock(), link_to_first=True
            )
        except QuotaRefused as refused:
            raise self.quota.refusal_for(refused, charge) from None
        self.wake()
        note = phrase("note.film.reroll", shot=shot, film=film_id, new=jobs[0].id)
        return Submitted(jobs[0], cached=False, queue_position=0, notes=(note,))
