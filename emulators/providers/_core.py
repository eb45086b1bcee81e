"""What the API emulators share: scripted task lifecycles, injected faults, counting, media.

A task's state is a function of how many times it has been polled (never of wall-clock time), so
tests are deterministic: ``Script(queued=1, running=2)`` answers one poll "queued", two "running"
(with progress), then the outcome.  Faults are queues consumed by the next matching requests.

Push: a task created with a completion URL (Replicate ``webhook``, Luma ``callback_url``, fal
``fal_webhook``) runs by itself instead: ``Script.push_after`` seconds after the create it is finished
(polled or not) and the emulator POSTs the completion call, signed as the real service signs it, retrying
a failed delivery (5xx, no answer) as the real services do.  ``Script.webhook`` says what is sent ("send";
"twice"; "hold": the task runs by its polls and nothing is sent until the test calls
:meth:`ApiState.send_push`, which finishes it and can also tamper with the call, age it or pad it).
Every delivery is recorded in ``deliveries``.  A ``Cancel-After`` deadline (Replicate) that passes before
a task started ends it ``aborted``; one that passes while it runs ends it cancelled (``deadline_cancelled``),
having run from its start to the deadline (Replicate's changelog 2025-10-16 "Set deadlines for predictions",
replicate.com/changelog/2025-10-16-prediction-deadlines, read 2026-12-06: "aborted if the deadline is reached
before it starts running, and canceled if the deadline is reached while it's running"; public models bill
the canceled one, not the aborted one).  A task whose script has nothing queued runs from its create.

The benchmarks use the wall-clock mode instead: ``Script(run_seconds=8.0)`` is queued for the first
``queued_seconds`` (default 0) then running until ``run_seconds`` after its create, then ends with the outcome,
however often it is polled.  Every task records when each poll was answered (``poll_times``) and, in the
wall-clock mode, when it finished (``finished_at``); tests may read the order of these, never their speed.
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import itertools
import json
import secrets
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from emulators.providers._media import VideoFactory

HTML_PAGE = b"<!doctype html><html><head><title>Error</title></head><body>Access denied</body></html>"


@dataclass
class Script:
    """How one task behaves.  Counts are polls answered in each state before the next."""

    queued: int = 1  # PENDING / starting / queued
    throttled: int = 0  # Runway only: THROTTLED after PENDING
    running: int = 2  # RUNNING / processing / dreaming, with progress
    progress: list[float] | None = None  # per running poll; default evenly spaced
    outcome: str = "succeed"  # succeed | fail | hang (runs forever) | abort (Replicate) | cancel
    failure: str = "Generation failed"  # failure text (Runway failure, Replicate error, Luma failure_reason)
    failure_code: str | None = None  # Runway failureCode, e.g. SAFETY.INPUT.TEXT
    refuse: str | None = None  # refuse the create with 400 and this message (moderation); no task is made
    hang_create: float = 0.0  # make the task, then hold the create's answer this many seconds
    output: str = "ok"  # ok | big | 404 | html | text | truncated | chunked | expire_first | reset
    output_seconds: float | None = None  # clip length; default: the requested duration
    output_delay: float = 0.0  # hold every download of the output this many seconds before answering
    run_seconds: float | None = None  # wall-clock mode: the task ends this many seconds after its create
    queued_seconds: float = 0.0  # wall-clock mode: "queued" this long after the create, then "running"
    push_after: float = 0.3  # push: the task with a completion URL finishes this long after its create
    webhook: str = "send"  # push: send | twice (the same call again) | hold (the test finishes it: send_push)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Script:
        """Build from a control-API body."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Fault:
    """An injected failure for one request: an HTTP status, a malformed body, a reset or a hang."""

    status: int = 503
    kind: str = "status"  # status | malformed | reset | hang
    retry_after: str | None = None  # Retry-After header value
    body: Any = None  # default: the API's own error body for the status
    seconds: float = 0.0  # hang: hold the answer this long, then answer normally

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        """Build from a control-API body."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Task:
    """One task/prediction/generation on the emulated server."""

    id: str
    endpoint: str
    body: dict[str, Any]
    script: Script
    seconds: float
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    polls: int = 0
    cancelled: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    done: bool = False  # push: finished by itself (its outcome, whatever the poll count)
    abort_at: float | None = None  # Cancel-After: monotonic time after which the task is aborted or cancelled
    aborted: bool = False
    deadline_cancelled: bool = False  # Cancel-After passed while it ran (then ``cancelled`` too)
    created_mono: float = field(default_factory=time.monotonic)
    started_mono: float | None = None  # monotonic time it was first seen running
    ended_mono: float | None = None  # monotonic time it was cancelled (by a cancel call or its deadline)
    poll_times: list[float] = field(default_factory=list)  # time.time() of each status answer

    @property
    def finished_at(self) -> float | None:
        """Wall-clock mode: when the task ended (time.time(), whether or not anyone polled since); else None."""
        if self.script.run_seconds is None:
            return None
        return self.created_at.timestamp() + self.script.run_seconds

    def phase(self) -> tuple[str, float | None]:
        """(phase, progress) now: queued | throttled | running | succeeded | failed | aborted | cancelled."""
        if self.cancelled:
            return "cancelled", None
        if self.aborted:
            return "aborted", None
        if self.done:
            return self._outcome(), None
        s = self.script
        phase, progress = self._timed_phase(s.run_seconds) if s.run_seconds is not None else self._counted_phase()
        expired = self.abort_at is not None and time.monotonic() >= self.abort_at
        if expired and phase in ("queued", "throttled", "running"):  # Cancel-After: aborted if not started
            if phase != "running":
                self.aborted = True
                return "aborted", None
            self.started_mono = self.started_mono or (self.created_mono if s.queued == 0 else self.abort_at)
            self.cancelled = self.deadline_cancelled = True
            self.ended_mono = self.abort_at
            return "cancelled", None
        if phase == "running" and self.started_mono is None:
            self.started_mono = self.created_mono if s.queued == 0 and s.run_seconds is None else time.monotonic()
        return phase, progress

    def _counted_phase(self) -> tuple[str, float | None]:
        s, n = self.script, self.polls
        if n < s.queued:
            return "queued", None
        n -= s.queued
        if n < s.throttled:
            return "throttled", None
        n -= s.throttled
        if n < s.running or s.outcome == "hang":
            steps = s.progress or [round((i + 1) / (s.running + 1), 3) for i in range(max(s.running, 1))]
            return "running", steps[min(n, len(steps) - 1)]
        return self._outcome(), None

    def cancel(self) -> None:
        """A cancel call: a task still queued or running ends cancelled now."""
        if self.phase()[0] in ("queued", "throttled", "running"):
            self.cancelled = True
            self.ended_mono = time.monotonic()

    @property
    def ran_seconds(self) -> float | None:
        """How long a cancelled task ran (its start to its end), None when it never started."""
        if self.started_mono is None or self.ended_mono is None:
            return None
        return max(0.0, self.ended_mono - self.started_mono)

    def _outcome(self) -> str:
        return {"fail": "failed", "abort": "aborted", "cancel": "cancelled"}.get(self.script.outcome, "succeeded")

    def _timed_phase(self, run_seconds: float) -> tuple[str, float | None]:
        elapsed = time.time() - self.created_at.timestamp()
        if elapsed < self.script.queued_seconds:
            return "queued", None
        if elapsed < run_seconds or self.script.outcome == "hang":
            return "running", round(min(elapsed / max(run_seconds, 1e-6), 0.99), 3)
        return self._outcome(), None

    @property
    def created_iso(self) -> str:
        """Creation time as the APIs print it."""
        return self.created_at.isoformat().replace("+00:00", "Z")


ErrorBody = Callable[[int, str], Any]


@dataclass
class Delivery:
    """One completion call sent (or tried) to a bot."""

    task_id: str
    url: str
    body: bytes
    headers: dict[str, str]
    status: int | None  # None: no answer (connection refused, reset, timeout)
    tampered: str | None = None
    sent_at: float = 0.0  # wall clock when the (first try of the) call went out


class At:
    """Stands in for the create's request when a call is rendered later (only ``host`` is read)."""

    def __init__(self, host: str):
        self.host = host
        self.path = ""


