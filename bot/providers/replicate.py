"""Replicate through its official client (``replicate.Client``, async methods).

Predictions are created once (the client never retries a POST) and read back one GET per poll;
never the blocking ``run()``.  Images and videos go up through the files endpoint first, so the
create itself is a small JSON POST.  A create whose answer is lost is looked for among recent
predictions (same model, same input; models with a seed get one derived from our job id, which
makes the input unique), and reported as SubmitUncertain when it cannot be found.

The 1.0.7 client rejects the ``aborted`` status and hides response headers, so polls and listings
read the JSON through the client's own authenticated httpx client and validate it here.

The finishing model ``replicate:topaz-video`` (/finish) goes the same way: its clip uploaded, its size and rate
in the model's own terms (:mod:`bot.providers.finishes`).

Push: with ``hook_url`` each create asks for a ``completed`` webhook to our server.  Every create carries
``Cancel-After`` (the model's deadline): a prediction still not started by then ends ``aborted`` and is
not billed; one still running then ends ``canceled`` and is billed for the time it ran (Replicate's changelog,
2025-10-16, read 2026-12-06): that one fails as "timed out at Replicate" with its ``predict_time`` as its cost
(the member's quota is refunded: not their fault).  It is told from a cancel made elsewhere by its own times
(``completed_at`` at least the deadline after ``created_at``).  1.0.7's create takes no headers, so a request
hook on the client's httpx client adds it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Any, Unpack

import httpx
import replicate
from pydantic import v1 as pydantic_v1
from replicate.client import RetryTransport
from replicate.exceptions import ReplicateError
from replicate.prediction import Prediction

from bot.errors import InvalidOption, ProviderTaskFailed, ProviderUnavailable, SubmitUncertain
from bot.providers._common import MODERATION_MESSAGE, job_seed, looks_like_moderation, redact
from bot.providers._sdk import Headers, SdkOptions, SdkProvider
from bot.providers.base import GenerationRequest, ModelInfo, ProviderCost, TaskState, TaskStatus
from bot.providers.catalogue import CatalogueModel, lookup
from bot.providers.finishes import finish_models_for, resolution_for
from bot.providers.references import photos, voices

DEFAULT_BASE_URL = "https://api.replicate.com"
MEDIA_ROLES = ("image", "end_image", "video")
DEADLINE_SLACK = 1.0  # seconds: the prediction's own times are rounded; Cancel-After is whole seconds
_CANCEL_AFTER: ContextVar[str | None] = ContextVar("replicate_cancel_after", default=None)  # for this create


class ReplicateProvider(SdkProvider):
    """Replicate predictions: ``submit`` → ``poll`` → ``fetch_result``."""

    name = "replicate"
    sdk_errors = (ReplicateError, httpx.HTTPError, ValueError, pydantic_v1.ValidationError)

    def __init__(
        self,
        api_token: str,
        base_url: str | None = None,
        *,
        upload_timeout: float = 300.0,
        find_pages: int = 3,
        hook_url: Callable[[int], str] | None = None,
        cancel_after: float | None = None,
        **options: Unpack[SdkOptions],
    ):
        super().__init__(api_token, **options)
        self._hook_url = hook_url
        self._cancel_after = cancel_after  # seconds; default: the model's deadline (the job's, see JobRunner)
        self._upload_timeout = upload_timeout
        self._find_pages = find_pages
        self._client = replicate.Client(
            api_token=api_token, base_url=base_url or DEFAULT_BASE_URL, timeout=self._timeout
        )
        self._http = self._client._async_client
        # The client's RetryTransport would retry a 429/503 GET up to 10 times, sleeping whatever
        # Retry-After says; one attempt per poll lets the worker own the backoff.
        if isinstance(self._http._transport, RetryTransport):
            self._http._transport.max_attempts = 1
        self._versions: dict[str, str] = {}
        self._finishes = {m.name: m for m in finish_models_for(self.name)}
        self._models = {**self._models, **{m.name: m.catalogue_entry() for m in self._finishes.values()}}
        # replicate 1.0.7's errors carry no response headers: keep the last error answer's, so a 429 on a
        # create can honour its Retry-After
        self._last_error_headers: httpx.Headers | None = None
        hooks = self._http.event_hooks
        hooks["response"] = [*hooks.get("response", []), self._remember_error_headers]
        hooks["request"] = [*hooks.get("request", []), _add_cancel_after]
        self._http.event_hooks = hooks
        self._secret: str | None = None

    @property
    def pushes(self) -> bool:
        """Whether predictions call our server back when they end (then polling is only a safety net)."""
        return self._hook_url is not None

    async def webhook_secret(self) -> str:
        """The account's webhook signing secret (``whsec_…``), fetched once."""
        if self._secret is None:
            data = await self._get_json("/v1/webhooks/default/secret")
            key = data.get("key") if isinstance(data, dict) else None
            if not isinstance(key, str) or not key.startswith("whsec_"):
                raise ProviderUnavailable(detail="webhook secret answer without a whsec_ key", provider=self.name)
            self._secret = key
        return self._secret

    async def _remember_error_headers(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            self._last_error_headers = response.headers

    def _status_parts(self, exc: BaseException) -> tuple[int, object, Headers | None] | None:
        if isinstance(exc, ReplicateError):  # 1.0.7's errors carry no headers: the last error answer's
            return exc.status or 500, exc.detail or exc.title or "", self._last_error_headers
        return None

    async def submit(self, request: GenerationRequest) -> str:
        """Upload the media, create the prediction (once) and return its id."""
        entry = lookup(request.model, self._models)
        inputs = self._inputs(entry, request)
        for role in MEDIA_ROLES:
            path = getattr(request, role)
            if path is not None:
                name = entry.field(role)
                if name is None:
                    raise InvalidOption(f"{entry.name} takes no {role.replace('_', ' ')}.")
                inputs[name] = await self._upload(path)
        refs = entry.references
        if request.references and refs is not None:  # the cast's photos (and voices) in the model's order
            inputs[refs.field] = [await self._upload(p) for p in photos(request.references)]
            if (sent := voices(request.references, refs)) and refs.audio_field:
                inputs[refs.audio_field] = [await self._upload(v) for v in sent]
        version = None if entry.official else await self._version(entry)
        push: dict[str, Any] = {}
        if self._hook_url is not None:
            push = {"webhook": self._hook_url(request.job_id), "webhook_events_filter": ["completed"]}
        marker = _CANCEL_AFTER.set(f"{_cancel_after(self._cancel_after or entry.deadline_seconds)}s")
        try:
            async with asyncio.timeout(self._create_timeout):
                if version is None:
                    prediction = await self._client.predictions.async_create(model=entry.model_id, input=inputs, **push)
                else:
                    prediction = await self._client.predictions.async_create(version, inputs, **push)
            return prediction.id
        except self._call_errors() as exc:
            error = self._create_error(exc)
            if error is not None:
                raise error from None
            return await self._resolve_lost_create(request, exc, self._find(request, inputs))
        finally:
            _CANCEL_AFTER.reset(marker)

    def models(self) -> list[ModelInfo]:
        """The catalogue's Replicate models and the finishing ones (``replicate:topaz-video``)."""
        catalogue = (m.info() for name, m in self._models.items() if name not in self._finishes)
        return [*catalogue, *(m.info() for m in self._finishes.values())]

    def _inputs(self, entry: CatalogueModel, request: GenerationRequest) -> dict[str, Any]:
        """The prediction's input but its files: the catalogue's fields, or a finish's size and rate in the
        model's own terms (checked first, as every request is)."""
        finish = self._finishes.get(entry.name)
        if finish is None:
            entry.validate(request)
            return entry.inputs(request, seed=job_seed(request.job_id))
        extra = request.extra
        if request.video is None or not {"width", "height", "fps"} <= set(extra):
            raise InvalidOption(f"{finish.name} finishes a result: it needs the clip, a size and a frame rate.")
        return finish.ask(resolution_for(int(extra["width"]), int(extra["height"])), int(extra["fps"]))

    async def _upload(self, path: Path) -> str:
        """Upload a file through the files endpoint and return the URL the model reads."""
        uploaded = await self._call(
            "file upload failed", self._client.files.async_create(path), timeout=self._upload_timeout
        )
        return uploaded.urls["get"]

    async def _version(self, entry: CatalogueModel) -> str:
        """A community model's version: pinned in the catalogue, else its latest (looked up once)."""
        if entry.version:
            return entry.version
        if entry.model_id not in self._versions:
            model = await self._call("model lookup failed", self._client.models.async_get(entry.model_id))
            if model.latest_version is None:
                raise ProviderUnavailable(detail=f"{entry.model_id} has no version", provider=self.name)
            self._versions[entry.model_id] = model.latest_version.id
        return self._versions[entry.model_id]

    async def _get_json(self, path: str, *, on_poll: bool = False) -> Any:
        """GET through the client's authenticated httpx client; errors mapped, headers honoured."""
        return await self._call(f"GET {path.split('?')[0]} failed", self._get(path, on_poll=on_poll))

    async def _get(self, path: str, *, on_poll: bool) -> Any:
        resp = await self._http.get(path)
        if resp.status_code >= 400:
            try:
                body = resp.json()
            except ValueError:
                body = resp.text
            raise self._status_error(resp.status_code, body, resp.headers, on_poll=on_poll)
        return resp.json()

    async def _recent(self) -> AsyncIterator[dict[str, Any]]:
        """Recent predictions, newest first, a few pages deep."""
        path: str | None = "/v1/predictions"
        for _ in range(self._find_pages):
            if path is None:
                return
            page = await self._get_json(path)
            for item in page.get("results") or []:
                if isinstance(item, dict):
                    yield item
            path = page.get("next")

    async def find_task(self, request: GenerationRequest) -> str | None:
        """A prediction of this model whose input is the one we would send for this job (file URLs aside)."""
        return await self._find(request, None)

    async def _find(self, request: GenerationRequest, sent: dict[str, Any] | None) -> str | None:
        """Match recent predictions against the exact input ``sent``, or (after a restart) what we would send."""
        entry = lookup(request.model, self._models)
        expected = sent if sent is not None else self._inputs(entry, request)
        media = {name for r in MEDIA_ROLES if getattr(request, r) is not None and (name := entry.field(r))}
        if request.references and (refs := entry.references) is not None:
            media.add(refs.field)
            if voices(request.references, refs) and refs.audio_field:
                media.add(refs.audio_field)
        matches = []
        async for item in self._recent():
            if item.get("model") != entry.model_id:
                continue
            got = item.get("input")
            if got is None:  # listings may omit the input; the prediction itself has it
                got = (await self._get_json(f"/v1/predictions/{item['id']}")).get("input")
            if isinstance(got, dict) and _same_input(expected, got, media, exact=sent is not None):
                matches.append(str(item["id"]))
        if len(matches) > 1:  # ambiguous: better unknown than someone else's (and never a resubmit)
            raise SubmitUncertain(provider=self.name, detail=f"job {request.job_id}: {len(matches)} matches")
        return matches[0] if matches else None

    async def poll(self, task_id: str) -> TaskStatus:
        """One GET of the prediction, mapped to a TaskStatus."""
        data = await self._get_json(f"/v1/predictions/{task_id}", on_poll=True)
        if not isinstance(data, dict):
            raise ProviderUnavailable(detail="prediction is not a JSON object", provider=self.name)
        if data.get("status") == "aborted":  # not in 1.0.7's model: the deadline passed before it started
            return TaskStatus(
                TaskState.FAILED, error="Replicate could not start the job in time.", error_code="aborted"
            )
        try:
            prediction = Prediction(**data)
        except (pydantic_v1.ValidationError, TypeError) as exc:
            raise self._unavailable("malformed prediction", exc) from None
        return self._status(prediction, data)

    def _status(self, prediction: Prediction, data: dict[str, Any]) -> TaskStatus:
        if prediction.status == "starting":
            return TaskStatus(TaskState.PENDING)
        if prediction.status == "processing":
            progress = prediction.progress
            return TaskStatus(TaskState.RUNNING, progress=progress.percentage if progress else None)
        if prediction.status == "succeeded":
            url = _output_url(prediction.output)
            if url is None and data.get("data_removed"):
                raise ProviderTaskFailed("The video expired at Replicate before it was fetched.", provider=self.name)
            if url is None:
                raise ProviderUnavailable(detail="succeeded prediction without an output URL", provider=self.name)
            return TaskStatus(TaskState.SUCCEEDED, progress=1.0, output_url=url, cost=_predict_time(data))
        if prediction.status == "failed":
            reason = str(prediction.error or "")
            moderated = looks_like_moderation(reason) or "E005" in reason
            message = MODERATION_MESSAGE if moderated else "Replicate could not make this video."
            code = redact(reason or "failed", [self._key])[:200]
            return TaskStatus(TaskState.FAILED, error=message, error_code=code, cost=_predict_time(data))
        limit = self._deadline_of(data)
        ran = _seconds_between(data.get("created_at"), data.get("completed_at"))
        if limit is not None and ran is not None and ran >= limit - DEADLINE_SLACK:  # Cancel-After passed
            minutes = f"{limit / 60:g} min" if limit >= 60 else f"{limit:g} s"
            message = f"Replicate took too long: it stopped the job at its {minutes} limit; your quota was refunded."
            return TaskStatus(TaskState.FAILED, error=message, error_code="deadline", cost=_predict_time(data))
        return TaskStatus(TaskState.CANCELLED, error="The job was cancelled at Replicate.", cost=_predict_time(data))

    def _deadline_of(self, data: dict[str, Any]) -> float | None:
        """The Cancel-After seconds our create sent for this prediction's model (None: not one of ours)."""
        model = data.get("model")
        entry = next((m for m in self._models.values() if m.model_id == model), None)
        if entry is None:
            return None
        return float(_cancel_after(self._cancel_after or entry.deadline_seconds))

    async def _cancel_task(self, task_id: str) -> None:
        """Cancel the prediction; cancelling a finished one is fine."""
        with contextlib.suppress(pydantic_v1.ValidationError):  # it went through; the answer ("aborted") did not parse
            await self._client.predictions.async_cancel(task_id)

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self._http.aclose()


def _predict_time(data: dict[str, Any]) -> ProviderCost | None:
    """``metrics.predict_time`` (seconds of hardware the prediction ran), if the answer has it."""
    metrics = data.get("metrics")
    value = metrics.get("predict_time") if isinstance(metrics, dict) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return ProviderCost(float(value), "predict_seconds")
    return None


def _cancel_after(deadline: float) -> int:
    """The whole seconds of ``Cancel-After`` for a deadline."""
    return max(1, int(deadline))


def _seconds_between(start: object, end: object) -> float | None:
    """Seconds from one ISO 8601 time of a prediction to another, None when either is missing or unreadable."""
    if not isinstance(start, str) or not isinstance(end, str):
        return None
    try:
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    except (ValueError, TypeError):  # TypeError: one naive, one aware
        return None


async def _add_cancel_after(request: httpx.Request) -> None:
    """The ``Cancel-After`` header on the create being sent (1.0.7's create cannot set headers)."""
    value = _CANCEL_AFTER.get()
    if value and request.method == "POST" and request.url.path.endswith("/predictions"):
        request.headers["Cancel-After"] = value


def _output_url(output: object) -> str | None:
    """The video URL in a prediction's output (a URL string, or a list whose last item is the video)."""
    if isinstance(output, str) and output.startswith(("http://", "https://")):
        return output
    if isinstance(output, list):
        urls = [o for o in output if isinstance(o, str) and o.startswith(("http://", "https://"))]
        return urls[-1] if urls else None
    return None


def _same_input(expected: dict[str, Any], got: dict[str, Any], media: set[str], *, exact: bool) -> bool:
    """Whether an echoed input is ours: equal, or (after a restart) equal but for the unknown file URLs."""
    if exact:
        return got == expected
    others = {k: v for k, v in got.items() if k not in media}
    return others == expected and all(got.get(k) for k in media)
