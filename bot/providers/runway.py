"""Runway through its official async SDK (``runwayml.AsyncRunwayML``).

Text, image and video to video (with sound on the models that make it: their ``audio`` field), a /sequence film's
shot list in one task (``recipes.multi_shot_video``, or Kling 3's ``providerSettings.multiPrompt``), sound alone:
``video_to_audio`` (a track for a finished clip) and ``sound_effect`` (a sound from a description), each as long as
the clip it is for, and the finishing models (``video_upscale``: the Magnific upscaler and the frame-rate enhancer,
:mod:`bot.providers.finishes`).  Images go up as a ``data:`` URI when small, else through the uploads endpoint
(``runway://`` URI); videos always through uploads.  Creates are sent once (``max_retries=0``): Runway has no
endpoint to list tasks, so a create whose answer is lost is reported as :class:`~bot.errors.SubmitUncertain`, never
sent again.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Unpack

import runwayml

from bot.errors import InvalidOption, ProviderUnavailable, SubmitUncertain
from bot.providers._common import MODERATION_MESSAGE, data_uri, no_status_retries, redact
from bot.providers._sdk import Headers, SdkOptions, SdkProvider, stainless_clients, stainless_status
from bot.providers.base import (
    SOUND_OP,
    TEXT_SOUND_OP,
    GenerationRequest,
    ModelInfo,
    ProviderCost,
    TaskState,
    TaskStatus,
)
from bot.providers.catalogue import CatalogueModel, lookup
from bot.providers.finishes import FinishModel, finish_models_for, resolution_for
from bot.providers.references import ReferenceSpec, photos, voices

DEFAULT_BASE_URL = "https://api.dev.runwayml.com"
RECIPE_VERSION = "2026-06"  # recipes.multi_shot_video's pinned workflow version (its ``version`` Literal)

# failureCode prefixes (docs "errors/task-failures") → what a user can act on; first match wins.
_FAILURES: tuple[tuple[str, str], ...] = (
    ("SAFETY.INPUT.TEXT", "Runway's content moderation refused the prompt. Try rewording it."),
    ("SAFETY.INPUT.IMAGE", "Runway's content moderation refused the image. Try another image."),
    ("SAFETY.INPUT", "Runway's content moderation refused the input."),
    ("SAFETY.OUTPUT", "Runway's content moderation blocked the generated video. Try a different prompt."),
    ("SAFETY", MODERATION_MESSAGE),
    ("ASSET.INVALID", "Runway could not read the input image or video. Try another file."),
    ("INPUT_PREPROCESSING", "Runway could not prepare the input. Try another image or prompt."),
    ("INTERNAL.BAD_OUTPUT", "Runway produced an unusable video. Please try again."),
    ("INTERNAL", "Runway had an internal problem with this job. Please try again."),
)


def failure_message(code: str | None) -> str:
    """A user-readable reason for a FAILED task."""
    for prefix, message in _FAILURES:
        if code and code.startswith(prefix):
            return message
    return "Runway could not make this video."


def _credits(task: object) -> ProviderCost | None:
    """A terminal task's final ``cost.credits`` (what Runway charged), if the answer has it."""
    credits = getattr(getattr(task, "cost", None), "credits", None)
    if isinstance(credits, (int, float)) and not isinstance(credits, bool) and credits >= 0:
        return ProviderCost(float(credits), "credits")
    return None


def sound_seconds(request: GenerationRequest) -> float:
    """How long the sound must be: the clip's exact length (``extra["seconds"]``), else the whole seconds asked;
    within the 0.5-30 s the sound endpoints take."""
    try:
        seconds = float(request.extra.get("seconds") or request.duration)
    except ValueError:
        seconds = float(request.duration)
    return round(min(30.0, max(0.5, seconds)), 2)


