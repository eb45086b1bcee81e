"""The built-in offline provider ``local``: previews rendered with ffmpeg on this machine, no AI.

``local:motion`` animates the user's image with a camera move; ``local:storyboard`` shows the prompt
on an animated card that says it is an offline preview.  A task is a set of files in ``work_dir``
named after a deterministic id (``local-<job id>``): the request as JSON, the finished MP4, and a
marker when it failed or was cancelled.  So a job survives a restart: polling a task whose JSON
exists but that this process is not rendering starts the render again.  One process owns a
``work_dir``; renders run as background tasks, at most ``concurrency`` at a time.  When a render ends
(made or failed), ``on_finished`` is called with its job id: the worker's ``interrupt``, so the job polls
at once instead of at its next planned poll (up to ``poll_max_interval`` later).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import re
import secrets
import shutil
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import InvalidOption, OutputTooLarge, ProviderTaskFailed, VideobotError
from bot.media import Media
from bot.providers._local_render import MODELS, check_files, render
from bot.providers.base import GenerationRequest, ModelInfo, Reference, TaskState, TaskStatus

log = logging.getLogger(__name__)

_TASK_ID = re.compile(r"^local-\d{1,19}$")
_PATH_FIELDS = ("image", "end_image", "video")


@dataclass
class _Render:
    task: asyncio.Task[None] | None = None
    started: bool = False  # holds a render slot (PENDING until then)
    progress: float = 0.0


@dataclass(frozen=True)
class _Files:
    request: Path
    video: Path
    failed: Path
    cancelled: Path

    def all(self) -> list[Path]:
        """Every file of the task, with the temporary files of interrupted writes."""
        folder, stem = self.request.parent, self.request.stem
        return [self.request, self.video, self.failed, self.cancelled, *folder.glob(f".{stem}.*.tmp*")]


def task_id_for(job_id: int) -> str:
    """The deterministic task id of a job."""
    return f"local-{int(job_id)}"


def request_to_json(request: GenerationRequest) -> str:
    """The request as JSON (paths as strings)."""
    data = dataclasses.asdict(request)
    for name in _PATH_FIELDS:
        data[name] = str(data[name]) if data[name] is not None else None
    data["references"] = [
        {**ref, "photos": [str(p) for p in ref["photos"]], "voice": str(ref["voice"]) if ref["voice"] else None}
        for ref in data["references"]
    ]
    return json.dumps(data, sort_keys=True, indent=1)


def request_from_json(text: str) -> GenerationRequest:
    """Inverse of :func:`request_to_json`."""
    data: dict[str, Any] = json.loads(text)
    known = {f.name for f in dataclasses.fields(GenerationRequest)}
    data = {k: v for k, v in data.items() if k in known}
    for name in _PATH_FIELDS:
        if data.get(name) is not None:
            data[name] = Path(data[name])
    data["references"] = tuple(
        Reference(
            name=str(ref["name"]),
            photos=tuple(Path(p) for p in ref["photos"]),
            voice=Path(ref["voice"]) if ref.get("voice") else None,
            description=str(ref.get("description") or ""),
        )
        for ref in data.get("references") or ()
    )
    return GenerationRequest(**data)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class LocalProvider:
    """Renders previews offline; implements :class:`bot.providers.base.VideoProvider`."""

    name = "local"
    poll_interval = 0.25  # polling is free here, and a short interval makes progress visible
    poll_max_interval = 0.5

    def __init__(self, media: Media, work_dir: Path, *, concurrency: int = 1, scale: float = 1.0):
        self.media = media
        self.scale = scale  # the previews' frame size, times this (VIDEOBOT_LOCAL_SCALE)
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._sweep()
        self._slots = asyncio.Semaphore(concurrency)
        self._renders: dict[str, _Render] = {}
        self.on_finished: Callable[[int], None] | None = None  # set by the app: the worker's interrupt

    def models(self) -> Sequence[ModelInfo]:
        """Both local models (always available)."""
        return MODELS

    def _files(self, task_id: str) -> _Files:
        base = self.work_dir / task_id
        return _Files(
            base.with_suffix(".json"),
            base.with_suffix(".mp4"),
            base.with_suffix(".failed"),
            base.with_suffix(".cancelled"),
        )

    def _sweep(self) -> None:
        """Remove what a killed process left half-written (this process owns ``work_dir``)."""
        for path in self.work_dir.glob(".*"):
            if path.is_dir() and path.name.startswith(".render-"):
                shutil.rmtree(path, ignore_errors=True)
            elif path.is_file() and ".tmp" in path.name:
                path.unlink(missing_ok=True)

    def _check(self, request: GenerationRequest) -> None:
        model = next((m for m in MODELS if m.name == request.model), None)
        if model is None:
            raise InvalidOption(f"The local provider has no model {request.model[:60]!r}.")
        check_files(model, request)

    async def submit(self, request: GenerationRequest) -> str:
        """Store the request and start its render; the same job again returns the same task, once."""
        self._check(request)
        task_id = task_id_for(request.job_id)
        files = self._files(task_id)
        running = self._renders.get(task_id)
        if files.video.exists() or (running is not None and running.task is not None and not running.task.done()):
            return task_id
        _write_atomic(files.request, request_to_json(request))
        files.failed.unlink(missing_ok=True)
        files.cancelled.unlink(missing_ok=True)
        self._start(task_id, request)
        return task_id

    async def find_task(self, request: GenerationRequest) -> str | None:
        """The task id if this job's request was stored."""
        task_id = task_id_for(request.job_id)
        return task_id if self._files(task_id).request.exists() else None

    def _start(self, task_id: str, request: GenerationRequest) -> None:
        state = _Render()
        self._renders[task_id] = state
        state.task = asyncio.create_task(self._run(task_id, request, state), name=f"render {task_id}")

    async def _run(self, task_id: str, request: GenerationRequest, state: _Render) -> None:
        files = self._files(task_id)
        seed = request.seed if request.seed is not None else zlib.crc32(request.prompt.encode())

        def progress(value: float) -> None:
            state.progress = value

        async with self._slots:
            state.started = True
            try:
                await render(self.media, request, files.video, seed=seed, on_progress=progress, scale=self.scale)
            except asyncio.CancelledError:
                raise
            except VideobotError as exc:
                log.warning("local render %s failed: %s", task_id, exc)
                _write_atomic(files.failed, exc.user_message)
            except Exception:
                log.exception("local render %s crashed", task_id)
                _write_atomic(files.failed, "The offline renderer failed on this request.")
        if self.on_finished is not None:  # the job's next poll finds the result: let it poll now
            self.on_finished(request.job_id)

    async def poll(self, task_id: str) -> TaskStatus:
        """SUCCEEDED once the MP4 exists; a stored task this process is not rendering is restarted."""
        if not _TASK_ID.match(task_id):
            return TaskStatus(TaskState.FAILED, error="Unknown task.", error_code="unknown_task")
        files = self._files(task_id)
        if files.video.exists():
            return TaskStatus(TaskState.SUCCEEDED, progress=1.0, output_url=files.video.resolve().as_uri())
        if files.cancelled.exists():
            return TaskStatus(TaskState.CANCELLED)
        state = self._renders.get(task_id)
        if state is not None and state.task is not None and not state.task.done():
            if not state.started:
                return TaskStatus(TaskState.PENDING, progress=0.0)
            return TaskStatus(TaskState.RUNNING, progress=state.progress)
        if files.failed.exists():
            message = files.failed.read_text(encoding="utf-8", errors="replace")[:300]
            return TaskStatus(TaskState.FAILED, error=message, error_code="render_failed")
        if files.request.exists():  # stored by an earlier process (or its render died): render it now
            try:
                request = request_from_json(files.request.read_text(encoding="utf-8"))
            except (ValueError, TypeError) as exc:
                log.warning("local task %s has an unreadable request: %s", task_id, exc)
                return TaskStatus(TaskState.FAILED, error="The saved task could not be read.", error_code="corrupt")
            log.info("resuming local render %s", task_id)
            self._start(task_id, request)
            return TaskStatus(TaskState.PENDING, progress=0.0)
        return TaskStatus(TaskState.FAILED, error="Unknown task.", error_code="unknown_task")

    async def cancel(self, task_id: str) -> None:
        """Stop the render and delete its files (the request stays, marked cancelled)."""
        if not _TASK_ID.match(task_id):
            return
        state = self._renders.pop(task_id, None)
        if state is not None and state.task is not None and not state.task.done():
            state.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await state.task
        files = self._files(task_id)
        for path in files.all():
            if path != files.request:
                path.unlink(missing_ok=True)
        if files.request.exists():
            _write_atomic(files.cancelled, "cancelled")

    async def fetch_result(self, task_id: str, status: TaskStatus, dest: Path, max_bytes: int) -> Path:
        """Copy the finished MP4 to ``dest`` (atomically); raise OutputTooLarge above ``max_bytes``."""
        if not _TASK_ID.match(task_id):
            raise ProviderTaskFailed("Unknown task.", provider=self.name)
        video = self._files(task_id).video
        try:
            size = video.stat().st_size
        except FileNotFoundError:
            raise ProviderTaskFailed("The offline render's file is missing.", provider=self.name) from None
        if size > max_bytes:
            raise OutputTooLarge(detail=f"{task_id}: {size} > {max_bytes} bytes")
        dest = Path(dest)
        known = self.media.known(video)  # the render's facts: the copy needs no probe either
        await asyncio.to_thread(self._copy, video, dest)
        if known is not None:
            self.media.note(dest, known)
        return dest

    @staticmethod
    def _copy(src: Path, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.tmp")
        try:
            shutil.copyfile(src, tmp)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)

    async def aclose(self) -> None:
        """Cancel the renders still running (their stored requests resume on the next start)."""
        tasks = [s.task for s in self._renders.values() if s.task is not None and not s.task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._renders.clear()
