"""fal (Pika, Kling, MiniMax Hailuo…) through its queue API and the official ``fal_client`` types.

Submit ``POST {queue}/{endpoint}`` → ``request_id`` and the request's status/result/cancel URLs;
``GET …/requests/{id}/status`` → ``IN_QUEUE`` (with ``queue_position``) | ``IN_PROGRESS`` |
``COMPLETED``; ``GET …/requests/{id}`` → the result (``{"video": {"url": …}}``); ``PUT …/cancel``.
The queue host is ``fal_client``'s own (``https://queue.fal.run/``, or ``FAL_QUEUE_RUN_HOST`` /
``FAL_RUN_HOST`` from the environment, read by ``fal_client`` when it is imported).

The create is our own single POST: ``fal_client``'s ``submit`` retries transport errors, which could
queue (and bill) the same video twice.  Status, result and cancel go through
``fal_client.AsyncRequestHandle`` (reads are safe to retry).  Images go inline as ``data:`` URIs
(``fal_client.encode_file``): fal's upload storage cannot be reached offline and needs no URL of ours.

Lost creates: fal cannot list requests, so a create whose answer was lost (or a crash before the
request id was saved) cannot be looked up: :meth:`FalProvider.find_task` raises SubmitUncertain and
the job fails refunded, never sent twice (as for Runway).  The task id we persist is
``{endpoint}#{request_id}``.

Push: with ``hook_url`` the submit carries ``fal_webhook`` (our server's per-job URL); fal signs the call
with Ed25519 (checked against its published keys by the web server).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

import fal_client
import httpx
from fal_client.client import QUEUE_URL_FORMAT, USER_AGENT, AppId

from bot.errors import InvalidOption, ProviderError, ProviderTaskFailed, ProviderUnavailable, SubmitUncertain
from bot.providers._common import MODERATION_MESSAGE, error_for_status, looks_like_moderation, never_sent, redact
from bot.providers._download import OutputFetcher
from bot.providers.base import Capability, GenerationRequest, ModelInfo, TaskState, TaskStatus, required_capabilities
from bot.providers.catalogue import CatalogueModel, lookup, models_for
from bot.providers.finishes import FinishModel, finish_models_for, resolution_for

_UNCERTAIN_STATUSES = frozenset({500, 502, 504})  # the request may have been queued behind a failing gateway
_MODES = {Capability.TEXT_TO_VIDEO: "text-to-video", Capability.IMAGE_TO_VIDEO: "image-to-video"}


def _detail(body: object) -> str:
    """fal's error text: ``detail`` is a string or a list of pydantic errors."""
    if isinstance(body, dict):
        detail = body.get("detail", body)
        if isinstance(detail, list):  # [{"loc": ["body", "seed"], "msg": "Extra inputs are not permitted"}]
            return "; ".join(_pydantic_error(d) for d in detail)[:300]
        return str(detail)[:300]
    return str(body)[:300]


def _pydantic_error(error: object) -> str:
    """One pydantic error as "field: message" (the field path without its leading "body")."""
    if not isinstance(error, dict):
        return str(error)
    loc = [str(part) for part in error.get("loc") or () if part != "body"]
    message = str(error.get("msg", error))
    return f"{'.'.join(loc)}: {message}" if loc else message


