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


async def poll_until(provider: ComfyUIProvider, task_id: str, done: Any, *, limit: float = 150.0) -> TaskStatus:
    """Poll until ``done(status)`` holds (bounded: fails after ``limit`` seconds)."""
    async with asyncio.timeout(limit):
        while True:
            status = await provider.poll(task_id)
            if done(status):
                return status
            await asyncio.sleep(0.02)


class ComfyProcess:
    """``python -m emulators.comfyui serve`` on a free loopback port (always stopped by :meth:`stop`)."""

    def __init__(self, root: Path, *args: str):
        import subprocess
        import sys

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "emulators.comfyui", "serve", "--root", str(root), *args],
            cwd=Path(__file__).resolve().parents[2],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.stop()
            raise AssertionError("the ComfyUI emulator did not start")
        import json

        self.url: str = json.loads(line)["url"]

    def records(self) -> dict[str, list[str]]:
        """What the emulator was posted, started and finished (its ``/_control/records``)."""
        import json
        import urllib.request

        with urllib.request.urlopen(f"{self.url}/_control/records", timeout=10) as resp:
            return dict(json.loads(resp.read()))

    def stop(self) -> None:
        """Terminate and reap the process."""
        import subprocess

        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
