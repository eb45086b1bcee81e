"""The provider interface: one small protocol every video provider implements.

A provider turns a :class:`GenerationRequest` into a task on its side (``submit`` returns the
provider's task id, which the worker persists *before* doing anything else), reports the task's
state (``poll``), cancels it, and downloads its result to a local file (``fetch_result``).

Models are named ``provider:model`` (``local:motion``, ``runway:gen4.5``, ``luma:ray-2``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable

from bot.errors import InvalidOption, InvalidPrompt
from bot.i18n import Phrase, joined, listed, phrase, said
from bot.prompt import DEFAULT_ASPECT, DEFAULT_DURATION, MAX_SEED
from bot.providers.references import Reference, ReferenceSpec, reference_prompt

# ``GenerationRequest.extra["op"]`` of the sound jobs: sound made for a finished clip from its picture (video to
# audio), and sound made from a description alone (text to audio); either comes back as the sound alone
SOUND_OP, TEXT_SOUND_OP = "sound", "sound_text"
SOUND_SUFFIX = ".sound"  # the raw file of a sound job: ``fetch_result`` checks it is a sound file, not a video
UTF16 = "UTF-16 code units"  # a prompt_unit: Runway counts its prompt limit so (an emoji is 2)
CHARACTERS = "characters"  # Unicode code points, as Python's len() counts


class Capability(StrEnum):
    """What a model can do."""

    TEXT_TO_VIDEO = "text-to-video"
    IMAGE_TO_VIDEO = "image-to-video"
    VIDEO_TO_VIDEO = "video-to-video"
    EXTEND = "extend"  # continue a previous task of the same provider natively
    INTERPOLATE = "interpolate"  # between two keyframes
    LOOP = "loop"
    EDIT = "edit"  # stitch, loop or soundtrack finished results (no AI; the local provider)
    REFERENCES = "references"  # keeps characters from reference photos (a server's cast, docs/cast.md)
    FINISH = "finish"  # a finished result made larger and/or smoother (upscale, frame rate; /finish)
    SOUND = "sound"  # makes sound with the picture on request (the model's own ``audio`` field)
    VIDEO_TO_AUDIO = "video-to-audio"  # a sound track for a finished clip (the sound alone comes back)
    TEXT_TO_AUDIO = "text-to-audio"  # a sound from a description (sound effects, ambience)


class TaskState(StrEnum):
    """A provider task's state, mapped from each provider's own vocabulary."""

    PENDING = "pending"  # accepted, waiting (queued, throttled, starting)
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        """Whether the task will not change any more."""
        return self in (TaskState.SUCCEEDED, TaskState.FAILED, TaskState.CANCELLED)


@dataclass(frozen=True)
class MultiShot:
    """A model that makes a whole /sequence film in one task: how many shots it takes, which totals their lengths
    may add up to, and how the shot list is sent (``via``): ``recipe``, Runway's multi-shot recipe
    (``recipes.multi_shot_video``), or ``multi_prompt``, the model's own create with the shot list in its
    provider settings (Kling 3 on Runway: ``providerSettings.multiPrompt``)."""

    shots: tuple[int, int]  # fewest and most shots
    totals: tuple[int, ...]  # the film's allowed lengths in seconds
    aspects: tuple[str, ...]  # the aspects it makes
    via: str = "recipe"

    def fits(self, seconds: Sequence[int]) -> bool:
        """Whether a shot list of these lengths is made in one task."""
        low, high = self.shots
        return low <= len(seconds) <= high and sum(seconds) in self.totals and min(seconds, default=0) >= 1


@dataclass(frozen=True)
class ModelInfo:
    """What one model can do: the single source of truth for every model-dependent check.

    ``name`` is the full ``provider:model``.  The service checks a request against this *before*
    anything is acknowledged publicly or charged (:meth:`check`), and the provider checks the same
    rules again at submit (:meth:`validate`), so the two can never disagree."""

    name: str
    capabilities: frozenset[Capability]
    durations: tuple[int, ...]  # allowed whole seconds, ascending
    aspects: tuple[str, ...]  # allowed ratios as "W:H" (16:9, 9:16, 1:1, ...)
    description: str = ""
    max_prompt_chars: int = 1000
    deadline_seconds: float | None = None  # overall time allowed for one task
    text_aspects: tuple[str, ...] | None = None  # aspects allowed without input media (None: all of ``aspects``)
    takes_prompt: bool = True  # False: the model has no prompt input (it animates the image alone)
    max_input_seconds: float | None = None  # longest source video it takes (video-to-video); None: no limit
    prompt_unit: str = CHARACTERS  # what max_prompt_chars counts, in the provider's own unit (CHARACTERS, UTF16)
    min_prompt_chars: int = 1  # a shorter prompt (when one is sent at all) is refused by the provider
    image_prompt_required: bool = False  # image-started requests must carry a prompt (the neutral one if none)
    seed_max: int | None = MAX_SEED  # largest seed the model takes (from 0); None: the model has no seed input
    multi_shot: MultiShot | None = None  # makes a whole /sequence film in one task (see MultiShot)
    references: ReferenceSpec | None = None  # REFERENCES models: the cast's field, limit and prompt syntax

    @property
    def max_references(self) -> int:
        """Reference photos one request may carry."""
        return self.references.max_images if self.references else 0

    @property
    def references_need_image(self) -> bool:
        """References only beside a start frame (Runway's Kling models)."""
        return bool(self.references and self.references.need_image)

    def sent_prompt(self, prompt: str, references: tuple[Reference, ...]) -> str:
        """The prompt as the provider receives it: with a cast, each member named in the model's own syntax."""
        if not references or self.references is None:
            return prompt
        return reference_prompt(prompt, references, self.references)

    @property
    def provider(self) -> str:
        """The provider part of the name."""
        return self.name.split(":", 1)[0]

    @property
    def model_id(self) -> str:
        """The model part of the name."""
        return self.name.split(":", 1)[1]

    def aspects_for(self, *, has_media: bool) -> tuple[str, ...]:
        """The aspect ratios allowed with (or without) an input image or video."""
        if has_media or self.text_aspects is None:
            return self.aspects
        return tuple(a for a in self.aspects if a in self.text_aspects)

    def check_duration(self, seconds: int) -> None:
        """Raise InvalidOption unless this model makes clips of ``seconds``."""
        if seconds not in self.durations:
            allowed = _describe_durations(self.durations)
            raise said(InvalidOption, "model.durations", model=self.name, allowed=allowed, seconds=seconds)

    def check_aspect(self, aspect: str, *, has_media: bool = True) -> None:
        """Raise InvalidOption unless this model supports the aspect ratio (for this kind of input)."""
        allowed = self.aspects_for(has_media=has_media)
        if aspect not in allowed:
            key = "model.aspects" if has_media or allowed == self.aspects else "model.aspects_from_text"
            raise said(InvalidOption, key, model=self.name, allowed=", ".join(allowed), aspect=aspect)

    def can(self, capability: Capability) -> bool:
        """Whether the model has the capability."""
        return capability in self.capabilities

    def check_capabilities(self, needs: frozenset[Capability]) -> None:
        """Raise InvalidOption naming what the model cannot do."""
        missing = needs - self.capabilities
        if missing:
            raise said(InvalidOption, "model.cannot_do_these", model=self.name, what=capabilities_phrase(missing))
        if Capability.REFERENCES in needs and self.references_need_image and Capability.IMAGE_TO_VIDEO not in needs:
            raise said(InvalidOption, "model.cast_needs_image", model=self.name)

    def check_references(self, photos: int) -> None:
        """Raise InvalidOption unless the model takes this many reference photos in one request."""
        if photos > self.max_references:
            raise said(InvalidOption, "model.references", model=self.name, max=self.max_references, photos=photos)

    def check(self, needs: frozenset[Capability], duration: int, aspect: str, *, has_media: bool) -> None:
        """Every model-dependent rule for a request of this shape (what the service checks up front)."""
        self.check_capabilities(needs)
        self.check_duration(duration)
        self.check_aspect(aspect, has_media=has_media)

    def defaults(self, duration: int | None, aspect: str | None, *, has_media: bool) -> tuple[int, str]:
        """The duration and aspect a request gets when it leaves them out."""
        if duration is None:
            duration = DEFAULT_DURATION if DEFAULT_DURATION in self.durations else self.durations[0]
        if aspect is None:
            allowed = self.aspects_for(has_media=has_media) or self.aspects
            aspect = DEFAULT_ASPECT if DEFAULT_ASPECT in allowed else allowed[0]
        return duration, aspect

    def prompt_length(self, text: str) -> int:
        """The length of ``text`` as this model's provider counts it (see ``prompt_unit``)."""
        return len(text.encode("utf-16-le")) // 2 if self.prompt_unit == UTF16 else len(text)

    def check_prompt(self, text: str) -> None:
        """Raise InvalidPrompt unless the provider takes a prompt this long (counted in its own unit)."""
        length = self.prompt_length(text)
        unit = phrase("unit.utf16" if self.prompt_unit == UTF16 else "unit.characters")
        if 0 < length < self.min_prompt_chars:
            raise said(InvalidPrompt, "model.prompt_too_short", model=self.name, min=self.min_prompt_chars, unit=unit)
        if length > self.max_prompt_chars:
            emoji = self.prompt_unit == UTF16 and length != len(text)  # an emoji counts as 2
            raise said(
                InvalidPrompt,
                "model.prompt_too_long_emoji" if emoji else "model.prompt_too_long",
                model=self.name,
                max=self.max_prompt_chars,
                unit=unit,
                length=length,
            )

    def check_seed(self, seed: int | None) -> None:
        """Raise InvalidOption unless the model takes ``seed`` (a member's own seed, checked up front)."""
        if seed is None:
            return
        if self.seed_max is None:
            raise said(InvalidOption, "model.no_seed", model=self.name)
        if not 0 <= seed <= self.seed_max:
            raise said(InvalidOption, "model.seed_range", model=self.name, max=self.seed_max, seed=seed)

    def fit_seed(self, seed: int) -> int:
        """A seed the bot chose itself (never a member's), folded into this model's range."""
        return seed % (self.seed_max + 1) if self.seed_max is not None else seed

    def needs_prompt(self, needs: frozenset[Capability]) -> bool:
        """Whether a request with these needs must carry a prompt on this model.

        Text always does.  Video to video does on every model that takes a prompt: the prompt is the new look
        (Runway's video_to_video params and Zeroscope's schema mark it required).  A native extend does: it
        starts from a generation, not an image, and Luma (the one provider that extends natively) refuses a
        request with no prompt and no image keyframe (docs.lumalabs.ai/docs/errors, read 2026-12-06).  An
        image-started request does where the model says so (``image_prompt_required``)."""
        if not self.takes_prompt:
            return False
        if needs & {
            Capability.TEXT_TO_VIDEO,
            Capability.VIDEO_TO_VIDEO,
            Capability.EXTEND,
            Capability.REFERENCES,
            Capability.TEXT_TO_AUDIO,
        }:
            return True
        started_from_image = bool(needs & {Capability.IMAGE_TO_VIDEO, Capability.INTERPOLATE})
        return self.image_prompt_required and started_from_image

    def validate(self, request: GenerationRequest) -> None:
        """Raise InvalidOption/InvalidPrompt unless this model can make ``request`` as asked."""
        needs = required_capabilities(request)
        has_media = request.image is not None or request.video is not None or bool(request.extend_task_id)
        has_media = has_media or bool(request.references)
        self.check(needs, request.duration, request.aspect, has_media=has_media)
        self.check_prompt(self.sent_prompt(request.prompt, request.references))
        if not request.prompt.strip() and self.needs_prompt(needs):
            raise said(InvalidPrompt, "prompt.empty")
        if request.seed is not None and self.seed_max is not None:  # a model without seeds is never sent one
            self.check_seed(request.seed)
        if request.references:
            self.check_references(sum(len(r.photos) for r in request.references))


def required_capabilities(request: GenerationRequest) -> frozenset[Capability]:
    """The capabilities a request needs from its model."""
    op = request.extra.get("op")
    if op == SOUND_OP:
        return frozenset({Capability.VIDEO_TO_AUDIO})
    if op == TEXT_SOUND_OP:
        return frozenset({Capability.TEXT_TO_AUDIO})
    return needs_for(
        video=request.video is not None,
        image=request.image is not None,
        end_image=request.end_image is not None,
        extend=bool(request.extend_task_id),
        loop=request.loop,
        references=bool(request.references),
        audio=request.audio is True,
    )


def needs_for(
    *,
    video: bool = False,
    image: bool = False,
    end_image: bool = False,
    extend: bool = False,
    loop: bool = False,
    references: bool = False,
    audio: bool = False,
) -> frozenset[Capability]:
    """The capabilities a request with these inputs needs (``audio``: sound made with the picture).  A cast
    without a start image needs REFERENCES alone (reference to video, which text-to-video ordering serves); with
    one, image to video as well."""
    needs: set[Capability] = {Capability.REFERENCES} if references else set()
    if video:
        needs.add(Capability.VIDEO_TO_VIDEO)
    if extend:
        needs.add(Capability.EXTEND)
    if end_image:
        needs.add(Capability.INTERPOLATE)
    elif image and not extend:
        needs.add(Capability.IMAGE_TO_VIDEO)
    if not needs:
        needs.add(Capability.TEXT_TO_VIDEO)
    if loop:
        needs.add(Capability.LOOP)
    if audio:
        needs.add(Capability.SOUND)
    return frozenset(needs)


def _describe_durations(durations: Sequence[int]) -> Phrase:
    """``5 to 10`` (a run), else ``4, 6 or 8``: a phrase, said in the member's language."""
    values = sorted(durations)
    if len(values) > 2 and values == list(range(values[0], values[-1] + 1)):
        return phrase("list.range", first=values[0], last=values[-1])
    return listed([str(v) for v in values])


def capability_phrase(capability: Capability) -> Phrase:
    """What a capability is called (English: its value, ``text-to-video``), said in the member's language."""
    name = capability.name.lower()
    return phrase(f"capability.{name}")


def capabilities_phrase(capabilities: Iterable[Capability], separator: str = "list.comma") -> Phrase:
    """Several capabilities in their order of value (``extend, loop``); the ``separator`` message between two
    (``list.plus``: ``finish + loop``, all of them together)."""
    return joined([capability_phrase(c) for c in sorted(capabilities, key=lambda c: c.value)], separator)


@dataclass(frozen=True)
class GenerationRequest:
    """What one provider task should make.  Paths are local files the bot wrote itself."""

    job_id: int  # our job id; providers may use it to find a task whose create timed out
    model: str  # full "provider:model" name
    prompt: str  # the assembled prompt text
    duration: int
    aspect: str
    negative_prompt: str | None = None
    seed: int | None = None
    camera: str | None = None  # camera move key (see bot.prompt.CAMERA_MOVES)
    style: str | None = None
    title: str | None = None  # the user's own subject/action text (for preview renderers)
    image: Path | None = None  # first frame (image-to-video)
    end_image: Path | None = None  # last frame (interpolate)
    video: Path | None = None  # source video (video-to-video)
    extend_task_id: str | None = None  # provider task to continue natively (EXTEND)
    loop: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    references: tuple[Reference, ...] = ()  # cast members, in the order they were asked for
    # sound with the picture: True/False is sent as the model's own field (only to a model that has one);
    # None (a job stored before sound existed) is sent as False where the model has the field
    audio: bool | None = None
    source_fps: float | None = None  # a finish: the source clip's probed frame rate (a model asked by it: fal:rife)


@dataclass(frozen=True)
class ProviderCost:
    """What the provider itself says a task cost, in its own unit (read from the task's final poll).

    ``unit`` is ``"credits"`` (Runway's ``cost.credits``), ``"predict_seconds"`` (Replicate's
    ``metrics.predict_time``: seconds of hardware) or ``"gpu_seconds"`` (ComfyUI: the execution time, with its
    price in ``usd`` at the owner's rate); :mod:`bot.services.money.costs` turns it into dollars."""

    amount: float
    unit: str
    usd: float | None = None  # the dollars, where the provider module prices the amount itself (ComfyUI)


@dataclass(frozen=True)
class TaskStatus:
    """A poll's answer."""

    state: TaskState
    progress: float | None = None  # 0..1 when the provider reports it
    output_url: str | None = None  # where the result can be fetched (SUCCEEDED only)
    error: str | None = None  # a safe, user-readable reason (FAILED)
    error_code: str | None = None  # the provider's code, for the log
    retry_after: float | None = None  # the provider's hint for the next poll
    queue_position: int | None = None  # PENDING in the provider's own queue: 1 = next (fal reports it)
    # the provider's own figure, on a terminal poll (Runway, Replicate); None where the API reports no money
    # figure (Luma, fal, local): bot/services/money/costs.py then prices the seconds made from the price table
    cost: ProviderCost | None = None
    provider_fault: bool = False  # FAILED on the provider's side (not the request's, never moderation)
    stage: str | None = None  # RUNNING: what the provider is doing, in its words ("sampling 12/30": ComfyUI)


@runtime_checkable
class VideoProvider(Protocol):
    """The protocol the worker drives.  All methods may raise :class:`bot.errors.ProviderError`."""

    name: str

    def models(self) -> Sequence[ModelInfo]:
        """The models this provider offers (only those usable with the configured key)."""
        ...

    async def submit(self, request: GenerationRequest) -> str:
        """Create the task and return the provider's task id.  Never retried blindly: a create whose
        outcome is unknown raises SubmitUncertain (after ``find_task`` could not resolve it)."""
        ...

    async def find_task(self, request: GenerationRequest) -> str | None:
        """Look for a task created for ``request`` whose id we never learned (crash or timeout during
        create).  Return its id; None only when it certainly does not exist (the worker then submits);
        raise SubmitUncertain when the API cannot tell (the job then fails, refunded, never resubmitted)."""
        ...

    async def poll(self, task_id: str) -> TaskStatus:
        """The task's current state."""
        ...

    async def cancel(self, task_id: str) -> None:
        """Cancel (or delete) the task.  Idempotent."""
        ...

    async def fetch_result(self, task_id: str, status: TaskStatus, dest: Path, max_bytes: int) -> Path:
        """Download the finished video to ``dest`` (streamed, capped at ``max_bytes``) and return it."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
