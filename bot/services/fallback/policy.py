"""Fallback when a provider is down: which model a job moves to, and the circuit breaker per provider.

The owner gives an ordered list per input kind (``VIDEOBOT_FALLBACK_TEXT``, ``_IMAGE``, ``_VIDEO``).  A job
whose create failed in a way that certainly made no task (an outage, a revoked key, a model gone, a 429 whose
wait passes the deadline), or whose task failed on the provider's side (Runway ``INTERNAL.*``), moves to the
first listed model of another provider that is enabled, not behind an open breaker, not tried yet for this job,
and passes :meth:`ModelInfo.validate` for the same request: capability, duration, aspect, inputs.  With
``VIDEOBOT_FALLBACK_CLAMP=true`` a model that cannot make the asked duration or aspect may still take the job
with the longest duration it makes that is not longer (never charged more) and the nearest aspect.  A refusal
for safety or moderation is never a provider fault: such a prompt is never re-sent elsewhere.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.errors import ConfigError, InvalidOption, InvalidRequest, ProviderError
from bot.i18n import Phrase, phrase
from bot.prompt import PromptSpec
from bot.providers.base import Capability, GenerationRequest, ModelInfo, Reference
from bot.providers.catalogue import CATALOGUE, canonical_name
from bot.providers.finishes import FINISH_MODELS, FINISH_ORDER, FRAME_RATES, RESOLUTIONS, resolution_for
from bot.providers.registry import ProviderRegistry
from bot.settings import Settings
from storage import Breaker, CastUse, Job, JobInputs

log = logging.getLogger(__name__)

PROVIDER_NAMES = {"runway": "Runway", "luma": "Luma", "replicate": "Replicate", "fal": "fal", "local": "local"}
KINDS = {"text": "fallback_text", "image": "fallback_image", "video": "fallback_video"}
FINISH = "finish"  # a finish falls back along the finishing order (bot/providers/finishes.py), not a setting
_KIND_NEEDS = {"text": Capability.TEXT_TO_VIDEO, "image": Capability.IMAGE_TO_VIDEO, "video": Capability.VIDEO_TO_VIDEO}


def provider_label(provider: str) -> str:
    """A provider's name as users know it."""
    return PROVIDER_NAMES.get(provider, provider)


def model_label(model: str) -> str:
    """``luma:ray-2`` → ``Luma ray-2``."""
    provider, _, name = model.partition(":")
    return f"{provider_label(provider)} {name}".strip()


def unavailable_reason(provider: str) -> str:
    """Why a job left a provider, as the user reads it."""
    return f"{provider_label(provider)} is unavailable"


def fallback_note(job: Job, *, done: bool = True) -> str | None:
    """ "Runway is unavailable; made with Luma ray-2" for a job that moved (None for one that did not)."""
    if not job.fallback_from:
        return None
    reason = job.fallback_reason or unavailable_reason(job.fallback_from.split(":", 1)[0])
    return f"{reason}; {'made' if done else 'making it'} with {model_label(job.model)}"


def falls_back(exc: BaseException) -> bool:
    """Whether this failure may send the job to another model: a provider-side failure, never moderation."""
    return isinstance(exc, ProviderError) and exc.provider_fault


@dataclass(frozen=True)
class Landing:
    """Where a job goes next: the fallback model, and the duration and aspect it takes the job at.  (Not to be
    confused with discord's app_commands.Choice, the one "Choice" in the code.)"""

    model: str
    duration: int
    aspect: str

    def clamped(self, request: GenerationRequest) -> bool:
        """Whether the request had to change to fit."""
        return (self.duration, self.aspect) != (request.duration, request.aspect)


def _extra(inputs: JobInputs) -> dict[str, str]:
    """The inputs a provider reads from ``GenerationRequest.extra`` (the local renderer: /remix's strength and
    the edits' options), as text: strings as they are, the rest as JSON."""
    values = {
        "strength": inputs.strength,
        "op": inputs.op,
        "times": inputs.times,
        "sources": inputs.sources,
        "crossfade": inputs.crossfade,
        "audio": inputs.audio,
        "volume": inputs.volume,
        "transition": inputs.transition,
        "width": inputs.width,
        "height": inputs.height,
        "fps": inputs.fps,
        "source_task_id": inputs.source_task_id,
        "scale": inputs.scale,
        "mix": inputs.mix,
        "seconds": inputs.seconds,
    }
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items() if v is not None}


