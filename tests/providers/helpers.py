"""Helpers for provider tests: drive a request to completion against an emulator."""

from __future__ import annotations

from pathlib import Path

from bot.providers.base import GenerationRequest, TaskStatus, VideoProvider


async def run_task(
    provider: VideoProvider, task_id: str, *, max_polls: int = 40
) -> tuple[TaskStatus, list[TaskStatus]]:
    """Poll until the task is terminal (the emulators advance one state per poll, so no sleeping)."""
    seen: list[TaskStatus] = []
    for _ in range(max_polls):
        status = await provider.poll(task_id)
        seen.append(status)
        if status.state.terminal:
            return status, seen
    raise AssertionError(f"task {task_id} not finished after {max_polls} polls: {seen[-1]}")


async def drive(
    provider: VideoProvider, request: GenerationRequest, dest: Path, *, max_bytes: int = 50_000_000
) -> tuple[str, list[TaskStatus], Path]:
    """submit → poll until done → fetch_result; returns (task id, every status seen, the video path)."""
    task_id = await provider.submit(request)
    final, seen = await run_task(provider, task_id)
    assert final.state.value == "succeeded", final
    return task_id, seen, await provider.fetch_result(task_id, final, dest, max_bytes)


def is_mp4(path: Path) -> bool:
    """Whether the file starts like an MP4 (``ftyp`` at offset 4)."""
    with path.open("rb") as f:
        return f.read(8)[4:8] == b"ftyp"


def assert_secret_free(exc: BaseException, *secrets: str) -> None:
    """No secret appears anywhere in an exception's text, detail, user message or repr."""
    texts = [str(exc), repr(exc), str(getattr(exc, "detail", "")), str(getattr(exc, "user_message", ""))]
    for secret in secrets:
        for text in texts:
            assert secret not in text, f"secret leaked in {text!r}"


PUBLISHED = "https://media.example.test/"


async def publish(path: Path) -> str:
    """Stands in for the bot's file server: the URL an image would be reachable at."""
    return PUBLISHED + path.name
