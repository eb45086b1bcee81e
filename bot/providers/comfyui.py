"""ComfyUI as a provider: your own GPU (or a pool of them) running open video models.

A model is a workflow (:mod:`bot.providers._comfy_workflows`).  The protocol is upstream ComfyUI's (server.py,
execution.py; see ``emulators/comfyui/server.py`` for what was read and when):

- The job picks its own ``prompt_id`` (derived from this installation's id, the job and the model, so a restarted
  process finds the same one) and keeps the ``client_id`` of its worker, and saves both with the built workflow
  and the chosen server in ``<media>/comfyui/tasks/<prompt_id>.json`` *before* ``POST /prompt``.  ComfyUI runs a
  prompt again when it is posted again, so the id alone protects nothing: every submit first looks the id up in
  ``/queue`` (running and pending) and ``/history/{id}`` and posts only an id the server has never seen.
- Inputs go up through ``POST /upload/image`` under a name derived from the prompt id (``overwrite``).
- Progress comes from the websocket (``/ws?clientId=``, which only the queuing client hears): "sampling 12/30";
  the place in line from ``/queue`` (its pending list is not in order: sorted by number).
- Cancel deletes a pending prompt (``POST /queue {"delete": [id]}``) or interrupts *that* prompt
  (``POST /interrupt {"prompt_id": id}``), and only when ``/queue`` shows it running: an older ComfyUI ignores
  the id and stops whatever runs.
- Results come from ``/history/{id}`` (written just after ``execution_success``: until then the prompt is
  neither in the queue nor in the history, and the poll says "running") and are fetched through ``/view``.  An
  ``execution_error`` logs the node and exception for the owner and gives the member a short reason.
- Cost: ``VIDEOBOT_COMFYUI_USD_PER_GPU_SECOND`` × the time between the ``execution_start`` and
  ``execution_success`` timestamps in the history's status messages ($0 by default).

The pool: ``COMFYUI_URL`` may list several servers.  A job goes to the least busy healthy one; a server that stops
answering opens its breaker (``VIDEOBOT_BREAKER_THRESHOLD`` failures in a row, closed again after
``VIDEOBOT_BREAKER_COOLDOWN_SECONDS``).  A prompt that a server answers it has never seen (it was restarted, losing
its queue: the prompt never ran to the end there) is posted again, to the least busy healthy server — only after
that server's ``/history`` said it does not have it, so nothing runs twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import tempfile
import time
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.errors import (
    InvalidOption,
    OutputTooLarge,
    ProviderAuthError,
    ProviderRejected,
    ProviderTaskFailed,
    ProviderUnavailable,
)
from bot.media import Media
from bot.providers._comfy_workflows import COMFY_MAX_SEED, MEDIA_ROLES, Workflow
from bot.providers._common import job_seed
from bot.providers.base import GenerationRequest, ModelInfo, ProviderCost, TaskState, TaskStatus

log = logging.getLogger(__name__)

NAME = "comfyui"
_NAMESPACE = uuid.UUID("5d0c1f2e-8a43-4c7e-9a55-0c6f3b1d7e21")
_VIDEO_SUFFIXES = (".mp4", ".webm", ".webp", ".gif", ".mov", ".mkv")


@dataclass
class Server:
    """One ComfyUI server of the pool, with its breaker and what its websocket told us."""

    url: str
    failures: int = 0
    open_until: float = 0.0
    progress: dict[str, tuple[int, int]] = field(default_factory=dict)  # prompt id → (value, max)
    listener: asyncio.Task[None] | None = None

    def healthy(self, now: float) -> bool:
        """Whether new jobs may go here (its breaker is closed)."""
        return now >= self.open_until


@dataclass(frozen=True)
class Where:
    """Where a prompt is on a server: running, pending (with its place), done (its history entry) or nowhere."""

    kind: str  # "running" | "pending" | "history" | "unknown"
    position: int = 0
    entry: Mapping[str, Any] | None = None


class ComfyUIProvider:
    """Implements :class:`bot.providers.base.VideoProvider` over one or more ComfyUI servers."""

    name = NAME
    poll_interval = 1.0  # a server on your own network: polling is cheap, and progress shows sooner
    poll_max_interval = 5.0

    def __init__(
        self,
        urls: Sequence[str],
        workflows: Mapping[str, Workflow],
        work_dir: Path,
        *,
        headers: Mapping[str, str] | None = None,
        media: Media | None = None,
        worker_id: str = "main",
        usd_per_gpu_second: float = 0.0,
        breaker_threshold: int = 3,
        breaker_cooldown: float = 300.0,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        if not urls:
            raise InvalidOption("COMFYUI_URL names no server.")
        self.servers = [Server(u.rstrip("/")) for u in urls]
        self.workflows = dict(workflows)
        self.work_dir = Path(work_dir)
        (self.work_dir / "tasks").mkdir(parents=True, exist_ok=True)
        self.headers = dict(headers or {})
        self.media = media or Media()
        self.usd_per_gpu_second = usd_per_gpu_second
        self.breaker_threshold = breaker_threshold
        self.breaker_cooldown = breaker_cooldown
        self.timeout = timeout
        self.clock = clock
        self.installation = self._installation_id()
        self.client_id = uuid.uuid5(_NAMESPACE, f"{self.installation}/client/{worker_id}").hex
        self._session: aiohttp.ClientSession | None = None
        self._closing = False  # aclose(): the websocket loops end even if a cancel is swallowed on the way
        self._assigned: dict[str, str] = {}  # prompt id → server url, for the tasks this process follows

    # --- identity and saved state ----------------------------------------------------------------------------
    def _installation_id(self) -> str:
        path = self.work_dir / "installation.id"
        with contextlib.suppress(FileNotFoundError):
            return path.read_text(encoding="utf-8").strip()
        _write_atomic(path, uuid.uuid4().hex)
        return path.read_text(encoding="utf-8").strip()

    def prompt_id(self, request: GenerationRequest) -> str:
        """The prompt id of a job on a model (the same after a restart)."""
        return str(uuid.uuid5(_NAMESPACE, f"{self.installation}/{request.job_id}/{request.model}"))

    def _state_path(self, prompt_id: str) -> Path:
        return self.work_dir / "tasks" / f"{uuid.UUID(prompt_id)}.json"

    def _load(self, prompt_id: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._state_path(prompt_id).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _save(self, prompt_id: str, state: Mapping[str, Any]) -> None:
        _write_atomic(self._state_path(prompt_id), json.dumps(state, sort_keys=True))

    # --- the provider interface --------------------------------------------------------------------------------
    def models(self) -> Sequence[ModelInfo]:
        """One model per workflow."""
        return [w.info for w in self.workflows.values()]

    def workflow(self, model: str) -> Workflow:
        """The workflow behind a model name."""
        found = self.workflows.get(model)
        if found is None:
            raise InvalidOption(f"This bot has no ComfyUI workflow {model[:60]!r}.")
        return found

    async def submit(self, request: GenerationRequest) -> str:
        """Post the job's prompt, unless a server already has it (then its id is the task)."""
        workflow = self.workflow(request.model)
        workflow.info.validate(request)
        prompt_id = self.prompt_id(request)
        state = self._load(prompt_id)
        if state is not None:
            server = self._server(state.get("server"))
            if server is not None and (await self._where(server, prompt_id)).kind != "unknown":
                self._assigned[prompt_id] = server.url
                return prompt_id
        tried: set[str] = set()
        while True:  # a server that refuses the connection certainly got nothing: the next one may take it
            server = self._pick(avoid=tried, strict=bool(tried))
            try:
                await self._post_new(request, workflow, prompt_id, server)
                return prompt_id
            except _Unreachable:
                tried.add(server.url)
                if len(tried) >= len(self.servers):
                    raise

    async def _post_new(self, request: GenerationRequest, workflow: Workflow, prompt_id: str, server: Server) -> None:
        """Upload the inputs, save the prompt (id, client id, server, workflow), then post it."""
        media = {role: str(getattr(request, role)) for role in MEDIA_ROLES if getattr(request, role) is not None}
        uploads = await self._upload_all(server, prompt_id, media)
        seed = job_seed(request.job_id) % (COMFY_MAX_SEED + 1)
        graph = workflow.build(request, seed=seed, uploads=uploads)
        state = {
            "prompt_id": prompt_id,
            "client_id": self.client_id,
            "server": server.url,
            "model": request.model,
            "job_id": request.job_id,
            "media": media,
            "fps": workflow.fps,
            "graph": graph,
        }
        self._save(prompt_id, state)  # before the POST: a crash after it finds the prompt by this id
        await self._post_prompt(server, prompt_id, graph)

    async def find_task(self, request: GenerationRequest) -> str | None:
        """The job's prompt id if a server has it queued, running or in its history; None when none has it."""
        prompt_id = self.prompt_id(request)
        state = self._load(prompt_id)
        first = self._server(state.get("server")) if state else None
        for server in [first] if first is not None else self.servers:
            if (await self._where(server, prompt_id)).kind != "unknown":
                self._assigned[prompt_id] = server.url
                return prompt_id
        return None

    async def poll(self, task_id: str) -> TaskStatus:
        """Where the prompt is: queued (place in line), running (sampling step), or done (history)."""
        state = self._valid_state(task_id)
        if state is None:
            return TaskStatus(TaskState.FAILED, error="Unknown task.", error_code="unknown_task")
        server = await self._home(task_id, state)
        if server is None:
            return TaskStatus(
                TaskState.FAILED,
                error="The GPU server this job was sent to is no longer configured, so it was not sent again.",
                error_code="server_gone",
            )
        self._assigned[task_id] = server.url
        self._listen(server)
        where = await self._where(server, task_id)
        if where.kind == "history" and where.entry is not None:
            status = self._from_history(server, task_id, where.entry)
            if status.state.terminal:
                self._assigned.pop(task_id, None)
                server.progress.pop(task_id, None)
            return status
        if where.kind == "pending":
            return TaskStatus(TaskState.PENDING, progress=0.0, queue_position=where.position)
        if where.kind == "running":
            value, top = server.progress.get(task_id, (0, 0))
            if top:
                return TaskStatus(TaskState.RUNNING, progress=0.95 * value / top, stage=f"sampling {value}/{top}")
            return TaskStatus(TaskState.RUNNING, progress=0.0)
        # Neither queued nor in the history: the server lost it (restarted) before it finished.  Its history
        # was just checked, so posting it again (anywhere) cannot make it run twice.
        if "graph" not in state:  # known to this process only by its id (saved elsewhere): nothing to post
            return TaskStatus(
                TaskState.FAILED, error="The GPU server lost this job.", error_code="lost", provider_fault=True
            )
        await self._move(task_id, state, server)
        return TaskStatus(TaskState.PENDING, progress=0.0)

    async def cancel(self, task_id: str) -> None:
        """Delete the prompt while it waits, interrupt it (only it) while it runs; nothing once it is done."""
        state = self._valid_state(task_id)
        if state is None:
            return
        server = await self._home(task_id, state)
        if server is None:
            return
        for _ in range(2):  # a prompt that started between the look and the delete is looked at once more
            where = await self._where(server, task_id)
            if where.kind == "pending":
                await self._request(server, "POST", "/queue", json={"delete": [task_id]})
            elif where.kind == "running":
                await self._request(server, "POST", "/interrupt", json={"prompt_id": task_id})
                break
            else:
                break
        self._assigned.pop(task_id, None)

    async def fetch_result(self, task_id: str, status: TaskStatus, dest: Path, max_bytes: int) -> Path:
        """Stream the output through ``/view`` to ``dest`` (atomically, capped at ``max_bytes``); an animated
        WEBP or GIF (SaveAnimatedWEBP) becomes an H.264 MP4 at the workflow's frame rate."""
        url = status.output_url
        if not url or not any(url.startswith(s.url + "/view?") for s in self.servers):
            raise ProviderTaskFailed("ComfyUI gave no video for this job.", provider=NAME)
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.tmp")
        session = await self._client()
        try:
            async with session.get(url, headers=self.headers) as resp:
                if resp.status != 200:
                    raise ProviderUnavailable(detail=f"GET /view: HTTP {resp.status}", provider=NAME)
                size = 0
                with tmp.open("wb") as out:
                    async for chunk in resp.content.iter_chunked(1 << 16):
                        size += len(chunk)
                        if size > max_bytes:
                            raise OutputTooLarge(detail=f"{task_id}: over {max_bytes} bytes")
                        out.write(chunk)
            with tmp.open("rb") as fh:
                head = fh.read(12)
            if (head[:4] == b"RIFF" and head[8:12] == b"WEBP") or head[:4] == b"GIF8":
                state = self._load(task_id) or {}
                await self._animation_to_mp4(tmp, dest, float(state.get("fps") or 24))
            else:
                os.replace(tmp, dest)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ProviderUnavailable(detail=f"GET /view: {type(exc).__name__}: {exc}", provider=NAME) from exc
        finally:
            tmp.unlink(missing_ok=True)
        return dest

    async def _animation_to_mp4(self, animation: Path, dest: Path, fps: float) -> None:
        """Each frame of an animated image (read by Pillow) into an MP4 made by the bot's own encoder."""
        with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".comfy-frames-") as folder:
            frames = await asyncio.to_thread(_split_frames, animation, Path(folder))
            if not frames:
                raise ProviderTaskFailed("ComfyUI's animation had no frames.", provider=NAME)
            await self.media.frames_to_video(frames, dest, fps)

    async def aclose(self) -> None:
        """Stop the websockets and close the HTTP session.  The loops are told to end as well as cancelled, and
        the session (so any open websocket) is closed before they are awaited: a cancel swallowed inside a
        connect (see Worker.stop) then still ends them."""
        self._closing = True
        listeners = [s.listener for s in self.servers if s.listener is not None]
        for task in listeners:
            task.cancel()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if listeners:
            await asyncio.wait(listeners)
        for server in self.servers:
            server.listener = None

    # --- the pool ------------------------------------------------------------------------------------------------
    def _server(self, url: object) -> Server | None:
        return next((s for s in self.servers if s.url == url), None)

    def busy(self, server: Server) -> int:
        """How many of this process's unfinished prompts are on ``server``."""
        return sum(1 for url in self._assigned.values() if url == server.url)

    def _pick(self, avoid: Collection[str] = (), *, strict: bool = False) -> Server:
        """The least busy healthy server not in ``avoid`` (the pool's order breaks ties); an avoided one when no
        other is healthy, unless ``strict``; ProviderUnavailable when none is."""
        now = self.clock()
        healthy = [s for s in self.servers if s.healthy(now)]
        others = [s for s in healthy if s.url not in avoid] or ([] if strict else healthy)
        if not others:
            raise ProviderUnavailable(detail="no ComfyUI server is answering (every breaker is open)", provider=NAME)
        return min(others, key=lambda s: (self.busy(s), self.servers.index(s)))

    def _failed(self, server: Server) -> None:
        server.failures += 1
        if server.failures >= self.breaker_threshold:
            server.open_until = self.clock() + self.breaker_cooldown
            log.warning(
                "comfyui: %s stopped answering; no new jobs go there for %.0f s", server.url, self.breaker_cooldown
            )

    def _answered(self, server: Server) -> None:
        server.failures = 0
        server.open_until = 0.0

    async def _move(self, prompt_id: str, state: dict[str, Any], lost_on: Server) -> None:
        """Post a prompt its server lost again, to the least busy healthy server (``lost_on`` only if alone)."""
        target = self._pick(avoid={lost_on.url})
        log.warning(
            "comfyui: %s lost prompt %s (job %s); posting it to %s",
            lost_on.url,
            prompt_id,
            state.get("job_id"),
            target.url,
        )
        await self._upload_all(target, prompt_id, dict(state.get("media") or {}))
        self._save(prompt_id, {**state, "server": target.url})
        self._assigned[prompt_id] = target.url
        await self._post_prompt(target, prompt_id, state["graph"])

    # --- HTTP ----------------------------------------------------------------------------------------------------
    async def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def _request(self, server: Server, method: str, path: str, **kw: Any) -> Any:
        """One call; JSON answer (or None); errors mapped, the server's breaker counted."""
        session = await self._client()
        try:
            async with session.request(method, server.url + path, headers=self.headers, **kw) as resp:
                text = await resp.text()
                status = resp.status
        except aiohttp.ClientConnectorError as exc:  # the connection was refused: the request never arrived
            self._failed(server)
            raise _Unreachable(
                "The GPU server is not answering right now.",
                detail=f"{server.url}{path}: {type(exc).__name__}: {exc}",
                provider=NAME,
            ) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            self._failed(server)
            raise ProviderUnavailable(
                "The GPU server is not answering right now.",
                detail=f"{server.url}{path}: {type(exc).__name__}: {exc}",
                provider=NAME,
            ) from exc
        if status in (401, 403):
            raise ProviderAuthError(detail=f"{server.url}{path}: HTTP {status} (check COMFYUI_HEADERS)", provider=NAME)
        if status >= 500:
            self._failed(server)
            raise ProviderUnavailable(detail=f"{server.url}{path}: HTTP {status}", provider=NAME)
        self._answered(server)
        if status >= 400:
            return _Refused(status, text)
        try:
            return json.loads(text) if text else None
        except ValueError:
            return None

    async def _where(self, server: Server, prompt_id: str) -> Where:
        """Look the prompt up in ``/queue``, then ``/history/{id}`` (a prompt leaves the queue as it enters the
        history, so one that is in neither after these two reads is unknown to the server)."""
        queue = await self._request(server, "GET", "/queue")
        if isinstance(queue, dict):
            if any(_item_id(i) == prompt_id for i in queue.get("queue_running") or []):
                return Where("running")
            pending = sorted((i for i in queue.get("queue_pending") or [] if _item_id(i)), key=_item_number)
            for place, item in enumerate(pending, start=1):
                if _item_id(item) == prompt_id:
                    return Where("pending", position=place)
        history = await self._request(server, "GET", f"/history/{prompt_id}")
        if isinstance(history, dict) and isinstance(history.get(prompt_id), dict):
            return Where("history", entry=history[prompt_id])
        return Where("unknown")

    async def _upload_all(self, server: Server, prompt_id: str, media: Mapping[str, str]) -> dict[str, str]:
        """Upload each input file under a name derived from the prompt id; the names ComfyUI gave them."""
        names: dict[str, str] = {}
        for role, path in media.items():
            data = await asyncio.to_thread(Path(path).read_bytes)
            form = aiohttp.FormData()
            suffix = Path(path).suffix.lower() or ".png"
            form.add_field("image", data, filename=f"videobot-{prompt_id}-{role}{suffix}")
            form.add_field("type", "input")
            form.add_field("overwrite", "true")
            answer = await self._request(server, "POST", "/upload/image", data=form)
            if not isinstance(answer, dict) or "name" not in answer:
                raise ProviderRejected(
                    "The GPU server refused the uploaded image.", detail=str(answer)[:300], provider=NAME
                )
            sub = str(answer.get("subfolder") or "")
            names[role] = f"{sub}/{answer['name']}" if sub else str(answer["name"])
        return names

    async def _post_prompt(self, server: Server, prompt_id: str, graph: Mapping[str, Any]) -> None:
        self._listen(server)
        body = {"prompt": graph, "client_id": self.client_id, "prompt_id": prompt_id}
        answer = await self._request(server, "POST", "/prompt", json=body)
        if isinstance(answer, _Refused):
            error, node_errors = answer.parts()
            log.warning("comfyui: %s refused prompt %s: %s %s", server.url, prompt_id, error, node_errors)
            raise ProviderRejected(
                f"The GPU server cannot run this workflow ({_short(error)}). The bot owner can run "
                "`videobot comfyui check` to see what is missing.",
                detail=f"{error} {node_errors}"[:500],
                provider=NAME,
            )
        if isinstance(answer, dict) and answer.get("node_errors"):  # a 200 that left some outputs out
            log.warning("comfyui: prompt %s queued with node errors: %s", prompt_id, answer["node_errors"])
        self._assigned[prompt_id] = server.url

    # --- results -------------------------------------------------------------------------------------------------
    def _from_history(self, server: Server, prompt_id: str, entry: Mapping[str, Any]) -> TaskStatus:
        status = entry.get("status") or {}
        messages = [m for m in status.get("messages") or [] if isinstance(m, list) and len(m) == 2]
        events = {event: data for event, data in messages if isinstance(data, dict)}
        cost = self._cost(events)
        if "execution_interrupted" in events:
            return TaskStatus(TaskState.CANCELLED, error="The job was stopped on the GPU server.", cost=cost)
        if "execution_error" in events or status.get("status_str") == "error":
            error = events.get("execution_error", {})
            node, node_type = error.get("node_id", "?"), error.get("node_type", "?")
            exception = str(error.get("exception_message", "")).strip()
            log.warning(
                "comfyui: prompt %s failed at node %s (%s): %s: %s",
                prompt_id,
                node,
                node_type,
                error.get("exception_type", ""),
                exception,
            )
            return TaskStatus(
                TaskState.FAILED,
                error=f"The GPU server failed at its {node_type} step: {_short(exception) or 'no reason given'}.",
                error_code=f"execution_error:{node_type}",
                provider_fault=True,
                cost=cost,
            )
        if not status.get("completed", status.get("status_str") == "success"):
            return TaskStatus(TaskState.RUNNING, progress=0.99)
        for output in (entry.get("outputs") or {}).values():
            for key in ("images", "gifs", "videos"):
                for file in output.get(key) or []:
                    name = str(file.get("filename", ""))
                    if name.lower().endswith(_VIDEO_SUFFIXES):
                        query = urlencode(
                            {
                                "filename": name,
                                "subfolder": file.get("subfolder", ""),
                                "type": file.get("type", "output"),
                            }
                        )
                        return TaskStatus(
                            TaskState.SUCCEEDED, progress=1.0, output_url=f"{server.url}/view?{query}", cost=cost
                        )
        return TaskStatus(TaskState.FAILED, error="The workflow finished without a video.", error_code="no_video")

    def _cost(self, events: Mapping[str, Mapping[str, Any]]) -> ProviderCost | None:
        """GPU seconds between execution_start and the end (success, error or interrupt), priced per second."""
        start = events.get("execution_start", {}).get("timestamp")
        end = next(
            (
                events[e].get("timestamp")
                for e in ("execution_success", "execution_error", "execution_interrupted")
                if e in events
            ),
            None,
        )
        if not isinstance(start, (int, float)) or not isinstance(end, (int, float)):
            return None
        seconds = max(0.0, (end - start) / 1000)
        return ProviderCost(round(seconds, 3), "gpu_seconds", usd=round(seconds * self.usd_per_gpu_second, 6))

    def _valid_state(self, task_id: str) -> dict[str, Any] | None:
        """The saved state of a prompt id; ``{}`` for an id saved by another host (its server is looked for)."""
        try:
            uuid.UUID(task_id)
        except ValueError:
            return None
        return self._load(task_id) or {}

    async def _home(self, task_id: str, state: Mapping[str, Any]) -> Server | None:
        """The server the prompt was posted to: the saved one, else the configured server that knows the id."""
        saved = self._server(state.get("server"))
        if saved is not None:
            return saved
        for server in self.servers:
            with contextlib.suppress(ProviderUnavailable):
                if (await self._where(server, task_id)).kind != "unknown":
                    return server
        return None

    # --- the websocket -------------------------------------------------------------------------------------------
    def _listen(self, server: Server) -> None:
        """Keep a websocket open to ``server`` as this worker's client id (progress goes only to it)."""
        if server.listener is None or server.listener.done():
            self._closing = False  # (used again after an aclose)
            server.listener = asyncio.create_task(self._listen_loop(server), name=f"comfyui-ws {server.url}")

    async def _listen_loop(self, server: Server) -> None:
        url = server.url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        url += f"/ws?clientId={self.client_id}"
        backoff = 1.0
        while not self._closing:
            try:
                session = await self._client()
                async with session.ws_connect(url, headers=self.headers, heartbeat=30) as ws:
                    backoff = 1.0
                    async for msg in ws:
                        if msg.type == aiohttp.WSMsgType.TEXT:
                            self._on_message(server, msg.data)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a server that is down or restarting: try again shortly
                log.debug("comfyui: websocket to %s: %s", server.url, exc)
            if self._closing:
                break
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 10.0)

    def _on_message(self, server: Server, text: str) -> None:
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            message = json.loads(text)
            kind, data = message.get("type"), message.get("data") or {}
            prompt_id = data.get("prompt_id")
            if kind == "progress" and prompt_id:
                server.progress[prompt_id] = (int(data["value"]), int(data["max"]))
            elif kind == "execution_start" and prompt_id:
                server.progress[prompt_id] = (0, 0)


