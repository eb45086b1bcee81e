"""Luma Dream Machine through its official async SDK (``lumaai.AsyncLumaAI``).

Text and image to video, ``loop``, native extend (keyframe ``frame0`` = the earlier generation) and
interpolation between two keyframes; ``luma:upscale`` (``generations.upscale`` of a generation Luma made, for
/finish).  Creates are sent once (``max_retries=0``).  Each create carries
a ``callback_url`` naming our job on a reserved, never-resolving host (``.invalid``); Luma echoes the
request back, so a create whose answer was lost is found by listing recent generations.  With
``hook_url`` (push) the ``callback_url`` is our own server's per-job URL instead (its unguessable token
authenticates Luma's unsigned calls), still carrying the digest, so the same search works.  Luma
takes images only as URLs: pass ``publish_image`` (a coroutine turning a local file into a URL Luma
can fetch) to enable image input.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Unpack
from urllib.parse import urlencode

import lumaai

from bot.errors import InvalidOption, ProviderUnavailable, SubmitUncertain
from bot.providers._common import MODERATION_MESSAGE, looks_like_moderation, no_status_retries, redact
from bot.providers._sdk import Headers, SdkOptions, SdkProvider, stainless_clients, stainless_status
from bot.providers.base import Capability, GenerationRequest, ModelInfo, TaskState, TaskStatus
from bot.providers.catalogue import CatalogueModel, lookup
from bot.providers.finishes import FinishModel, finish_models_for, resolution_for

DEFAULT_BASE_URL = "https://api.lumalabs.ai/dream-machine/v1"
DEFAULT_MARKER_URL = "https://videobot.invalid/luma"  # RFC 2606: .invalid never resolves
_NEEDS_IMAGES = frozenset({Capability.IMAGE_TO_VIDEO, Capability.INTERPOLATE})

PublishImage = Callable[[Path], Awaitable[str]]


class LumaProvider(SdkProvider):
    """Luma generations: ``submit`` → ``poll`` → ``fetch_result``."""

    name = "luma"
    sdk_errors = (lumaai.APIError, ValueError)

    def __init__(
        self,
        api_key: str,
        base_url: str | None = None,
        *,
        poll_retries: int = 1,
        find_pages: int = 3,
        marker_url: str | None = DEFAULT_MARKER_URL,
        publish_image: PublishImage | None = None,
        hook_url: Callable[[int], str] | None = None,
        **options: Unpack[SdkOptions],
    ):
        super().__init__(api_key, **options)
        self._hook_url = hook_url
        if publish_image is None:  # no way to hand Luma an image URL: offer only what needs none
            without = {
                n: dataclasses.replace(m, capabilities=m.capabilities - _NEEDS_IMAGES) for n, m in self._models.items()
            }
            self._models = without
        self._publish = publish_image
        self._finishes = {m.name: m for m in finish_models_for(self.name)}
        self._marker_url = marker_url
        self._find_pages = find_pages
        http = lumaai.DefaultAsyncHttpxClient(event_hooks={"response": [no_status_retries]})
        self._client, self._create = stainless_clients(
            self, lumaai.AsyncLumaAI, http, poll_retries, auth_token=api_key, base_url=base_url or DEFAULT_BASE_URL
        )

    def _status_parts(self, exc: BaseException) -> tuple[int, object, Headers | None] | None:
        return stainless_status(exc, lumaai.APIStatusError)

    def marker(self, request: GenerationRequest) -> str | None:
        """The ``callback_url`` naming this job: our job id plus a digest of what was asked."""
        if not self._marker_url and self._hook_url is None:
            return None
        asked = "|".join(map(str, (request.model, request.prompt, request.duration, request.aspect, request.loop)))
        digest = hashlib.sha256(f"{asked}|{request.extend_task_id}".encode()).hexdigest()[:16]
        if self._hook_url is not None:  # push: Luma calls this URL back when the generation ends
            return f"{self._hook_url(request.job_id)}?{urlencode({'v': digest})}"
        return f"{self._marker_url}?{urlencode({'job': request.job_id, 'v': digest})}"

    @property
    def pushes(self) -> bool:
        """Whether generations call our server back when they end (then polling is only a safety net)."""
        return self._hook_url is not None

    async def _body(self, entry: CatalogueModel, request: GenerationRequest) -> dict[str, Any]:
        body: dict[str, Any] = {"model": entry.model_id, **entry.inputs(request)}
        if request.loop:
            body["loop"] = True
        frames: dict[str, Any] = {}
        if request.extend_task_id:
            frames["frame0"] = {"type": "generation", "id": request.extend_task_id}
        elif request.image is not None:
            frames["frame0"] = {"type": "image", "url": await self._image_url(request.image)}
        if request.end_image is not None:
            frames["frame1"] = {"type": "image", "url": await self._image_url(request.end_image)}
        elif request.extra.get("end_task_id"):  # interpolate towards another generation
            frames["frame1"] = {"type": "generation", "id": request.extra["end_task_id"]}
        if frames:
            body["keyframes"] = frames
        if marker := self.marker(request):
            body["callback_url"] = marker
        return body

    async def _image_url(self, path: Path) -> str:
        assert self._publish is not None  # validate() refused image requests without a publisher
        return await self._publish(path)

    def models(self) -> list[ModelInfo]:
        """The catalogue's Luma models and ``luma:upscale`` (of Luma's own generations)."""
        return [*super().models(), *(m.info() for m in self._finishes.values())]

    async def _upscale(self, finish: FinishModel, request: GenerationRequest) -> Any:
        """``generations.upscale`` of the generation the result came from, at the size asked in Luma's terms."""
        extra = request.extra
        source = extra.get("source_task_id")
        if not source or not {"width", "height"} <= set(extra):
            raise InvalidOption(f"{finish.name} upscales a result Luma made: it needs that generation and a size.")
        asked = finish.ask(resolution_for(int(extra["width"]), int(extra["height"])), None)
        if marker := self.marker(request):
            asked["callback_url"] = marker
        return await self._create.generations.upscale(source, generation_type="upscale_video", **asked)

    async def submit(self, request: GenerationRequest) -> str:
        """Create the generation (once) and return its id."""
        try:
            if request.model in self._finishes:
                generation = await self._upscale(self._finishes[request.model], request)
            else:
                entry = lookup(request.model, self._models)
                entry.validate(request)
                generation = await self._create.generations.create(**await self._body(entry, request))
        except self.sdk_errors as exc:
            error = self._create_error(exc)
            if error is not None:
                raise error from None
            return await self._resolve_lost_create(request, exc)
        if not generation.id:
            return await self._resolve_lost_create(request, ValueError("create answered without an id"))
        return generation.id

    async def find_task(self, request: GenerationRequest) -> str | None:
        """The generation whose echoed ``callback_url`` is this job's marker (None without a marker)."""
        marker = self.marker(request)
        if marker is None:  # nothing to recognise our generation by: its existence cannot be known
            raise SubmitUncertain(provider=self.name, detail=f"job {request.job_id}: no marker")
        limit = 100
        for page in range(self._find_pages):
            listing = await self._call(
                "generation list failed", self._client.generations.list(limit=limit, offset=page * limit)
            )
            for generation in listing.generations:
                if getattr(generation.request, "callback_url", None) == marker and generation.id:
                    return generation.id
            if not listing.has_more:
                break
        return None

    async def poll(self, task_id: str) -> TaskStatus:
        """One GET of the generation, mapped to a TaskStatus."""
        generation = await self._call("generation poll failed", self._client.generations.get(task_id), on_poll=True)
        state = getattr(generation, "state", None)
        if state == "queued":
            return TaskStatus(TaskState.PENDING)
        if state == "dreaming":
            return TaskStatus(TaskState.RUNNING)
        if state == "completed":
            url = generation.assets.video if generation.assets else None
            if not url:
                raise ProviderUnavailable(detail="completed generation without a video", provider=self.name)
            return TaskStatus(TaskState.SUCCEEDED, progress=1.0, output_url=url)
        if state == "failed":
            reason = str(generation.failure_reason or "")
            message = MODERATION_MESSAGE if looks_like_moderation(reason) else "Luma could not make this video."
            return TaskStatus(TaskState.FAILED, error=message, error_code=redact(reason or "failed", [self._key])[:200])
        raise ProviderUnavailable(detail=f"generation has unknown state {str(state)[:40]!r}", provider=self.name)

    async def _cancel_task(self, task_id: str) -> None:
        """Delete the generation (Luma has no cancel)."""
        await self._client.generations.delete(task_id)

    async def aclose(self) -> None:
        """Close the SDK client."""
        await self._client.close()
