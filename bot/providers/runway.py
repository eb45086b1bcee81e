"""Runway through its official async SDK (``runwayml.AsyncRunwayML``).

Text, image and video to video.  Images go up as a ``data:`` URI when small, else through the
uploads endpoint (``runway://`` URI); videos always through uploads.  Creates are sent once
(``max_retries=0``): Runway has no endpoint to list tasks, so a create whose answer is lost is
reported as :class:`~bot.errors.SubmitUncertain`, never sent again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import httpx
import runwayml

from bot.errors import ProviderError, ProviderUnavailable, SubmitUncertain
from bot.providers._common import (
    MODERATION_MESSAGE,
    data_uri,
    error_for_status,
    never_sent,
    no_status_retries,
    redact,
    unavailable,
)
from bot.providers._download import OutputFetcher
from bot.providers.base import GenerationRequest, ModelInfo, TaskState, TaskStatus
from bot.providers.catalogue import CatalogueModel, lookup, models_for

DEFAULT_BASE_URL = "https://api.dev.runwayml.com"

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
_UNCERTAIN_STATUSES = frozenset({500, 502, 504})  # the task may exist behind a failing gateway


def failure_message(code: str | None) -> str:
    """A user-readable reason for a FAILED task."""
    for prefix, message in _FAILURES:
        if code and code.startswith(prefix):
            return message
    return "Runway could not make this video."


def _body_text(body: object) -> str:
    if isinstance(body, dict):
        return str(body.get("error") or body.get("detail") or json.dumps(body)[:300])
    return str(body)[:300]


class RunwayProvider(OutputFetcher):
    """Runway's task API: ``submit`` → ``poll`` → ``fetch_result``."""

    name = "runway"

    def __init__(
        self,
        api_key: str,
        base_url: str | None = None,
        *,
        timeout: float = 30.0,
        create_timeout: float = 60.0,
        poll_deadline: float = 30.0,
        poll_retries: int = 1,
        download_timeout: float = 600.0,
        data_uri_max_bytes: int = 3 * 1024 * 1024,
        models: Iterable[CatalogueModel] | None = None,
        download_client: httpx.AsyncClient | None = None,
    ):
        self._key = api_key
        self._models = {m.name: m for m in (models if models is not None else models_for("runway"))}
        self._poll_deadline = poll_deadline
        self._download_timeout = download_timeout
        self._data_uri_max = data_uri_max_bytes
        self._download_client = download_client
        http = runwayml.DefaultAsyncHttpxClient(event_hooks={"response": [no_status_retries]})
        self._client = runwayml.AsyncRunwayML(
            api_key=api_key,
            base_url=base_url or DEFAULT_BASE_URL,
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            max_retries=poll_retries,
            http_client=http,
        )
        self._create = self._client.with_options(max_retries=0, timeout=create_timeout)

    def models(self) -> Sequence[ModelInfo]:
        """The Runway models in the catalogue."""
        return [m.info() for m in self._models.values()]

    async def submit(self, request: GenerationRequest) -> str:
        """Create the task (once) and return its id."""
        entry = lookup(request.model, self._models)
        entry.validate(request)
        kwargs: dict[str, Any] = {"model": entry.model_id, **entry.inputs(request)}
        if request.video is not None:
            kwargs[entry.field("video") or "video_uri"] = await self._media_uri(request.video, small_inline=False)
            endpoint: Any = self._create.video_to_video
        elif request.image is not None or request.end_image is not None:
            kwargs["prompt_image"] = await self._prompt_image(request)
            endpoint = self._create.image_to_video
        else:
            endpoint = self._create.text_to_video
        try:
            created = await endpoint.create(**kwargs)
        except (runwayml.APIError, ValueError) as exc:
            error = self._create_error(exc)
            if error is not None:
                raise error from None
            found = await self.find_task(request)
            if found is not None:
                return found
            detail = redact(f"Runway create outcome unknown: {type(exc).__name__}: {exc}", [self._key])
            raise SubmitUncertain(detail=detail, provider=self.name) from None
        task_id = getattr(created, "id", None)
        if not isinstance(task_id, str) or not task_id:
            raise SubmitUncertain(detail="Runway create answered without a task id", provider=self.name)
        return task_id

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
        except runwayml.APIStatusError as exc:
            raise self._status_error(exc) from None
        except runwayml.APIError as exc:
            raise unavailable(self.name, "upload failed", exc, [self._key]) from None
        return uploaded.uri

    def _create_error(self, exc: Exception) -> ProviderError | None:
        """The error for a failed create, or None when the task may exist (a lost or gateway-failed answer)."""
        if isinstance(exc, runwayml.APIStatusError) and exc.status_code not in _UNCERTAIN_STATUSES:
            return self._status_error(exc)
        if isinstance(exc, runwayml.APIConnectionError) and never_sent(exc):
            return unavailable(self.name, "create not sent", exc, [self._key])
        return None

    def _status_error(self, exc: runwayml.APIStatusError, *, on_poll: bool = False) -> ProviderError:
        return error_for_status(
            self.name,
            exc.status_code,
            _body_text(exc.body),
            headers=exc.response.headers,
            secrets=[self._key],
            on_poll=on_poll,
        )

    async def find_task(self, request: GenerationRequest) -> str | None:
        """Runway has no endpoint to list tasks, so whether a lost create landed cannot be known."""
        raise SubmitUncertain(provider=self.name, detail=f"job {request.job_id}: Runway cannot list tasks")

    async def poll(self, task_id: str) -> TaskStatus:
        """One GET of the task, mapped to a TaskStatus."""
        try:
            async with asyncio.timeout(self._poll_deadline):
                task = await self._client.tasks.retrieve(task_id)
        except runwayml.APIStatusError as exc:
            raise self._status_error(exc, on_poll=True) from None
        except (runwayml.APIError, ValueError, TimeoutError) as exc:
            raise unavailable(self.name, "task poll failed", exc, [self._key]) from None
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
            return TaskStatus(TaskState.SUCCEEDED, progress=1.0, output_url=output[0])
        if state == "FAILED":
            code = getattr(task, "failure_code", None) or getattr(task, "failureCode", None)
            reason = getattr(task, "failure", None)
            return TaskStatus(
                TaskState.FAILED,
                error=failure_message(code),
                error_code=redact(f"{code or 'FAILED'}: {reason or ''}", [self._key])[:200],
            )
        if state == "CANCELLED":
            return TaskStatus(TaskState.CANCELLED, error="The job was cancelled at Runway.")
        raise ProviderUnavailable(detail=f"Runway task has unknown status {str(state)[:40]!r}", provider=self.name)

    async def cancel(self, task_id: str) -> None:
        """DELETE the task: cancels it while it runs, deletes it afterwards.  A missing task is fine."""
        try:
            async with asyncio.timeout(self._poll_deadline):
                await self._client.tasks.delete(task_id)
        except runwayml.NotFoundError:
            return
        except runwayml.APIStatusError as exc:
            raise self._status_error(exc) from None
        except (runwayml.APIError, TimeoutError) as exc:
            raise unavailable(self.name, "task delete failed", exc, [self._key]) from None

    async def aclose(self) -> None:
        """Close the SDK client."""
        await self._client.close()