def request_for(job_id: int, model: str, spec_data: dict[str, Any], inputs: JobInputs) -> GenerationRequest:
    """The provider request for a stored job's spec and inputs (identical after a restart).  A /sequence film
    made in one task carries its shot list in ``extra["shots"]`` (each shot's prompt and seconds, as JSON)."""
    spec = PromptSpec.from_dict(spec_data)
    extra = _extra(inputs)
    if spec_data.get("shots") and inputs.op is None:
        shots = [PromptSpec.from_dict(dict(s)) for s in spec_data["shots"]]
        extra["shots"] = json.dumps([{"prompt": s.text(), "duration": int(s.duration or 0)} for s in shots])
    return GenerationRequest(
        job_id=job_id,
        model=model,
        prompt=spec.text(),
        duration=int(spec.duration or 5),
        aspect=spec.aspect or "16:9",
        negative_prompt=spec.negative or None,
        seed=spec.seed,
        camera=spec.camera,
        style=spec.style,
        title=spec.subject or None,
        image=Path(inputs.image) if inputs.image else None,
        end_image=Path(inputs.end_image) if inputs.end_image else None,
        video=Path(inputs.video) if inputs.video else None,
        extend_task_id=inputs.extend_task_id,
        loop=inputs.loop,
        extra=extra,
        references=references_for(inputs.cast),
        audio=spec.audio,
        source_fps=inputs.source_fps,
    )


def references_for(cast: tuple[CastUse, ...]) -> tuple[Reference, ...]:
    """The cast members a job recorded, as a provider request sends them."""
    return tuple(
        Reference(c.name, tuple(Path(p) for p in c.photos), Path(c.voice) if c.voice else None, c.description)
        for c in cast
    )


def request_kind(request: GenerationRequest) -> str | None:
    """The fallback list a request uses; None for what only its own provider can do (native extend, edits)."""
    if request.extend_task_id or {"op", "shots"} & set(request.extra) or request.model.startswith("local:"):
        return None
    if {"width", "height", "fps"} <= set(request.extra):  # a finish (/finish): the finishing models' order
        return FINISH
    if request.video is not None:
        return "video"
    if request.image is not None or request.end_image is not None:
        return "image"
    return "text"  # a cast without a start image too: only the text list's reference models can take it


