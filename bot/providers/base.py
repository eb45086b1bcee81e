"""The provider interface: one small protocol every video provider implements.

A provider turns a :class:`GenerationRequest` into a task on its side (``submit`` returns the
provider's task id, which the worker persists *before* doing anything else), reports the task's
state (``poll``), cancels it, and downloads its result to a local file (``fetch_result``).

Models are named ``provider:model`` (``local:motion``, ``runway:gen4.5``, ``luma:ray-2``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable

from bot.errors import InvalidOption


class Capability(StrEnum):
    """What a model can do."""

    TEXT_TO_VIDEO = "text-to-video"
    IMAGE_TO_VIDEO = "image-to-video"
    VIDEO_TO_VIDEO = "video-to-video"
    EXTEND = "extend"  # continue a previous task of the same provider natively
    INTERPOLATE = "interpolate"  # between two keyframes
    LOOP = "loop"


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
class ModelInfo:
    """A model's name and limits.  ``name`` is the full ``provider:model``."""

    name: str
    capabilities: frozenset[Capability]
    durations: tuple[int, ...]  # allowed whole seconds, ascending
    aspects: tuple[str, ...]  # allowed ratios as "W:H" (16:9, 9:16, 1:1, ...)
    cost_weight: float = 1.0  # a rough relative price; NOT charged: quota counts seconds of video one for one
    description: str = ""
    max_prompt_chars: int = 1000
    deadline_seconds: float | None = None  # overall time allowed for one task

    @property
    def provider(self) -> str:
        """The provider part of the name."""
        return self.name.split(":", 1)[0]

    @property
    def model_id(self) -> str:
        """The model part of the name."""
        return self.name.split(":", 1)[1]

    def check_duration(self, seconds: int) -> None:
        """Raise InvalidOption unless this model makes clips of ``seconds``."""
        if seconds not in self.durations:
            allowed = _describe_durations(self.durations)
            raise InvalidOption(f"{self.name} makes clips of {allowed} seconds, not {seconds}.")

    def check_aspect(self, aspect: str) -> None:
        """Raise InvalidOption unless this model supports the aspect ratio."""
        if aspect not in self.aspects:
            raise InvalidOption(f"{self.name} supports the aspect ratios {', '.join(self.aspects)}, not {aspect}.")

    def can(self, capability: Capability) -> bool:
        """Whether the model has the capability."""
        return capability in self.capabilities


def _describe_durations(durations: Sequence[int]) -> str:
    values = sorted(durations)
    if len(values) > 2 and values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]} to {values[-1]}"
    return ", ".join(str(v) for v in values[:-1]) + (" or " if len(values) > 1 else "") + str(values[-1])


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
