"""Helpers for the ComfyUI provider's tests: a provider pointed at emulators, and a poll loop."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.providers._comfy_workflows import load_workflows
from bot.providers.base import GenerationRequest, TaskStatus
from bot.providers.comfyui import ComfyUIProvider


def comfy_provider(work_dir: Path, *emus: Any, **options: Any) -> ComfyUIProvider:
    """The provider over the given emulated servers, with the bundled templates."""
    return ComfyUIProvider([e.url for e in emus], load_workflows(options.pop("folder", None)), work_dir, **options)


def request(job_id: int, model: str = "comfyui:wan2.2-ti2v", **fields: Any) -> GenerationRequest:
    """A request with small defaults (2 s, 16:9)."""
    values: dict[str, Any] = {"prompt": "a red fox runs through fresh snow", "duration": 2, "aspect": "16:9"}
    return GenerationRequest(job_id=job_id, model=model, **(values | fields))


async def poll_until(provider: ComfyUIProvider, task_id: str, done: Any, *, limit: float = 60.0) -> TaskStatus:
    """Poll until ``done(status)`` holds (bounded: fails after ``limit`` seconds)."""
    async with asyncio.timeout(limit):
        while True:
            status = await provider.poll(task_id)
            if done(status):
                return status
            await asyncio.sleep(0.02)