class ApiState(abc.ABC):
    """Knobs, counters and media shared by one emulated API, and the steps every create and read takes.

    A subclass adds its routes and states only what differs: how a create names its endpoint
    (:meth:`create_endpoint`), what makes a create body unlawful (:meth:`check_create`), where its prompt is
    (:meth:`prompt_of`), the task it makes (:meth:`new_task`) and the create's answer (:meth:`created`)."""

    name = "api"

    def __init__(self, api_key: str, videos: VideoFactory):
        self.api_key = api_key
        self.videos = videos
        self.prefix = ""  # where the API is mounted ("/runway"); set by the server
        self.reset()

    def reset(self) -> None:
        """Forget every task, counter, script and fault."""
        self.tasks: dict[str, Task] = {}
        self.creates: Counter[str] = Counter()
        self.uploads = 0
        self.requests: list[tuple[str, str]] = []
        self.default = Script()
        self.next_scripts: deque[Script] = deque()
        self.rules: list[tuple[str, Script]] = []
        self.poll_faults: deque[Fault] = deque()
        self.create_faults: deque[Fault] = deque()
        self.media: dict[str, tuple[str, int]] = {}  # token -> (task id, n-th link issued)
        self.downloads: Counter[str] = Counter()  # output downloads started (answered or not), by task id
        self.reported: dict[str, float] = {}  # task id -> the final cost figure it reported (credits, predict time)
        self._issued: Counter[str] = Counter()
        self._ids = itertools.count(1)
        self.deliveries: list[Delivery] = []
        self.push_retries = 4  # further tries of a failed delivery
        self.push_backoff = 0.2  # seconds before the first retry, doubling
        for job in getattr(self, "_background", set()):
            job.cancel()
        self._background: set[asyncio.Task[None]] = set()

    @abc.abstractmethod
    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes of this API (relative to its mount prefix)."""

    # --- knobs -------------------------------------------------------------------------------
    def script_next(self, *scripts: Script) -> None:
        """The next created tasks follow these scripts, in order."""
        self.next_scripts.extend(scripts)

    def rule(self, match: str, script: Script) -> None:
        """Tasks whose prompt contains ``match`` follow ``script`` (after any queued next scripts)."""
        self.rules.append((match, script))

    def fail_polls(self, *faults: Fault) -> None:
        """The next task reads (GET) answer with these faults, in order."""
        self.poll_faults.extend(faults)

    def fail_creates(self, *faults: Fault) -> None:
        """The next creates answer with these faults (no task is made)."""
        self.create_faults.extend(faults)

    @property
    def create_count(self) -> int:
        """Creates that reached the server (refused ones included)."""
        return sum(self.creates.values())

    def choose_script(self, prompt: str) -> Script:
        """The script for a new task."""
        if self.next_scripts:
            return self.next_scripts.popleft()
        for match, script in self.rules:
            if match in prompt:
                return script
        return self.default

    def new_id(self) -> str:
        """A fresh, unguessable task id."""
        return f"{next(self._ids):04d}{secrets.token_hex(6)}"

    # --- push ---------------------------------------------------------------------------------
    def start_push(self, request: web.Request, task: Task, url: str) -> None:
        """Run ``task`` by itself and call ``url`` back when it ends (see the module docstring)."""
        task.extra["push_url"] = url
        task.extra["host"] = request.host
        if task.script.outcome == "hang" or task.script.webhook == "hold":
            return
        job = asyncio.create_task(self._finish_and_push(task))
        self._background.add(job)
        job.add_done_callback(self._background.discard)

    async def _finish_and_push(self, task: Task) -> None:
        await asyncio.sleep(task.script.push_after)
        if task.cancelled or task.aborted:
            return
        task.done = True
        task.extra.setdefault("finished_at", time.time())  # "the provider finished" (latency benchmarks)
        await self.send_push(task.id)
        if task.script.webhook == "twice":
            await self.send_push(task.id, again=True)

    async def send_push(
        self, task_id: str, *, tamper: str | None = None, age: float = 0.0, pad: int = 0, again: bool = False
    ) -> int | None:
        """Send the task's completion call now and return the bot's status (retrying 5xx/no answer unless
        tampered).  ``tamper``: "signature" (a wrong one), "body" (changed after signing), "token" (a wrong
        token in the URL); ``age``: signed this many seconds ago; ``pad``: this many extra bytes in the body;
        ``again``: the very same call as the last one sent (a replay, byte for byte)."""
        task = self.tasks[task_id]
        if not (task.done or task.cancelled or task.aborted):  # a call is sent for a task that ended
            task.done = True
            task.extra.setdefault("finished_at", time.time())
        url = str(task.extra["push_url"])
        previous = [d for d in self.deliveries if d.task_id == task_id and d.tampered is None]
        if again and previous:
            body, headers = previous[-1].body, dict(previous[-1].headers)
        else:
            data = self.push_body(At(str(task.extra["host"])), task)
            if pad:
                data["padding"] = "x" * pad
            body = json.dumps(data).encode()
            headers = {"Content-Type": "application/json", **self.push_headers(task, body, int(time.time() - age))}
        if tamper == "signature":
            headers = self.wrong_signature(headers)
        elif tamper == "body":
            body = body.replace(b'"', b"'", 1)
        elif tamper == "token":
            url = _wrong_token(url)
        sent_at = time.time()
        status = await self._post(url, body, headers, retries=0 if tamper else self.push_retries)
        self.deliveries.append(Delivery(task_id, url, body, headers, status, tamper, sent_at))
        return status

    async def _post(self, url: str, body: bytes, headers: dict[str, str], *, retries: int) -> int | None:
        status: int | None = None
        for attempt in range(retries + 1):
            try:
                timeout = aiohttp.ClientTimeout(total=15)
                async with (
                    aiohttp.ClientSession(timeout=timeout) as session,
                    session.post(url, data=body, headers=headers) as resp,
                ):
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError):
                status = None
            if status is not None and status < 500 and status != 429:
                return status
            if attempt < retries:
                await asyncio.sleep(self.push_backoff * 2**attempt)
        return status

    def push_body(self, at: At, task: Task) -> dict[str, Any]:
        """The completion call's JSON (overridden per API)."""
        return {"id": task.id}

    def push_headers(self, task: Task, body: bytes, timestamp: int) -> dict[str, str]:
        """The signature headers (overridden by the APIs that sign)."""
        return {}

    def wrong_signature(self, headers: dict[str, str]) -> dict[str, str]:
        """The headers with a signature that does not verify (overridden by the APIs that sign)."""
        return headers

    # --- the create ---------------------------------------------------------------------------
    bad_json_message = "Invalid JSON"
    not_an_object = (400, "body: expected an object")  # the answer to a JSON body that is not an object

    async def create(self, request: web.Request) -> web.StreamResponse:
        """A create (POST): auth, the count, an injected fault, the JSON body, the API's law, a refusal by
        moderation, then the task is made and recorded (and its push started), held if the script says so,
        and answered."""
        if denied := self.seen(request):
            return denied
        endpoint = self.create_endpoint(request)
        self.creates[endpoint] += 1
        if fault := await self.apply_fault(self.create_faults):
            return fault
        try:
            body = await request.json()
        except ValueError:
            return self.error(400, self.bad_json_message)
        if not isinstance(body, dict):
            return self.error(*self.not_an_object)
        if unlawful := await self.check_create(request, endpoint, body):
            return unlawful
        script = self.choose_script(self.prompt_of(body))
        if script.refuse:
            return self.refusal(script.refuse)
        task = self.new_task(request, endpoint, body, script)
        self.tasks[task.id] = task
        self.started(request, task)
        if script.hang_create:
            await asyncio.sleep(script.hang_create)
        return self.created(request, task)

    @abc.abstractmethod
    def create_endpoint(self, request: web.Request) -> str:
        """The name a create is counted under in ``creates``."""

    async def check_create(self, request: web.Request, endpoint: str, body: dict[str, Any]) -> web.Response | None:
        """The answer refusing an unlawful create body, or None (by default every object is lawful)."""
        return None

    def prompt_of(self, body: dict[str, Any]) -> str:
        """The create's prompt, which ``rule`` matches."""
        return str(body.get("prompt") or "")

    def refusal(self, message: str) -> web.Response:
        """The answer to a create refused by the service's moderation."""
        return self.error(400, message)

    @abc.abstractmethod
    def new_task(self, request: web.Request, endpoint: str, body: dict[str, Any], script: Script) -> Task:
        """The task a lawful create makes."""

    def started(self, request: web.Request, task: Task) -> None:
        """After a task is recorded: start its push if the create asked for one (none by default)."""
        return

    @abc.abstractmethod
    def created(self, request: web.Request, task: Task) -> web.StreamResponse:
        """The create's answer."""

    # --- HTTP helpers --------------------------------------------------------------------------
    def seen(self, request: web.Request) -> web.Response | None:
        """Record a request; the auth refusal, if any."""
        self.requests.append((request.method, request.path))
        return self.auth_error(request)

    def error_body(self, status: int, message: str) -> Any:
        """The API's error JSON (overridden per API)."""
        return {"error": message}

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
        """An error answer in the API's own format."""
        return web.json_response(self.error_body(status, message), status=status, headers=headers)

    def auth_error(self, request: web.Request) -> web.Response | None:
        """401 unless the request carries ``Authorization: Bearer <key>``."""
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return self.error(401, self.bad_key_message)
        return None

    bad_key_message = "Invalid API key."

    async def apply_fault(self, queue: deque[Fault]) -> web.StreamResponse | None:
        """Answer with the next queued fault, if any (a hang delays, then lets the request through)."""
        if not queue:
            return None
        fault = queue.popleft()
        if fault.kind == "hang":
            await asyncio.sleep(fault.seconds)
            return None
        if fault.kind == "malformed":
            return web.Response(text='{"id": "oops", "status": ', content_type="application/json")
        if fault.kind == "reset":
            raise ConnectionResetError("injected reset")  # handled by the middleware below
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else None
        body = fault.body if fault.body is not None else self.error_body(fault.status, _reason(fault.status))
        return web.json_response(body, status=fault.status, headers=headers)

    async def task_for(self, request: web.Request, missing: str, *, faults: bool = False) -> Task | web.StreamResponse:
        """The task a request names (``{id}``), or the answer instead: auth, an injected read fault (with
        ``faults``), 404 with ``missing`` for an id this API never made (or has deleted)."""
        if denied := self.seen(request):
            return denied
        if faults and (fault := await self.apply_fault(self.poll_faults)):
            return fault
        task = self.tasks.get(request.match_info["id"])
        return self.error(404, missing) if task is None else task

    async def answer_poll(
        self, request: web.Request, render: Callable[[web.Request, Task], Any], missing: str
    ) -> web.StreamResponse:
        """One status GET: auth, an injected fault, else the task's JSON (then its script advances)."""
        task = await self.task_for(request, missing, faults=True)
        if not isinstance(task, Task):
            return task
        body = render(request, task)
        task.polls += 1
        task.poll_times.append(time.time())
        return web.json_response(body)

    def media_url(self, request: web.Request, task: Task) -> str:
        """A fresh presigned-style link to the task's video (each call signs a new one)."""
        token = secrets.token_urlsafe(12)
        self._issued[task.id] += 1
        self.media[token] = (task.id, self._issued[task.id])
        return f"http://{request.host}{self.prefix}/_media/{token}.{self.output_ext(task)}"

    # --- what a task makes ------------------------------------------------------------------------------------
    def sounding(self, task: Task) -> bool:
        """Whether the task's video is made with sound (per API: the model's own audio field)."""
        return False

    def output_ext(self, task: Task) -> str:
        """The output link's file extension (sound-only tasks answer with an audio file)."""
        return "mp4"

    async def output(self, task: Task) -> tuple[bytes, str]:
        """The task's output and its content type: a clip, with an AAC track as long as the picture when the
        task asked for sound."""
        seconds = task.script.output_seconds or task.seconds
        if self.sounding(task):
            return await self.videos.sound_clip(seconds), "video/mp4"
        return await self.videos.clip(seconds), "video/mp4"

    async def serve_media(self, request: web.Request) -> web.StreamResponse:
        """The output video, misbehaving as the task's script says."""
        token = request.match_info["token"]
        if token not in self.media or self.media[token][0] not in self.tasks:
            return web.Response(status=404, text="NoSuchKey")
        task_id, nth = self.media[token]
        task = self.tasks[task_id]
        self.downloads[task_id] += 1
        if task.script.output_delay:  # a slow storage: the download stays in flight for a while
            await asyncio.sleep(task.script.output_delay)
        mode = task.script.output
        if mode == "404":
            return web.Response(status=404, text="<Error><Code>NoSuchKey</Code></Error>", content_type="text/xml")
        if mode == "expire_first" and nth == 1:
            return web.Response(status=403, text="<Error><Code>AccessDenied</Code></Error>", content_type="text/xml")
        if mode == "html":
            return web.Response(body=HTML_PAGE, content_type="text/html")
        ctype = "video/mp4"
        if mode == "big":
            data = await self.videos.big_clip()
        else:
            data, ctype = await self.output(task)
        if mode == "text":
            return web.Response(body=b"not a video at all " * 10, content_type="application/octet-stream")
        if mode == "reset":
            raise ConnectionResetError("injected reset")
        resp = web.StreamResponse(headers={"Content-Type": ctype})
        if mode != "chunked":
            resp.content_length = len(data)
        await resp.prepare(request)
        if mode == "truncated":
            await resp.write(data[: len(data) // 2])
            await asyncio.sleep(0.05)
            if request.transport is not None:
                request.transport.close()
            return resp
        for start in range(0, len(data), 16384):
            await resp.write(data[start : start + 16384])
        await resp.write_eof()
        return resp


def _wrong_token(url: str) -> str:
    """``url`` with the last path segment before any query (the bot's per-job token) changed."""
    path, sep, query = url.partition("?")
    head, _, token = path.rpartition("/")
    flipped = ("A" if token[:1] != "A" else "B") + token[1:]
    return f"{head}/{flipped}{sep}{query}"


def _reason(status: int) -> str:
    return {
        429: "Too many requests.",
        500: "Internal server error.",
        502: "Bad gateway.",
        503: "Service unavailable.",
        504: "Gateway timeout.",
    }.get(status, f"HTTP {status}")


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def reset_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn an injected ConnectionResetError into a dropped connection (no HTTP answer at all)."""
    try:
        return await handler(request)
    except ConnectionResetError:
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError from None
