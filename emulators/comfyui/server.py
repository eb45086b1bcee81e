"""An emulated ComfyUI server on 127.0.0.1: upstream's HTTP routes and websocket messages, workflows checked
against its own ``/object_info`` and executed with real ffmpeg.

Read from upstream (github.com/comfyanonymous/ComfyUI, read 2026-12-06): ``server.py`` at commit 005f3ba4 for the
routes (``/prompt``, ``/queue``, ``/history``, ``/interrupt``, ``/upload/image``, ``/view``, ``/object_info``,
``/ws``) and the newer ``post_prompt`` (a client-chosen ``prompt_id``: ``json_data.get("prompt_id")``, posted twice
it is queued and run twice) and ``post_interrupt`` (with a ``prompt_id`` it interrupts only when that prompt is the
one running, since Comfy-Org/ComfyUI#9607, merged 2025-08-28; without, whatever runs); ``execution.py``
(``PromptExecutor.execute``/``add_message``, ``PromptQueue.get_current_queue``/``task_done``) for the messages and
the history entry. What it follows:

- ``POST /prompt`` ``{"prompt", "client_id", "prompt_id"?, "number"?, "front"?}`` → ``{"prompt_id", "number",
  "node_errors"}`` (200, possibly with node errors for outputs left out) or ``{"error", "node_errors"}`` (400).
- ``GET /queue`` → ``{"queue_running": [item], "queue_pending": [items]}`` with items ``[number, prompt_id, prompt,
  extra_data, outputs_to_execute]``; the pending list is the heap as it lies, *not* sorted.
- ``GET /history/{id}`` → ``{}`` or ``{id: {"prompt": item, "outputs": {node: ui}, "status": {"status_str",
  "completed", "messages": [[event, data], …]}, "meta": {…}}}``, written just *after* ``execution_success`` is
  sent (as ``task_done`` runs after the executor returns).  A video is listed under ``images`` with
  ``animated: [true]`` (upstream's SaveVideo and SaveAnimatedWEBP).
- ``POST /queue {"delete": [ids]}`` / ``{"clear": true}``; ``POST /interrupt`` (see above).
- ``POST /upload/image`` (multipart ``image``, ``subfolder``, ``type``, ``overwrite``): renames a different file
  that has the same name to ``name (1).png``; ``GET /view?filename&subfolder&type``.
- ``/ws?clientId=``: ``status`` on connect and on queue changes (to all); ``execution_start``,
  ``execution_cached``, ``executing``, ``progress`` (value/max), ``executed``, ``execution_success``,
  ``execution_error``, ``execution_interrupted`` go to the ``client_id`` that queued the prompt only.  The
  status messages (``execution_*``) carry a ``timestamp`` in milliseconds and are kept in the history.

Test knobs (attributes): ``step_seconds`` (sleep per sampler step: slow); ``hold`` (an Event the sampler waits for
before its first step, or after step ``hold_at``: a deterministic "running"); ``hold_queue`` (an Event the worker
waits for before it takes the next prompt: a deterministic "queued"); ``fail_node`` (``(node_id, message)``: that
node raises, giving an ``execution_error``); ``die_at_step`` (the server drops dead at that sampler step, losing its
queue and history as a killed ComfyUI does; :meth:`start` brings it back empty on the same port); ``models`` (the
model files listed by ``/object_info``); ``answer_delay`` (``POST /prompt`` queues the prompt, then holds its
answer). ``require_headers`` (an authenticating proxy in front: 401 without them). ``GET /_control/records`` (not a
ComfyUI route) shows the records to another process. Records: ``posted`` (every accepted prompt body),
``executions`` (prompt ids in the order they started), ``completed`` (those that succeeded), ``interrupts``
(``/interrupt`` bodies), ``deleted``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import heapq
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from emulators.comfyui.nodes import DEFAULT_MODELS, MODEL_INPUTS, SAMPLER_NODES, object_info
from emulators.comfyui.render import Clip, render
from emulators.comfyui.validate import validate_prompt

HOST = "127.0.0.1"
Item = tuple[float, str, dict[str, Any], dict[str, Any], list[str]]


class Interrupted(Exception):
    """``/interrupt`` reached the running prompt."""


class NodeFailed(Exception):
    """A node raised (the ``fail_node`` knob)."""


class ComfyEmulator:
    """Start with ``await emu.start()``; ``emu.url`` is what ``COMFYUI_URL`` gets."""

    def __init__(self, root: Path, *, port: int = 0):
        self.root = Path(root)
        self.dirs = {kind: self.root / kind for kind in ("input", "output", "temp")}
        for folder in self.dirs.values():
            folder.mkdir(parents=True, exist_ok=True)
        self.models: dict[str, list[str]] = copy.deepcopy(DEFAULT_MODELS)
        self.step_seconds = 0.0
        self.hold: asyncio.Event | None = None
        self.hold_at = 0  # the sampler step after which ``hold`` is awaited (0: before the first)
        self.hold_queue: asyncio.Event | None = None
        self.fail_node: tuple[str, str] | None = None
        self.die_at_step: int | None = None
        self.require_headers: dict[str, str] = {}  # a proxy in front of ComfyUI: 401 without these headers
        self.answer_delay = 0.0  # seconds POST /prompt holds its answer after queuing (a client killed meanwhile)
        self.posted: list[dict[str, Any]] = []
        self.executions: list[str] = []
        self.interrupts: list[dict[str, Any]] = []
        self.deleted: list[str] = []
        self.completed: list[str] = []
        self.port = port
        self._runner: web.AppRunner | None = None
        self._worker: asyncio.Task[None] | None = None
        self._reset_state()

    def _reset_state(self) -> None:
        self.queue: list[Item] = []  # a heap, as upstream's PromptQueue.queue
        self.running: Item | None = None
        self.history: dict[str, dict[str, Any]] = {}
        self.sockets: dict[str, web.WebSocketResponse] = {}
        self.number = 0
        self.client_id: str | None = None
        self._interrupt = False
        self._wake = asyncio.Event()
        self.dead = False
        self._dying = False

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://{HOST}:{self.port}"

    # --- lifecycle -----------------------------------------------------------------------------------------
    def app(self) -> web.Application:
        """The aiohttp application (routes as upstream; also under ``/api``)."""
        app = web.Application(client_max_size=100 * 1024 * 1024, middlewares=[self._proxy_auth])
        routes = [
            web.get("/ws", self._ws),
            web.get("/object_info", self._object_info),
            web.get("/object_info/{node_class}", self._object_info_node),
            web.get("/system_stats", self._system_stats),
            web.post("/prompt", self._post_prompt),
            web.get("/prompt", self._get_prompt),
            web.get("/queue", self._get_queue),
            web.post("/queue", self._post_queue),
            web.get("/history", self._get_history_all),
            web.get("/history/{prompt_id}", self._get_history),
            web.post("/interrupt", self._post_interrupt),
            web.post("/upload/image", self._upload_image),
            web.get("/view", self._view),
        ]
        app.router.add_get("/_control/records", self._records)  # test equipment only: not a ComfyUI route
        app.add_routes(routes)
        app.add_routes([web.route(r.method, "/api" + r.path, r.handler) for r in routes])
        return app

    @web.middleware
    async def _proxy_auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """``require_headers``: what an authenticating reverse proxy in front of ComfyUI would ask for."""
        if any(request.headers.get(k) != v for k, v in self.require_headers.items()):
            return web.Response(status=401, text="401: Unauthorized")
        response: web.StreamResponse = await handler(request)
        return response

    async def start(self) -> ComfyEmulator:
        """Listen on 127.0.0.1 (the same port again after :meth:`restart`)."""
        self._reset_state()
        self._runner = web.AppRunner(self.app())
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self._worker = asyncio.create_task(self._work(), name=f"comfyui-emulator-{self.port}")
        return self

    async def stop(self) -> None:
        """Stop listening and executing."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._worker
            self._worker = None
        for ws in list(self.sockets.values()):
            with contextlib.suppress(Exception):
                await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def die(self) -> None:
        """Drop dead: no more answers, the queue and history are lost (a killed ComfyUI)."""
        self._dying = True
        worker, self._worker = self._worker, None
        for ws in list(self.sockets.values()):
            with contextlib.suppress(Exception):
                await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.dead = True  # set once nothing answers any more
        if worker is not None and worker is not asyncio.current_task():
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await worker

    async def restart(self) -> None:
        """Come back on the same port with an empty queue and history."""
        await self.die()
        await self.start()

    # --- messages ----------------------------------------------------------------------------------------------
    async def send(self, event: str, data: dict[str, Any], sid: str | None = None) -> None:
        """To one client (``sid``) or, with none, to all (upstream's ``send_json``)."""
        message = json.dumps({"type": event, "data": data})
        targets = [self.sockets[sid]] if sid is not None and sid in self.sockets else []
        if sid is None:
            targets = list(self.sockets.values())
        for ws in targets:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_str(message)

    def queue_info(self) -> dict[str, Any]:
        """``status`` data (upstream's ``get_queue_info``)."""
        remaining = len(self.queue) + (1 if self.running is not None else 0)
        return {"exec_info": {"queue_remaining": remaining}}

    async def _status(self) -> None:
        await self.send("status", {"status": self.queue_info()})

    # --- routes ----------------------------------------------------------------------------------------------
    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sid = request.query.get("clientId", "") or uuid.uuid4().hex
        self.sockets.pop(sid, None)
        self.sockets[sid] = ws
        try:
            await self.send("status", {"status": self.queue_info(), "sid": sid}, sid)
            async for msg in ws:
                if msg.type == WSMsgType.ERROR:
                    break
        finally:
            if self.sockets.get(sid) is ws:
                self.sockets.pop(sid, None)
        return ws

    def catalog(self) -> dict[str, Any]:
        """``/object_info`` now (LoadImage lists the uploaded images, the loaders the model files)."""
        info = object_info(self.models)
        inputs = sorted(p.name for p in self.dirs["input"].iterdir() if p.is_file())
        info["LoadImage"]["input"]["required"]["image"] = [inputs, {"image_upload": True}]
        return info

    async def _object_info(self, request: web.Request) -> web.Response:
        return web.json_response(self.catalog())

    async def _object_info_node(self, request: web.Request) -> web.Response:
        name = request.match_info["node_class"]
        catalog = self.catalog()
        return web.json_response({name: catalog[name]} if name in catalog else {})

    async def _system_stats(self, request: web.Request) -> web.Response:
        system = {"os": "posix", "comfyui_version": "0.3.66-emulator", "python_version": "3", "argv": ["main.py"]}
        return web.json_response({"system": system, "devices": []})

    async def _get_prompt(self, request: web.Request) -> web.Response:
        return web.json_response(self.queue_info())

    async def _post_prompt(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.json_response({"error": "invalid json", "node_errors": []}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"error": "invalid json", "node_errors": []}, status=400)
        if "number" in body:
            number = float(body["number"])
        else:
            number = float(self.number)
            if body.get("front"):
                number = -number
            self.number += 1
        if "prompt" not in body:
            return web.json_response({"error": "no prompt", "node_errors": []}, status=400)
        prompt = body["prompt"]
        prompt_id = str(body.get("prompt_id") or uuid.uuid4())
        valid, error, outputs, node_errors = validate_prompt(prompt, self.catalog())
        if not valid:
            return web.json_response({"error": error, "node_errors": node_errors}, status=400)
        extra_data = dict(body.get("extra_data") or {})
        if "client_id" in body:
            extra_data["client_id"] = body["client_id"]
        self.posted.append(body)
        heapq.heappush(self.queue, (number, prompt_id, prompt, extra_data, outputs))
        self._wake.set()
        await self._status()
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        return web.json_response({"prompt_id": prompt_id, "number": number, "node_errors": node_errors})

    async def _records(self, request: web.Request) -> web.Response:
        posted = [body.get("prompt_id") for body in self.posted]
        return web.json_response({"posted": posted, "executions": self.executions, "completed": self.completed})

    async def _get_queue(self, request: web.Request) -> web.Response:
        running = [list(self.running)] if self.running is not None else []
        return web.json_response({"queue_running": running, "queue_pending": [list(i) for i in self.queue]})

    async def _post_queue(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("clear"):
            self.queue.clear()
        for prompt_id in body.get("delete", []):
            before = len(self.queue)
            self.queue = [item for item in self.queue if item[1] != prompt_id]
            heapq.heapify(self.queue)
            if len(self.queue) != before:
                self.deleted.append(prompt_id)
        await self._status()
        return web.Response(status=200)

    async def _get_history_all(self, request: web.Request) -> web.Response:
        return web.json_response(self.history)

    async def _get_history(self, request: web.Request) -> web.Response:
        prompt_id = request.match_info["prompt_id"]
        entry = self.history.get(prompt_id)
        return web.json_response({prompt_id: entry} if entry is not None else {})

    async def _post_interrupt(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = {}
        body = body if isinstance(body, dict) else {}
        self.interrupts.append(body)
        prompt_id = body.get("prompt_id")
        if not prompt_id or (self.running is not None and self.running[1] == prompt_id):
            self._interrupt = True
        return web.Response(status=200)

    async def _upload_image(self, request: web.Request) -> web.Response:
        post = await request.post()
        image = post.get("image")
        if not isinstance(image, web.FileField) or not image.filename:
            return web.Response(status=400)
        kind = str(post.get("type") or "input")
        if kind not in self.dirs:
            return web.Response(status=400)
        subfolder = str(post.get("subfolder") or "")
        folder = (self.dirs[kind] / subfolder).resolve()
        if os.path.commonpath([folder, self.dirs[kind].resolve()]) != str(self.dirs[kind].resolve()):
            return web.Response(status=400)
        folder.mkdir(parents=True, exist_ok=True)
        data = image.file.read()
        filename = Path(image.filename).name
        stem, suffix = os.path.splitext(filename)
        overwrite = str(post.get("overwrite") or "") in ("true", "1")
        path, i = folder / filename, 1
        while not overwrite and path.exists() and path.read_bytes() != data:
            filename = f"{stem} ({i}){suffix}"
            path, i = folder / filename, i + 1
        path.write_bytes(data)
        return web.json_response({"name": filename, "subfolder": subfolder, "type": kind})

    async def _view(self, request: web.Request) -> web.StreamResponse:
        filename = request.query.get("filename", "")
        if not filename or filename.startswith("/") or ".." in filename:
            return web.Response(status=400)
        kind = request.query.get("type", "output")
        if kind not in self.dirs:
            return web.Response(status=400)
        folder = self.dirs[kind] / request.query.get("subfolder", "")
        path = (folder / os.path.basename(filename)).resolve()
        if os.path.commonpath([path, self.dirs[kind].resolve()]) != str(self.dirs[kind].resolve()):
            return web.Response(status=403)
        if not path.is_file():
            return web.Response(status=404)
        return web.FileResponse(path, headers={"Content-Disposition": f'filename="{path.name}"'})

    # --- execution -----------------------------------------------------------------------------------------------
    async def _work(self) -> None:
        while True:
            while not self.queue:
                self._wake.clear()
                await self._wake.wait()
            if self.hold_queue is not None:
                await self.hold_queue.wait()
                if not self.queue:
                    continue
            item = heapq.heappop(self.queue)
            self.running = item
            self._interrupt = False
            try:
                await self._execute(item)
            finally:
                if not self._dying:
                    self.running = None
                    await self._status()

    async def _message(self, messages: list[list[Any]], event: str, data: dict[str, Any]) -> None:
        """upstream ``add_message``: timestamped, kept for the history, sent to the queuing client."""
        data = {**data, "timestamp": int(time.time() * 1000)}
        messages.append([event, data])
        await self.send(event, data, self.client_id)

    async def _execute(self, item: Item) -> None:
        number, prompt_id, prompt, extra_data, outputs = item
        self.client_id = extra_data.get("client_id")
        self.executions.append(prompt_id)
        messages: list[list[Any]] = []
        await self._message(messages, "execution_start", {"prompt_id": prompt_id})
        await self._message(messages, "execution_cached", {"nodes": [], "prompt_id": prompt_id})
        ui: dict[str, Any] = {}
        executed: list[str] = []
        order = _order(prompt, outputs)
        status = "success"
        for node_id in order:
            node = prompt[node_id]
            await self.send(
                "executing", {"node": node_id, "display_node": node_id, "prompt_id": prompt_id}, self.client_id
            )
            try:
                if self._interrupt:
                    raise Interrupted()
                if self.fail_node is not None and self.fail_node[0] == node_id:
                    raise NodeFailed(self.fail_node[1])
                if node["class_type"] in SAMPLER_NODES:
                    await self._sample(prompt, node_id, prompt_id)
                if node_id in outputs:
                    ui[node_id] = await self._save(prompt, node_id, prompt_id)
                    await self.send(
                        "executed",
                        {"node": node_id, "display_node": node_id, "output": ui[node_id], "prompt_id": prompt_id},
                        self.client_id,
                    )
            except Interrupted:
                data = {
                    "prompt_id": prompt_id,
                    "node_id": node_id,
                    "node_type": node["class_type"],
                    "executed": executed,
                }
                await self._message(messages, "execution_interrupted", data)
                status = "error"
                break
            except NodeFailed as exc:
                data = {
                    "prompt_id": prompt_id,
                    "node_id": node_id,
                    "node_type": node["class_type"],
                    "executed": executed,
                    "exception_message": str(exc),
                    "exception_type": "RuntimeError",
                    "traceback": [f"RuntimeError: {exc}\n"],
                    "current_inputs": {},
                    "current_outputs": {},
                }
                await self._message(messages, "execution_error", data)
                status = "error"
                break
            executed.append(node_id)
        else:
            await self._message(messages, "execution_success", {"prompt_id": prompt_id})
        await self.send("executing", {"node": None, "prompt_id": prompt_id}, self.client_id)
        await asyncio.sleep(0)  # task_done: the history is written just after the last message
        self.history[prompt_id] = {
            "prompt": [number, prompt_id, prompt, extra_data, outputs],
            "outputs": ui if status == "success" else {},
            "status": {"status_str": status, "completed": status == "success", "messages": messages},
            "meta": {n: {"node_id": n, "display_node": n, "parent_node": None, "real_node_id": n} for n in ui},
        }
        if status == "success":
            self.completed.append(prompt_id)

    async def _sample(self, prompt: dict[str, Any], node_id: str, prompt_id: str) -> None:
        steps = _steps(prompt, node_id)
        if self.hold is not None and self.hold_at == 0:
            await self.hold.wait()
        for step in range(1, steps + 1):
            if self.die_at_step is not None and step >= self.die_at_step:
                self.die_at_step = None
                await self.die()
                raise asyncio.CancelledError()
            if self._interrupt:
                raise Interrupted()
            if self.step_seconds:
                await asyncio.sleep(self.step_seconds)
            else:
                await asyncio.sleep(0)
            await self.send(
                "progress", {"value": step, "max": steps, "prompt_id": prompt_id, "node": node_id}, self.client_id
            )
            if self.hold is not None and step == self.hold_at:
                await self.hold.wait()

    async def _save(self, prompt: dict[str, Any], node_id: str, prompt_id: str) -> dict[str, Any]:
        node = prompt[node_id]
        webp = node["class_type"] == "SaveAnimatedWEBP"
        clip = self.clip_for(prompt, node_id)
        prefix = str(node["inputs"].get("filename_prefix") or "ComfyUI")
        subfolder, _, stem = prefix.rpartition("/")
        folder = self.dirs["output"] / subfolder
        folder.mkdir(parents=True, exist_ok=True)
        count = len(list(folder.glob(f"{stem}_*"))) + 1
        name = f"{stem}_{count:05}_.{'webp' if webp else 'mp4'}"
        try:
            await render(clip, folder / name, webp=webp)
        except RuntimeError as exc:
            raise NodeFailed(str(exc)) from exc
        return {"images": [{"filename": name, "subfolder": subfolder, "type": "output"}], "animated": [True]}

    def clip_for(self, prompt: dict[str, Any], output: str) -> Clip:
        """The size, frames, rate and start image the nodes upstream of ``output`` ask for."""
        found: dict[str, Any] = {}
        for node_id in _order(prompt, [output]):
            node = prompt[node_id]
            inputs = node.get("inputs", {})
            for key in ("width", "height", "length"):
                if key in inputs and not isinstance(inputs[key], list):
                    found[key] = int(inputs[key])
            for key in ("fps", "frame_rate"):
                if key in inputs and not isinstance(inputs[key], list):
                    found.setdefault("fps", float(inputs[key]))
            if node["class_type"] == "CreateVideo" or (node["class_type"] == "SaveAnimatedWEBP" and "fps" in inputs):
                found["fps"] = float(inputs["fps"])
            if node["class_type"] == "LoadImage":
                found["image"] = self.dirs["input"] / str(inputs["image"])
        return Clip(
            width=found.get("width", 512),
            height=found.get("height", 512),
            frames=found.get("length", 25),
            fps=found.get("fps", 24.0),
            image=found.get("image"),
        )

    def executed_inputs(self, prompt_id: str) -> dict[str, Any]:
        """The workflow a prompt id was queued with (from the records; survives :meth:`die`)."""
        for body in reversed(self.posted):
            if body.get("prompt_id") == prompt_id:
                return dict(body["prompt"])
        raise KeyError(prompt_id)


def _order(prompt: dict[str, Any], outputs: list[str]) -> list[str]:
    """The nodes the outputs need, dependencies first (upstream's ExecutionList, without caching)."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(node_id: str) -> None:
        if node_id in seen or node_id not in prompt:
            return
        seen.add(node_id)
        for value in prompt[node_id].get("inputs", {}).values():
            if isinstance(value, list) and len(value) == 2:
                visit(str(value[0]))
        order.append(node_id)

    for output in outputs:
        visit(output)
    return order


def _steps(prompt: dict[str, Any], node_id: str) -> int:
    """A sampler's step count: its own ``steps``, or that of the scheduler feeding its ``sigmas``."""
    inputs = prompt[node_id].get("inputs", {})
    if "steps" in inputs and not isinstance(inputs["steps"], list):
        return int(inputs["steps"])
    sigmas = inputs.get("sigmas")
    if isinstance(sigmas, list):
        return int(prompt[str(sigmas[0])].get("inputs", {}).get("steps", 20))
    return 20


__all__ = ["MODEL_INPUTS", "ComfyEmulator"]
