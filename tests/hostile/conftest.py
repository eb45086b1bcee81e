"""Fixtures for the hostile-input suite: the e2e bot (tests/conftest.py), a service app on a scripted
remote provider, the wires, and the checks every refusal must pass."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.services.delivery.port import Progress, Receipt
from tests.support.hostile_corpus import LoopbackRecorder, fifo_wire
from tests.support.scripted import ScriptedProvider


class RecordingDelivery:
    """A delivery target (kind ``test``) that remembers what it was handed."""

    kind = "test"

    def __init__(self) -> None:
        self.delivered: list[int] = []
        self.failures: list[tuple[int, str]] = []

    async def progress(self, update: Progress) -> None:
        """Progress is not interesting here."""

    async def deliver(self, job: Any, video: Path) -> Receipt:
        """Record the delivery."""
        self.delivered.append(job.id)
        return Receipt(message_id=1000 + job.id)

    async def failed(self, job: Any, message: str) -> None:
        """Record the failure notice."""
        self.failures.append((job.id, message))


@pytest.fixture
async def service_app(make_settings, sample_mp4) -> AsyncIterator[Callable[..., Any]]:
    """``await service_app(video=..., **settings)`` → (App, ScriptedProvider, RecordingDelivery)."""
    apps: list[App] = []

    async def build(video: Path | None = None, **overrides: Any) -> tuple[App, ScriptedProvider, RecordingDelivery]:
        provider = ScriptedProvider(video=video or sample_mp4)
        app = await App.create(make_settings(**overrides), providers=[provider])
        target = RecordingDelivery()
        app.router.register(target)
        apps.append(app)
        return app, provider, target

    yield build
    for app in apps:
        await app.close()


@pytest.fixture
async def wires(tmp_path) -> AsyncIterator[dict[str, Any]]:
    """A FIFO wire (``local``) and a loopback recorder (``url``); ``touched()`` says whether either was."""
    recorder = LoopbackRecorder()
    async with recorder.running():
        fifo = tmp_path / "secret.ts"
        with fifo_wire(fifo) as opened:
            yield {
                "local": fifo,
                "url": recorder.url(),
                "touched": lambda: opened.is_set() or bool(recorder.hits),
                "opened": opened,
                "recorder": recorder,
            }
