"""A /sequence film while its shots are made: the film is a ``sequence`` job (model ``local:edit``) whose shots
are ``shot`` jobs naming it as parent.  While the film is QUEUED without ``sources`` the runner hands it to
:class:`FilmDirector`, which looks at the stored rows, does the next thing, and asks to be looked at again:

* a shot not created yet is created (free: the film holds the one reservation), all at once without
  ``continuity``, else one after the other, each from the last frame of the shot made before it;
* a shot that failed (after the runner's own fallback) is tried once more (unless its create may have landed:
  no second create); failed again, the member is asked
  (:class:`~bot.services.delivery.port.ShotQuestion`): *finish without it* gives its seconds back and goes on,
  *cancel the rest* cancels what is not made and gives every unmade second back; no answer within
  ``VIDEOBOT_SEQUENCE_DECISION_MINUTES`` counts as *finish without it*;
* when every shot is made or left out, a film with a soundtrack (``sound:``, a ``filmsound`` child created and
  reserved at submit, parked) gets it made now: the director gives it the film's length (the made shots' own,
  less the transitions' overlaps) and lets it run; it is an ordinary provider job (created once: a create whose
  answer was lost is never sent again), whose result is the sound alone;
* then the film gets the made shots as ``sources`` (and the soundtrack as ``audio``, mixed ``under`` the shots'
  own sound if they have any) and runs on as an ordinary ``local:edit`` join (cut, crossfade or fade),
  delivered once like any job.  A soundtrack that failed leaves the film without it (its price refunded).

Every decision is recomputed from the rows, and every write is one transaction that is harmless to repeat (a
shot is created only when none exists for its place; a shot's seconds are given back once, by
:meth:`storage.sequences.SequenceRepository.drop`), so a process killed anywhere resumes the film as it was.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from pathlib import Path

from bot.errors import SubmitUncertain, VideobotError
from bot.i18n import phrase, said
from bot.prompt import PromptSpec
from bot.services.delivery.port import FILM_SOUND_KIND, SHOT_KIND, Progress, ShotQuestion
from bot.services.jobs.run import Run
from storage import Job, JobInputs, JobState, NewJob, ShotDecision, StaleJob

log = logging.getLogger(__name__)

FILM_KIND = "sequence"
LOOK_AGAIN = 2.0  # seconds between two looks at a film's shots (a shot's end also wakes the worker)
PARKED = 600.0  # seconds between two looks of a film's parked soundtrack at its film (the director releases it)
TRIES = 2  # a shot's first take and its one retry


class LookAgain(Exception):
    """The film waits (for its shots or its member's answer): look again after ``defer`` seconds."""

    def __init__(self, defer: float):
        super().__init__(f"film waits; next look in {defer:.1f}s")
        self.defer = defer


def is_directed(job: Job) -> bool:
    """Whether the job is a film whose shots are still being made (the director's, not the runner's)."""
    return job.kind == FILM_KIND and job.inputs.op == FILM_KIND and job.inputs.sources is None


def shot_specs(film: Job) -> list[PromptSpec]:
    """The film's shots as planned at submit (each a full spec, its model and duration fitted)."""
    return [PromptSpec.from_dict(dict(s)) for s in film.spec.get("shots") or ()]


def retryable(latest: Job, takes: list[Job]) -> bool:
    """Whether a failed shot gets its one retry: not after it, and never when its create may have landed (a
    process killed while the provider took it, which the provider cannot find): that would be a second create
    of the same shot, so the member is asked at once instead."""
    return len(takes) < TRIES and latest.error != SubmitUncertain.user_message


def is_parked(job: Job) -> bool:
    """Whether the job is a film's soundtrack still waiting for its film's length (set by the director)."""
    return job.kind == FILM_SOUND_KIND and job.state is JobState.QUEUED and job.inputs.seconds is None


def seconds_of(spec: PromptSpec) -> float:
    """A shot's share of the film's reservation."""
    return float(spec.duration or 0)


class FilmDirector:
    """One look at a film: create, retry, ask, drop, cancel or join, from what the rows say."""

    def __init__(self, run: Run):
        self.run = run
        self.ctx = run.ctx

    async def step(self) -> None:
        """Do what the film needs now; raise :class:`LookAgain` when it has to wait."""
        storage, now = self.ctx.storage, self.ctx.clock()
        film = await storage.jobs.get(self.run.job.id)
        if film is None:
            raise StaleJob(f"film {self.run.job.id} is gone")
        self.run.job = film
        if not is_directed(film) or film.state is not JobState.QUEUED:
            return  # finished, or joined already (by a look that was cut short): the runner goes on
        plan = shot_specs(film)
        takes = await self._takes(film)
        decisions = {d.shot: d for d in await storage.sequences.decisions(film.id)}
        if film.cancel_requested or any(d.answer == "cancel" for d in decisions.values()):
            await self._cancel_rest(film, plan, takes, decisions)
            return
        made: dict[int, Job] = {}
        settled = 0
        waits: list[float] = [now + LOOK_AGAIN]
        for n, spec in enumerate(plan, start=1):
            mine = takes.get(n, [])
            latest = mine[-1] if mine else None
            decision = decisions.get(n)
            if decision is not None and decision.dropped_at is not None:
                settled += 1
                continue
            if latest is not None and latest.state is JobState.DONE and latest.result_path:
                made[n] = latest
                settled += 1
                continue
            if latest is None or (latest.state in (JobState.FAILED, JobState.CANCELLED) and retryable(latest, mine)):
                await self._create(film, n, spec, made)
            elif latest.state.finished:  # failed twice: the member decides, or the clock does
                decision = decision or await self._ask(film, n, len(plan), latest, now)
                deadline = decision.asked_at + self.ctx.settings.sequence_decision_minutes * 60
                if decision.answer == "finish" or now >= deadline:
                    if decision.answer is None:
                        await storage.sequences.answer(film.id, n, "timeout", now=now)
                    await storage.sequences.drop(film.id, n, seconds_of(spec), now=now)
                    settled += 1
                    continue
                waits.append(deadline)
            if film.inputs.continuity:
                break  # the next shot starts from this one's last frame
        if settled == len(plan):
            await self._finish(film, plan, made)
            return
        await self._status(film, plan, takes, len(made))
        raise LookAgain(max(0.0, min(waits) - now))

    async def _takes(self, film: Job) -> dict[int, list[Job]]:
        """The film's shot jobs by place, oldest take first."""
        out: dict[int, list[Job]] = {}
        for child in await self.ctx.storage.jobs.children(film.id, limit=1000):
            if child.kind == SHOT_KIND and child.inputs.shot:
                out.setdefault(child.inputs.shot, []).append(child)
        return out

    async def _finish(self, film: Job, plan: list[PromptSpec], made: dict[int, Job]) -> None:
        """Every shot is made or left out: the soundtrack (if any) is made, then the film joined."""
        sound = await self._soundtrack(film)
        if sound is not None and not sound.state.finished:
            if not made:
                await self._stop(sound)  # no film to lay it under: its price refunded
            else:
                await self._make_sound(film, sound, plan, made)  # raises LookAgain
        await self._join(film, plan, made, sound)

    async def _soundtrack(self, film: Job) -> Job | None:
        """The film's soundtrack job (``sound:``), if it has one."""
        for child in await self.ctx.storage.jobs.children(film.id, limit=1000):
            if child.kind == FILM_SOUND_KIND:
                return child
        return None

    async def _make_sound(self, film: Job, sound: Job, plan: list[PromptSpec], made: dict[int, Job]) -> None:
        """Every shot is settled: the soundtrack gets the film's length and runs (once: a second look finds it
        released, and only makes sure it is due); the film looks again when it ends."""
        storage = self.ctx.storage
        if is_parked(sound):
            lengths = [(await self.ctx.media.probe(Path(str(made[n].result_path)))).duration for n in sorted(made)]
            overlap = (film.inputs.crossfade or 0.0) if film.inputs.transition not in (None, "cut") else 0.0
            length = round(sum(lengths) - overlap * (len(lengths) - 1), 3)
            spec = dict(sound.spec) | {"duration": max(1, math.ceil(length - 0.05))}
            inputs = replace(sound.inputs, seconds=length, source_jobs=tuple(made[n].id for n in sorted(made)))
            await storage.jobs.update(
                sound.id, expect=[JobState.QUEUED], inputs=inputs, spec=spec, next_attempt_at=None
            )
        elif sound.state is JobState.QUEUED and (sound.next_attempt_at or 0) > self.ctx.clock() + LOOK_AGAIN:
            await storage.jobs.update(sound.id, expect=[JobState.QUEUED], next_attempt_at=None)  # a parked look's wait
        await self._status(film, plan, {}, len(made), line="Soundtrack in the making · every shot done")
        raise LookAgain(LOOK_AGAIN)

    async def _stop(self, job: Job) -> None:
        """End a film's part that is no longer wanted: cancelled and refunded if it has not started, else asked to
        stop (its runner cancels its provider task)."""
        try:
            await self.ctx.storage.jobs.finish(
                job.id,
                JobState.CANCELLED,
                now=self.ctx.clock(),
                ledger="refunded",
                expect=[JobState.QUEUED],
                error="Cancelled.",
            )
        except StaleJob:
            await self.ctx.storage.jobs.update(job.id, cancel_requested=True, next_attempt_at=None)

    async def _create(self, film: Job, n: int, spec: PromptSpec, made: dict[int, Job]) -> Job:
        """A take of shot ``n`` (its first, or its one retry), free of charge, from the last frame of the shot
        made before it when the film keeps continuity (the film's start image for the first shot)."""
        image = film.inputs.image if n == 1 else None
        if film.inputs.continuity and n > 1:
            before = [made[k] for k in sorted(made) if k < n]
            image = await self._last_frame(before[-1]) if before else film.inputs.image
        new = NewJob(
            kind=SHOT_KIND,
            owner_id=film.owner_id,
            guild_id=film.guild_id,
            channel_id=film.channel_id,
            model=str(spec.model),
            spec=spec.to_dict(),
            cost_seconds=0.0,
            inputs=JobInputs(shot=n, of=film.inputs.of, image=image, cast=film.inputs.cast),  # the film's cast
            delivery=film.delivery,
            parent_job_id=film.id,
            owner_name=film.owner_name,
        )
        return await self.ctx.storage.jobs.create(new, charge=None, now=self.ctx.clock())

    async def _last_frame(self, shot: Job) -> str:
        frame = self.ctx.settings.inputs_dir / f"lastframe-{shot.id}.png"
        frame.parent.mkdir(parents=True, exist_ok=True)
        if not frame.exists():
            await self.ctx.media.last_frame(Path(str(shot.result_path)), frame)
        return str(frame)

    async def _ask(self, film: Job, n: int, of: int, failed: Job, now: float) -> ShotDecision:
        decision = await self.ctx.storage.sequences.ask(film.id, n, now=now)
        if decision.asked_at == now:  # asked just now (a resumed film does not ask twice)
            deadline = now + self.ctx.settings.sequence_decision_minutes * 60
            reason = failed.error or "it failed"
            await self.ctx.router.ask_shot(ShotQuestion(film, n, of, reason, deadline))
        return decision

    async def _cancel_rest(
        self, film: Job, plan: list[PromptSpec], takes: dict[int, list[Job]], decisions: dict[int, ShotDecision]
    ) -> None:
        """Stop every shot not made and keep only the made shots' seconds reserved (then charged)."""
        storage, now = self.ctx.storage, self.ctx.clock()
        kept = 0.0
        for n, spec in enumerate(plan, start=1):
            for take in takes.get(n, []):
                reused = bool(take.inputs.source_jobs)  # a re-rolled film's other shots: paid for by the first
                if take.state is JobState.DONE and not reused and (n not in decisions or not decisions[n].dropped_at):
                    kept += seconds_of(spec)
                    break
            for take in takes.get(n, []):
                if take.state.finished:
                    continue
                try:
                    await storage.jobs.finish(
                        take.id, JobState.CANCELLED, now=now, ledger=None, expect=[JobState.QUEUED], error="Cancelled."
                    )
                except StaleJob:  # running: its runner cancels its provider task
                    await storage.jobs.update(take.id, cancel_requested=True, next_attempt_at=None)
        sound = await self._soundtrack(film)
        if sound is not None and not sound.state.finished:
            await self._stop(sound)  # its price refunded
        await storage.sequences.keep(film.id, kept)
        self.run.job = await storage.jobs.finish(
            film.id,
            JobState.CANCELLED,
            now=now,
            ledger="committed" if kept else "refunded",
            error="Cancelled.",
        )
        notice = phrase("notice.film_cancelled_kept", seconds=f"{kept:g}") if kept else phrase("notice.film_cancelled")
        await self.ctx.router.ended(self.run.job, notice)

    async def _join(self, film: Job, plan: list[PromptSpec], made: dict[int, Job], sound: Job | None) -> None:
        """Every shot is made or left out (and the soundtrack made or failed): the film becomes an ordinary join
        of the made shots, with the soundtrack under them.  A new version of a film (a shot re-rolled) keeps the
        soundtrack of the film it came from, while that is stored."""
        if not made:
            raise said(VideobotError, "notice.film_no_shot")
        order = sorted(made)
        overlap = (film.inputs.crossfade or 0.0) if film.inputs.transition not in (None, "cut") else 0.0
        length = sum(seconds_of(plan[n - 1]) for n in order) - overlap * (len(order) - 1)
        audio = film.inputs.audio if film.inputs.audio and Path(film.inputs.audio).exists() else None
        if sound is not None:
            audio = str(sound.result_path) if sound.state is JobState.DONE and sound.result_path else None
        inputs = replace(
            film.inputs,
            sources=tuple(str(made[n].result_path) for n in order),
            source_jobs=tuple(made[n].id for n in order),
            audio=audio,
            mix="under" if audio else None,
        )
        spec = dict(film.spec) | {"duration": max(1, math.ceil(length - 0.05))}
        self.run.job = await self.ctx.storage.jobs.update(film.id, expect=[JobState.QUEUED], inputs=inputs, spec=spec)

    async def _status(
        self, film: Job, plan: list[PromptSpec], takes: dict[int, list[Job]], done: int, *, line: str = ""
    ) -> None:
        """The film's one status line: "Shot 3 of 6 rendering · 2 done · about 40 s left"."""
        expected = await self._expected(plan)
        line = line or status_line(plan, takes, done, expected, self.ctx.clock(), film.inputs.continuity)
        try:
            await self.ctx.router.target_for(film).progress(Progress(film, status=line))
        except Exception:
            log.warning("film %s: status not shown", film.id, exc_info=True)

    async def _expected(self, plan: list[PromptSpec]) -> dict[str, float]:
        out: dict[str, float] = {}
        for model in {str(s.model) for s in plan}:
            timing = await self.ctx.storage.timings.get(model)
            if timing is not None:
                out[model] = timing.mean_seconds
        return out


def status_line(
    plan: list[PromptSpec],
    takes: dict[int, list[Job]],
    done: int,
    expected: dict[str, float],
    now: float,
    sequential: bool,
) -> str:
    """ "Shot 3 of 6 rendering · 2 done · about 40 s left" (the time only when the shots' model has history)."""
    unmade = [n for n in range(1, len(plan) + 1) if not any(t.state is JobState.DONE for t in takes.get(n, []))]
    rendering = [n for n in unmade if any(not t.state.finished for t in takes.get(n, []))]
    current = rendering[0] if rendering else (unmade[0] if unmade else len(plan))
    verb = "rendering" if rendering else "waiting"
    line = f"Shot {current} of {len(plan)} {verb} · {done} done"
    lefts = []
    for n in unmade:
        mean = expected.get(str(plan[n - 1].model))
        if mean is None:
            return line
        live = [t for t in takes.get(n, []) if not t.state.finished and t.started_at]
        lefts.append(max(0.0, mean - (now - live[-1].started_at)) if live and live[-1].started_at else mean)
    if lefts:
        left = sum(lefts) if sequential else max(lefts)
        line += f" · about {max(5, round(left / 5) * 5):.0f} s left"
    return line