class _Unreachable(ProviderUnavailable):
    """A server refused the connection: the request certainly did not arrive."""


class _Refused:
    """A 4xx answer (``/prompt``'s validation errors)."""

    def __init__(self, status: int, text: str):
        self.status = status
        self.text = text

    def parts(self) -> tuple[str, Any]:
        """(the error's message and details, node_errors)."""
        try:
            data = json.loads(self.text)
        except ValueError:
            return f"HTTP {self.status}", {}
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            text = str(error.get("message", "")) + (f": {error['details']}" if error.get("details") else "")
        else:
            text = str(error or f"HTTP {self.status}")
        return text, data.get("node_errors", {}) if isinstance(data, dict) else {}


def _item_id(item: Any) -> str | None:
    return str(item[1]) if isinstance(item, list) and len(item) > 1 else None


def _item_number(item: Any) -> float:
    try:
        return float(item[0])
    except (TypeError, ValueError, IndexError):
        return 0.0


def _short(text: str, limit: int = 140) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _split_frames(animation: Path, folder: Path, limit: int = 2000) -> list[Path]:
    """The frames of an animated WEBP/GIF as PNG files (at most ``limit``)."""
    from PIL import Image, ImageSequence

    frames: list[Path] = []
    with Image.open(animation, formats=["WEBP", "GIF"]) as image:
        for index, frame in enumerate(ImageSequence.Iterator(image)):
            if index >= limit:
                break
            path = folder / f"{index:05}.png"
            frame.convert("RGB").save(path)
            frames.append(path)
    return frames


async def check_servers(
    urls: Sequence[str], workflows: Mapping[str, Workflow], headers: Mapping[str, str] | None = None
) -> tuple[list[str], bool]:
    """``videobot comfyui check``: each server's ``/object_info`` against every workflow (node classes, input
    names, model files).  Returns the lines to print and whether everything can run everywhere."""
    from bot.providers._comfy_workflows import missing_parts

    lines: list[str] = []
    ok = True
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for url in urls:
            base = url.rstrip("/")
            try:
                async with session.get(f"{base}/object_info", headers=dict(headers or {})) as resp:
                    if resp.status != 200:
                        raise ValueError(f"it answered HTTP {resp.status}")
                    info = await resp.json()
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                lines.append(f"{base}: could not read /object_info ({exc}). Is ComfyUI running there?")
                ok = False
                continue
            lines.append(f"{base}: {len(info)} node classes")
            for name, workflow in sorted(workflows.items()):
                problems = missing_parts(workflow, info)
                if not problems:
                    lines.append(f"  {name}: ready")
                    continue
                ok = False
                lines.append(f"  {name}: cannot run yet ({len(problems)} thing(s) missing)")
                lines.extend(f"    - {problem}" for problem in problems)
    return lines, ok