class FalProvider(OutputFetcher):
    """fal's queue: ``submit`` → ``poll`` (queue position, then running) → ``fetch_result``."""

    name = "fal"

    def __init__(
        self,
        api_key: str,
        queue_url: str | None = None,
        *,
        timeout: float = 30.0,
        create_timeout: float = 60.0,
        poll_deadline: float = 30.0,
        download_timeout: float = 600.0,
        models: Iterable[CatalogueModel] | None = None,
        download_client: httpx.AsyncClient | None = None,
        hook_url: Callable[[int], str] | None = None,
    ):
        self._key = api_key
        self._hook_url = hook_url
        self._models = {m.name: m for m in (models if models is not None else models_for("fal"))}
        self._finishes = {m.name: m for m in finish_models_for(self.name)}
        self._queue = (queue_url or QUEUE_URL_FORMAT).rstrip("/") + "/"
        self._create_timeout = create_timeout
        self._poll_deadline = poll_deadline
        self._download_timeout = download_timeout
        self._download_client = download_client
        self._http = httpx.AsyncClient(
            headers={"Authorization": f"Key {api_key}", "User-Agent": USER_AGENT},
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
        )

    @property
    def pushes(self) -> bool:
        """Whether requests call our server back when they end (then polling is only a safety net)."""
        return self._hook_url is not None

    def models(self) -> Sequence[ModelInfo]:
        """The fal models in the catalogue, and the finishing ones (``fal:topaz``, ``fal:rife``)."""
        return [*(m.info() for m in self._models.values()), *(m.info() for m in self._finishes.values())]

    # --- submit ------------------------------------------------------------------------------
    @staticmethod
    def endpoint(entry: CatalogueModel, request: GenerationRequest) -> str:
        """The fal endpoint id for this request (``{mode}`` filled in from what it needs)."""
        if "{mode}" not in entry.model_id:
            return entry.model_id
        needs = required_capabilities(request)
        mode = _MODES[Capability.IMAGE_TO_VIDEO if Capability.IMAGE_TO_VIDEO in needs else Capability.TEXT_TO_VIDEO]
        return entry.model_id.replace("{mode}", mode)

    async def _arguments(self, entry: CatalogueModel, request: GenerationRequest) -> dict[str, Any]:
        args = entry.inputs(request)
        image_field = entry.field("image") or "image_url"
        if request.image is not None:
            for key in entry.aspects[request.aspect]:  # an image-started clip follows the image's shape
                args.pop(key, None)
            first = await asyncio.to_thread(fal_client.encode_file, request.image)
            if request.end_image is not None:  # keyframes: first and last
                last = await asyncio.to_thread(fal_client.encode_file, request.end_image)
                args[image_field] = [first, last]
            else:
                args[image_field] = first
        return args

    async def _finish_arguments(self, finish: FinishModel, request: GenerationRequest) -> dict[str, Any]:
        """A finish: the clip inline (a ``data:`` URI, as images go) and the size and rate in the model's terms."""
        extra = request.extra
        if request.video is None or not {"width", "height", "fps"} <= set(extra):
            raise InvalidOption(f"{finish.name} finishes a result: it needs the clip, a size and a frame rate.")
        scale = float(extra["scale"]) if extra.get("scale") else None
        size = resolution_for(int(extra["width"]), int(extra["height"]))
        args = finish.ask(size, int(extra["fps"]), scale, request.source_fps)
        args[finish.video_field] = await asyncio.to_thread(fal_client.encode_file, request.video)
        return args

    async def submit(self, request: GenerationRequest) -> str:
        """Queue the request (one POST, never retried) and return ``{endpoint}#{request_id}``."""
        if request.model in self._finishes:
            finish = self._finishes[request.model]
            endpoint, args = finish.model_id, await self._finish_arguments(finish, request)
        else:
            entry = lookup(request.model, self._models)
            entry.validate(request)
            endpoint = self.endpoint(entry, request)
            args = await self._arguments(entry, request)
        try:
            async with asyncio.timeout(self._create_timeout):
                url = self._queue + endpoint
                if self._hook_url is not None:
                    url += "?" + urlencode({"fal_webhook": self._hook_url(request.job_id)})
                resp = await self._http.post(url, json=args)
                body = resp.json() if resp.status_code < 400 else None
        except httpx.HTTPError as exc:
            if never_sent(exc):
                raise self._unavailable("create not sent", exc) from None
            raise self._uncertain(exc) from None
        except (TimeoutError, ValueError) as exc:
            raise self._uncertain(exc) from None
        if resp.status_code >= 400:
            if resp.status_code in _UNCERTAIN_STATUSES:
                raise self._uncertain(RuntimeError(f"HTTP {resp.status_code}"))
            raise self._status_error(resp.status_code, _safe_json(resp), resp.headers)
        request_id = body.get("request_id") if isinstance(body, dict) else None
        if not isinstance(request_id, str) or not request_id:
            raise self._uncertain(ValueError("submit answered without a request_id"))
        return f"{endpoint}#{request_id}"

    def _uncertain(self, cause: BaseException) -> SubmitUncertain:
        """A submit that may have queued a request we cannot find (see the module docstring)."""
        detail = redact(f"fal submit outcome unknown: {type(cause).__name__}: {cause}", [self._key])
        return SubmitUncertain(detail=detail, provider=self.name)

    async def find_task(self, request: GenerationRequest) -> str | None:
        """fal cannot list requests, so whether a lost submit was queued cannot be known."""
        raise SubmitUncertain(provider=self.name, detail=f"job {request.job_id}: fal cannot list requests")

    # --- poll, result, cancel ---------------------------------------------------------------
    def handle(self, task_id: str) -> fal_client.AsyncRequestHandle:
        """The fal_client handle for a stored task id (URLs as fal_client builds them)."""
        endpoint, sep, request_id = task_id.rpartition("#")
        if not sep or not endpoint or not request_id:
            raise ProviderTaskFailed(
                "The video provider no longer knows this job.", detail=f"malformed fal task id {task_id[:80]!r}"
            )
        app = AppId.from_endpoint_id(endpoint)
        prefix = f"{app.namespace}/" if app.namespace else ""
        base = f"{self._queue}{prefix}{app.owner}/{app.alias}/requests/{request_id}"
        return fal_client.AsyncRequestHandle(
            request_id=request_id,
            response_url=base,
            status_url=base + "/status",
            cancel_url=base + "/cancel",
            client=self._http,
        )

    async def poll(self, task_id: str) -> TaskStatus:
        """One status GET (plus the result GET once completed), mapped to a TaskStatus."""
        handle = self.handle(task_id)
        try:
            async with asyncio.timeout(self._poll_deadline):
                status = await handle.status()
                if isinstance(status, fal_client.Completed) and not status.error:
                    result = await self._http.get(handle.response_url)
        except fal_client.FalClientHTTPError as exc:
            raise self._status_error(exc.status_code, exc.message, exc.response_headers, on_poll=True) from None
        except (httpx.HTTPError, fal_client.FalClientError, ValueError, KeyError, TimeoutError) as exc:
            raise self._unavailable("status poll failed", exc) from None
        if isinstance(status, fal_client.Queued):
            return TaskStatus(TaskState.PENDING, queue_position=max(0, int(status.position)) + 1)
        if isinstance(status, fal_client.InProgress):
            return TaskStatus(TaskState.RUNNING)
        if not isinstance(status, fal_client.Completed):
            raise ProviderUnavailable(detail=f"unknown fal status {status!r:.60}", provider=self.name)
        if status.error:
            return self._failed(str(status.error), status.error_type)
        return self._result(result)

    def _failed(self, error: str, error_type: str | None) -> TaskStatus:
        code = redact(f"{error_type or 'error'}: {error}", [self._key])[:200]
        if "cancel" in (error_type or "").lower():
            return TaskStatus(TaskState.CANCELLED, error="The job was cancelled at fal.", error_code=code)
        moderated = looks_like_moderation(error) or looks_like_moderation(error_type)
        message = MODERATION_MESSAGE if moderated else "fal could not make this video."
        return TaskStatus(TaskState.FAILED, error=message, error_code=code)

    def _result(self, resp: httpx.Response) -> TaskStatus:
        if resp.status_code >= 500:
            raise ProviderUnavailable(detail=f"fal result answered HTTP {resp.status_code}", provider=self.name)
        if resp.status_code >= 400:  # the app failed the request after it ran (e.g. a 422 on its input)
            return self._failed(_detail(_safe_json(resp)), f"HTTP {resp.status_code}")
        body = _safe_json(resp)
        video = body.get("video") if isinstance(body, dict) else None
        url = video.get("url") if isinstance(video, dict) else None
        if not isinstance(url, str) or not url:
            raise ProviderUnavailable(detail="completed fal request without a video URL", provider=self.name)
        return TaskStatus(TaskState.SUCCEEDED, progress=1.0, output_url=url)

    async def cancel(self, task_id: str) -> None:
        """Ask fal to cancel; a request already finished (400) or unknown (404) is fine."""
        try:
            async with asyncio.timeout(self._poll_deadline):
                await self.handle(task_id).cancel()
        except fal_client.FalClientHTTPError as exc:
            if exc.status_code in (400, 404):
                return
            raise self._status_error(exc.status_code, exc.message, exc.response_headers) from None
        except (httpx.HTTPError, fal_client.FalClientError, TimeoutError) as exc:
            raise self._unavailable("cancel failed", exc) from None

    # --- errors ------------------------------------------------------------------------------
    def _status_error(self, status: int, body: object, headers: Any, *, on_poll: bool = False) -> ProviderError:
        message = body if isinstance(body, str) else _detail(body)
        return error_for_status(self.name, status, message, headers=headers, secrets=[self._key], on_poll=on_poll)

    def _unavailable(self, what: str, exc: BaseException) -> ProviderError:
        detail = redact(f"{what}: {type(exc).__name__}: {exc}", [self._key])
        return ProviderUnavailable(detail=detail, provider=self.name)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()


def _safe_json(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return resp.text[:300]