class Fallback:
    """The owner's fallback lists, checked against the enabled models."""

    def __init__(self, registry: ProviderRegistry, settings: Settings):
        self.registry = registry
        self.settings = settings
        self.lists: dict[str, list[str]] = {kind: list(getattr(settings, field)) for kind, field in KINDS.items()}

    def check(self) -> None:
        """At start: every listed name is a known model (close matches otherwise) that can do its list's kind.

        A catalogue model whose provider has no key is allowed (and skipped while it has none)."""
        for kind, field in KINDS.items():
            names = []
            for typed in self.lists[kind]:
                try:
                    info = self.registry.model(typed)
                except InvalidOption as exc:
                    if canonical_name(typed) in CATALOGUE:
                        log.warning("VIDEOBOT_%s: %s is not enabled (no key); it is skipped", field.upper(), typed)
                        names.append(canonical_name(typed))
                        continue
                    raise ConfigError(f"VIDEOBOT_{field.upper()}: {exc.user_message}") from None
                if not info.can(_KIND_NEEDS[kind]):
                    raise ConfigError(f"VIDEOBOT_{field.upper()}: {info.name} cannot do {_KIND_NEEDS[kind].value}.")
                names.append(info.name)
            self.lists[kind] = names

    def choose(self, request: GenerationRequest, *, tried: set[str], skip: set[str]) -> Landing | None:
        """The first listed model that can make ``request`` (clamped only if allowed), of a provider the job has
        not failed on (``tried``: the models it left) and whose breaker is not open (``skip``)."""
        kind = request_kind(request)
        if kind is None:
            return None
        left = {m.split(":", 1)[0] for m in (*tried, request.model)}  # providers this job already failed on
        if kind == FINISH:
            return self._finish_landing(request, left | skip)
        for name in self.lists[kind]:
            provider = name.split(":", 1)[0]
            if provider in left or provider in skip or provider not in self.registry.providers:
                continue
            try:
                info = self.registry.model(name)
            except InvalidOption:
                continue
            choice = self._fit(info, request)
            if choice is not None:
                return choice
        return None

    def refusal(self, request: GenerationRequest, down: set[str]) -> Phrase | None:
        """Why a new request for a provider whose breaker is open cannot be taken (None: a fallback can)."""
        provider = request.model.split(":", 1)[0]
        if provider not in down or request_kind(request) is None or self.choose(request, tried=set(), skip=down):
            return None
        return phrase("fallback.unavailable_not_charged", provider=provider_label(provider))

    def _finish_landing(self, request: GenerationRequest, avoid: set[str]) -> Landing | None:
        """The first enabled finishing model of another provider that makes exactly what was quoted (the size and
        rate asked, a clip this long); Luma's upscale, which takes only Luma's own generations, never takes over."""
        size = resolution_for(int(request.extra["width"]), int(request.extra["height"]))
        resolution = size if size in RESOLUTIONS else None  # another size is the clip's own, kept
        stored, source = int(request.extra["fps"]), request.source_fps
        # the clip's own rate is kept; a higher rate that is none of ours (fal:rife's 48) is what was quoted
        fps = stored if stored in FRAME_RATES or (source is not None and stored > source + 0.5) else None
        for name in FINISH_ORDER:
            entry = FINISH_MODELS[name]
            if entry.provider in avoid or entry.provider not in self.registry.providers or entry.own_results_only:
                continue
            exact = not entry.makes(resolution, fps)[2]  # no note: it makes what the member was quoted
            if exact and fps is not None and entry.interpolation is not None:  # its rate depends on the clip's
                exact = source is not None and entry.rate_for(fps, source) == (fps, None)
            if exact and request.duration <= entry.max_input_seconds:
                return Landing(name, request.duration, request.aspect)
        return None

    def _fit(self, info: ModelInfo, request: GenerationRequest) -> Landing | None:
        moved = replace(request, model=info.name)
        if _valid(info, moved):
            return Landing(info.name, request.duration, request.aspect)
        if not self.settings.fallback_clamp:
            return None
        shorter = [d for d in info.durations if d <= request.duration]
        has_media = request.image is not None or request.video is not None
        aspects = info.aspects_for(has_media=has_media)
        if not shorter or not aspects:
            return None
        nearest = min(aspects, key=lambda a: _distance(a, request.aspect))
        aspect = request.aspect if request.aspect in aspects else nearest
        duration = request.duration if request.duration in info.durations else shorter[-1]
        clamped = replace(moved, duration=duration, aspect=aspect)
        return Landing(info.name, duration, aspect) if _valid(info, clamped) else None


def _valid(info: ModelInfo, request: GenerationRequest) -> bool:
    try:
        info.validate(request)
    except InvalidRequest:
        return False
    return True


def _distance(a: str, b: str) -> float:
    """How far apart two aspect ratios are (on a log scale, so 16:9 is as far from 1:1 as 9:16)."""

    def ratio(value: str) -> float:
        w, _, h = value.partition(":")
        return float(w) / float(h)

    return abs(math.log(ratio(a)) - math.log(ratio(b)))


def breaker_line(breaker: Breaker, now: float) -> Phrase:
    """One provider's breaker as ``videobot models`` and /admin status show it (the last failure's reason is the
    provider's or the bot's own English)."""
    name, last = provider_label(breaker.provider), breaker.last_reason or "?"
    if breaker.is_open(now) and breaker.open_until is not None:
        left = max(1, round(breaker.open_until - now))
        return phrase("health.open", provider=name, left=left, failures=breaker.failures, last=last)
    if breaker.failures:
        return phrase("health.failing", provider=name, failures=breaker.failures, last=last)
    return phrase("health.healthy", provider=name)