class RunwayProvider(SdkProvider):
    """Runway's task API: ``submit`` → ``poll`` → ``fetch_result``."""

    name = "runway"
    poll_brisk_interval = 5.0  # Runway: "don't expect task updates more often than every 5 s"
    sdk_errors = (runwayml.APIError, ValueError)
    error_keys = ("error", "detail")

    def __init__(
        self,
        api_key: str,
        base_url: str | None = None,
        *,
        poll_retries: int = 1,
        data_uri_max_bytes: int = 3 * 1024 * 1024,
        **options: Unpack[SdkOptions],
    ):
        super().__init__(api_key, **options)
        self._data_uri_max = data_uri_max_bytes
        self._finishes = {m.name: m for m in finish_models_for(self.name)}
        http = runwayml.DefaultAsyncHttpxClient(event_hooks={"response": [no_status_retries]})
        self._client, self._create = stainless_clients(
            self, runwayml.AsyncRunwayML, http, poll_retries, api_key=api_key, base_url=base_url or DEFAULT_BASE_URL
        )

    def models(self) -> list[ModelInfo]:
        """The catalogue's Runway models and Runway's finishing models (``video_upscale``)."""
        return [*super().models(), *(m.info() for m in self._finishes.values())]

    def _status_parts(self, exc: BaseException) -> tuple[int, object, Headers | None] | None:
        return stainless_status(exc, runwayml.APIStatusError)

    async def submit(self, request: GenerationRequest) -> str:
        """Create the task (once) and return its id."""
        if request.model in self._finishes:
            finish = self._finishes[request.model]
            return await self._send(
                request, self._create.video_upscale.create, await self._finish_inputs(finish, request)
            )
        entry = lookup(request.model, self._models)
        if "shots" in request.extra and entry.multi_shot is not None and entry.multi_shot.via == "multi_prompt":
            kwargs = await self._multi_prompt(request, entry)  # a /sequence film in one task: Kling's shot list
            create: Any = self._create.image_to_video if request.image is not None else self._create.text_to_video
            create = create.create
        elif "shots" in request.extra:  # a /sequence film in one task: the multi-shot recipe
            kwargs = await self._recipe(request, entry)
            create = self._create.recipes.multi_shot_video
        else:
            entry.validate(request)
            kwargs = {"model": entry.model_id, **entry.inputs(request)}
            op = request.extra.get("op")
            if op in (SOUND_OP, TEXT_SOUND_OP):
                kwargs["duration"] = sound_seconds(request)  # the clip's own length (both endpoints take seconds)
            if op == SOUND_OP:
                if request.video is None:
                    raise InvalidOption("Sound for a clip needs the clip.")
                kwargs["video_uri"] = await self._media_uri(request.video, small_inline=False)
                create = self._create.video_to_audio.create
            elif op == TEXT_SOUND_OP:
                if request.loop:
                    kwargs["loop"] = True
                create = self._create.sound_effect.create
            elif request.video is not None:
                kwargs[entry.field("video") or "video_uri"] = await self._media_uri(request.video, small_inline=False)
                create = self._create.video_to_video.create
            elif request.references and entry.references is not None:
                await self._add_references(kwargs, request, entry.references)
                create = self._create.image_to_video.create
            elif request.image is not None or request.end_image is not None:
                kwargs["prompt_image"] = await self._prompt_image(request)
                create = self._create.image_to_video.create
            else:
                create = self._create.text_to_video.create
        return await self._send(request, create, kwargs)

    async def _finish_inputs(self, finish: FinishModel, request: GenerationRequest) -> dict[str, Any]:
        """A ``video_upscale`` create: the model, the clip (uploaded) and the size or rate in Runway's terms."""
        extra = request.extra
        if request.video is None or not {"width", "height", "fps"} <= set(extra):
            raise InvalidOption(f"{finish.name} finishes a result: it needs the clip, a size and a frame rate.")
        resolution = resolution_for(int(extra["width"]), int(extra["height"]))
        asked = finish.ask(resolution, int(extra["fps"]))
        video_uri = await self._media_uri(request.video, small_inline=False)
        return {"model": finish.model_id, "video_uri": video_uri, **asked}

    async def _send(self, request: GenerationRequest, create: Any, kwargs: dict[str, Any]) -> str:
        """One create (an SDK create method), sent once; a lost answer is SubmitUncertain (Runway cannot list
        tasks)."""
        try:
            created = await create(**kwargs)
        except self.sdk_errors as exc:
            error = self._create_error(exc)
            if error is not None:
                raise error from None
            return await self._resolve_lost_create(request, exc)  # Runway cannot list tasks: SubmitUncertain
        task_id = getattr(created, "id", None)
        if not isinstance(task_id, str) or not task_id:
            raise SubmitUncertain(detail="Runway create answered without a task id", provider=self.name)
        return task_id

    def _shot_list(self, request: GenerationRequest, entry: CatalogueModel) -> list[tuple[str, int]]:
        """A /sequence film's shots (prompt and seconds each), checked against what the model makes in one task."""
        listed = [(str(s["prompt"]), int(s["duration"])) for s in json.loads(request.extra["shots"])]
        multi = entry.multi_shot
        if multi is None or not multi.fits([seconds for _, seconds in listed]) or request.aspect not in multi.aspects:
            raise InvalidOption(f"{entry.name} cannot make this shot list in one task.")
        info = entry.info()
        for prompt, _ in listed:
            info.check_prompt(prompt)
        return listed

    async def _multi_prompt(self, request: GenerationRequest, entry: CatalogueModel) -> dict[str, Any]:
        """Kling's multi-shot create: the model's own fields (ratio, the total as ``duration``, ``audio``), the shot
        list as ``providerSettings.multiPrompt`` in ``customize`` mode (no ``promptText``: each shot has its own),
        and the start image as the first frame (image to video)."""
        listed = self._shot_list(request, entry)
        kwargs: dict[str, Any] = {"model": entry.model_id, **entry.inputs(request)}
        kwargs.pop(entry.field("prompt") or "prompt_text", None)
        kwargs["provider_settings"] = {
            "multi_prompt": [{"prompt": prompt, "duration": seconds} for prompt, seconds in listed],
            "shot_type": "customize",
        }
        if request.image is not None:
            kwargs["prompt_image"] = await self._prompt_image(request)
        return kwargs

    async def _recipe(self, request: GenerationRequest, entry: CatalogueModel) -> dict[str, Any]:
        """``recipes.multi_shot_video`` in custom mode: the shot list (prompt and seconds each), their total,
        the ratio, and the start image as the first frame."""
        listed = self._shot_list(request, entry)
        shots = [{"prompt": prompt, "duration": seconds} for prompt, seconds in listed]
        kwargs: dict[str, Any] = {
            "mode": "custom",
            "version": RECIPE_VERSION,
            "shots": shots,
            "duration": sum(seconds for _, seconds in listed),
            **entry.aspects[request.aspect],
        }
        if request.image is not None:
            kwargs["first_frame"] = {"uri": await self._media_uri(request.image)}
        return kwargs

    async def _add_references(self, kwargs: dict[str, Any], request: GenerationRequest, spec: ReferenceSpec) -> None:
        """The cast's photos in the model's field and order: Seedance takes them as ``promptImage`` entries without
        a position (beside no frame); Kling O3 and Kling 4 as ``references`` beside the first frame."""
        uris = [{"uri": await self._media_uri(p)} for p in photos(request.references)]
        if spec.field == "prompt_image":
            kwargs["prompt_image"] = uris
        else:
            kwargs["prompt_image"] = await self._prompt_image(request)
            kwargs[spec.field] = uris
        sent = voices(request.references, spec)
        if sent and spec.audio_field:
            kwargs[spec.audio_field] = [{"type": "audio", "uri": await self._media_uri(v)} for v in sent]

    async def _prompt_image(self, request: GenerationRequest) -> str | list[dict[str, str]]:
        frames = []
        if request.image is not None:
            frames.append({"uri": await self._media_uri(request.image), "position": "first"})
        if request.end_image is not None:
            frames.append({"uri": await self._media_uri(request.end_image), "position": "last"})
        if len(frames) == 1 and frames[0]["position"] == "first":
            return frames[0]["uri"]
        return frames

    async def _media_uri(self, path: Path, *, small_inline: bool = True) -> str:
        """A data URI for a small image, else a ``runway://`` URI from the uploads endpoint."""
        size = (await asyncio.to_thread(path.stat)).st_size
        if small_inline and size <= self._data_uri_max:
            return data_uri(path, await asyncio.to_thread(path.read_bytes))
        try:  # uploads are not billed, so the SDK may retry them
            uploaded = await self._client.uploads.create_ephemeral(file=path)
        except runwayml.APIError as exc:
            raise self._error(exc, "upload failed") from None
        return uploaded.uri

    async def poll(self, task_id: str) -> TaskStatus:
        """One GET of the task, mapped to a TaskStatus."""
        task = await self._call("task poll failed", self._client.tasks.retrieve(task_id), on_poll=True)
        return self._status(task)

    def _status(self, task: object) -> TaskStatus:
        state = getattr(task, "status", None)
        if state in ("PENDING", "THROTTLED"):
            return TaskStatus(TaskState.PENDING)
        if state == "RUNNING":
            progress = getattr(task, "progress", None)
            value = min(1.0, max(0.0, float(progress))) if isinstance(progress, (int, float)) else None
            return TaskStatus(TaskState.RUNNING, progress=value)
        if state == "SUCCEEDED":
            output = getattr(task, "output", None)
            if not isinstance(output, list) or not output or not isinstance(output[0], str):
                raise ProviderUnavailable(detail="Runway task SUCCEEDED without output URLs", provider=self.name)
            return TaskStatus(TaskState.SUCCEEDED, progress=1.0, output_url=output[0], cost=_credits(task))
        if state == "FAILED":
            code = getattr(task, "failure_code", None) or getattr(task, "failureCode", None)
            reason = getattr(task, "failure", None)
            return TaskStatus(
                TaskState.FAILED,
                error=failure_message(code),
                error_code=redact(f"{code or 'FAILED'}: {reason or ''}", [self._key])[:200],
                cost=_credits(task),  # Runway bills some failures (SAFETY.INPUT.*): its final figure says what
                provider_fault=bool(code and str(code).startswith("INTERNAL")),  # SAFETY.* is never re-sent
            )
        if state == "CANCELLED":
            return TaskStatus(TaskState.CANCELLED, error="The job was cancelled at Runway.", cost=_credits(task))
        raise ProviderUnavailable(detail=f"Runway task has unknown status {str(state)[:40]!r}", provider=self.name)

    async def _cancel_task(self, task_id: str) -> None:
        """DELETE the task: cancels it while it runs, deletes it afterwards."""
        await self._client.tasks.delete(task_id)

    async def aclose(self) -> None:
        """Close the SDK client."""
        await self._client.close()
