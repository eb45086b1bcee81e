"""What the cloud providers built on an official SDK share: the catalogue and timeouts they are built with,
the mapping of the SDK's errors to :mod:`bot.errors`, the create outcome that is uncertain, and cancel.

A provider subclasses :class:`SdkProvider`, builds its SDK client in ``__init__`` after calling
``super().__init__``, and says how its SDK reports an error answer (:meth:`SdkProvider._status_parts`) and how
it cancels a task (:meth:`SdkProvider._cancel_task`).  Every SDK call then goes through
:meth:`SdkProvider._call`, so a failure leaves as one of our errors with the key redacted.
"""

from __future__ import annotations

import asyncio
import json
from abc import abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypedDict, TypeVar, cast

import httpx

from bot.errors import ProviderError, SubmitUncertain
from bot.providers._common import error_for_status, never_sent, redact, unavailable
from bot.providers._download import OutputFetcher
from bot.providers.base import GenerationRequest, ModelInfo
from bot.providers.catalogue import CatalogueModel, models_for


class SdkOptions(TypedDict, total=False):
    """The keyword options every SDK provider takes (see :meth:`SdkProvider.__init__` for the defaults)."""

    timeout: float  # the SDK client's per-request timeout
    create_timeout: float
    poll_deadline: float
    download_timeout: float
    models: Iterable[CatalogueModel] | None  # default: the provider's models in the catalogue
    download_client: httpx.AsyncClient | None


T = TypeVar("T")
Headers = Mapping[str, str] | httpx.Headers
_BODY_LIMIT = 300


class SdkProvider(OutputFetcher):
    """The shared half of an SDK-backed provider; subclasses set ``name``, ``sdk_errors`` and the two hooks."""

    name: str
    sdk_errors: tuple[type[BaseException], ...] = ()  # what an SDK call raises besides TimeoutError
    uncertain_statuses: frozenset[int] = frozenset({500, 502, 504})  # a create may have landed behind these
    error_keys: tuple[str, ...] = ("detail",)  # where the SDK's error body says what went wrong

    def __init__(
        self,
        api_key: str,
        *,
        timeout: float = 30.0,
        create_timeout: float = 60.0,
        poll_deadline: float = 30.0,
        download_timeout: float = 600.0,
        models: Iterable[CatalogueModel] | None = None,
        download_client: httpx.AsyncClient | None = None,
    ):
        self._key = api_key
        self._models = {m.name: m for m in (models if models is not None else models_for(self.name))}
        self._timeout = httpx.Timeout(timeout, connect=min(10.0, timeout))  # for the SDK client
        self._create_timeout = create_timeout  # a create is sent once and waited for this long
        self._poll_deadline = poll_deadline  # every other call: a poll, a listing, a cancel
        self._download_timeout = download_timeout
        self._download_client = download_client

    def models(self) -> Sequence[ModelInfo]:
        """The provider's models in the catalogue."""
        return [m.info() for m in self._models.values()]

    # --- hooks -----------------------------------------------------------------------------------------
    @abstractmethod
    def _status_parts(self, exc: BaseException) -> tuple[int, object, Headers | None] | None:
        """(HTTP status, error body, headers) when ``exc`` is the SDK's error for an error answer, else None."""

    @abstractmethod
    async def _cancel_task(self, task_id: str) -> None:
        """The SDK call that cancels (or deletes) a task."""

    # --- errors ----------------------------------------------------------------------------------------
    def _body_text(self, body: object) -> str:
        """What an error body says: its first ``error_keys`` entry, else the body itself, cut short."""
        if isinstance(body, dict):
            said = next((body[k] for k in self.error_keys if body.get(k)), None)
            return str(said)[:_BODY_LIMIT] if said is not None else json.dumps(body, default=str)[:_BODY_LIMIT]
        return str(body)[:_BODY_LIMIT]

    def _status_error(
        self, status: int, body: object, headers: Headers | None = None, *, on_poll: bool = False
    ) -> ProviderError:
        """An error answer (HTTP ``status`` with ``body``) as our error, the key redacted."""
        text = self._body_text(body)
        return error_for_status(self.name, status, text, headers=headers, secrets=[self._key], on_poll=on_poll)

    def _unavailable(self, what: str, exc: BaseException) -> ProviderError:
        """A retryable error for a network failure or a malformed answer."""
        return unavailable(self.name, what, exc, [self._key])

    def _error(self, exc: BaseException, what: str, *, on_poll: bool = False) -> ProviderError:
        """Any failure of an SDK call as our error: an error answer by its status, the rest retryable."""
        if isinstance(exc, ProviderError):
            return exc
        parts = self._status_parts(exc)
        if parts is not None:
            return self._status_error(*parts, on_poll=on_poll)
        return self._unavailable(what, exc)

    def _call_errors(self) -> tuple[type[BaseException], ...]:
        return (*self.sdk_errors, TimeoutError)

    async def _call(self, what: str, call: Awaitable[T], *, on_poll: bool = False, timeout: float | None = None) -> T:
        """Await one SDK call within ``timeout`` (the poll deadline); its failures leave as our errors."""
        try:
            async with asyncio.timeout(timeout or self._poll_deadline):
                return await call
        except self._call_errors() as exc:
            raise self._error(exc, what, on_poll=on_poll) from None

    # --- creates whose answer is lost ------------------------------------------------------------------
    def _create_error(self, exc: BaseException) -> ProviderError | None:
        """The error for a failed create, or None when the task may exist (a lost or gateway-failed answer)."""
        parts = self._status_parts(exc)
        if parts is not None:
            return None if parts[0] in self.uncertain_statuses else self._status_error(*parts)
        if never_sent(exc):
            return self._unavailable("create not sent", exc)
        return None

    async def _resolve_lost_create(
        self, request: GenerationRequest, cause: BaseException, find: Awaitable[str | None] | None = None
    ) -> str:
        """The task made by a create whose answer was lost, as ``find`` (default :meth:`find_task`) finds it;
        SubmitUncertain when it cannot be found."""
        try:
            found = await (find if find is not None else self.find_task(request))
        except ProviderError:
            found = None
        if found is not None:
            return found
        detail = redact(f"{self.name} create outcome unknown: {type(cause).__name__}: {cause}", [self._key])
        raise SubmitUncertain(detail=detail, provider=self.name)

    async def find_task(self, request: GenerationRequest) -> str | None:
        """The provider's own search for a lost create (overridden)."""
        raise SubmitUncertain(provider=self.name, detail=f"job {request.job_id}: {self.name} cannot list tasks")

    # --- cancel ------------------------------------------------------------------------------------------
    async def cancel(self, task_id: str) -> None:
        """Cancel the task at the provider; one it no longer knows (404) is fine."""
        try:
            async with asyncio.timeout(self._poll_deadline):
                await self._cancel_task(task_id)
        except self._call_errors() as exc:
            parts = self._status_parts(exc)
            if parts is not None and parts[0] == 404:
                return
            raise self._error(exc, "cancel failed") from None


C = TypeVar("C")


def stainless_clients(
    provider: SdkProvider, make: Callable[..., C], http: httpx.AsyncClient, retries: int, **auth: Any
) -> tuple[C, C]:
    """A Stainless SDK client (runwayml, lumaai) with ``provider``'s timeout, and its copy for creates, which
    are sent once.  ``http`` should carry :func:`~bot.providers._common.no_status_retries` (the worker owns
    the backoff), so the client retries only a dropped connection, ``retries`` times."""
    client = make(http_client=http, timeout=provider._timeout, max_retries=retries, **auth)
    create = client.with_options(max_retries=0, timeout=provider._create_timeout)  # type: ignore[attr-defined]
    return client, cast(C, create)


def stainless_status(exc: BaseException, status_error: type[Any]) -> tuple[int, object, Headers | None] | None:
    """``_status_parts`` for the Stainless-generated SDKs (runwayml, lumaai): their ``APIStatusError``."""
    if isinstance(exc, status_error):
        return int(exc.status_code), exc.body, exc.response.headers
    return None
