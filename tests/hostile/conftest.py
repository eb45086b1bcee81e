"""Fixtures for the hostile-input suite: the e2e bot (from tests/discord), a service app on a scripted
remote provider, the wires, and the checks every refusal must pass."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.services.delivery.port import Progress, Receipt
from bot.services.requests.generation import Requester
from emulators.discord import DiscordEmulator, InteractionHandle
from tests.discord.conftest import bot_settings, emu, launch  # noqa: F401 - fixtures shared with tests/discord
from tests.hostile.corpus import LoopbackRecorder, fifo_wire
from tests.services.scripted import ScriptedProvider

TEST_WHO = Requester(user_id=7, guild_id=1, channel_id=2, delivery={"kind": "test"})


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


async def private_answer(world: DiscordEmulator, handle: InteractionHandle, timeout: float = 30.0) -> str:
    """The text of the private (ephemeral) answer to an interaction."""

    def found() -> str | None:
        for message in [*handle.responses, *handle.followups]:
            if message.ephemeral and message.content and not message.deleted:
                return message.content
        return None

    await world.wait_until(lambda: found() is not None, timeout, f"a private answer to {handle}")
    text = found()
    assert text is not None
    return text


async def assert_nothing_kept(bot: Any, world: DiscordEmulator, user_id: int, handle: InteractionHandle) -> None:
    """A refusal: no job row, no charge, no input file, no public message left behind."""
    assert await bot.app.storage.jobs.search(owner_id=user_id, limit=5) == []
    assert (await bot.app.quota.status(user_id, world.guild.id)).used == 0
    assert sorted(p.name for p in bot.settings.inputs_dir.iterdir()) == []
    assert handle.original is None or handle.original.deleted or handle.original.ephemeral
    mine = [m for m in world.messages(ephemeral=False) if m.author.id == world.bot.id]
    public = [m for m in mine if m.interaction_id == handle.id]
    assert public == [], [m.content for m in public]


def lift_limits(world: DiscordEmulator, command: str, option: str) -> None:
    """Remove min/max/choices/lengths from a synced option, as if Discord let anything through."""
    for synced in world.synced_commands(world.guild):
        if synced["name"] != command:
            continue
        for spec in synced.get("options", []):
            if spec["name"] == option:
                for key in ("min_value", "max_value", "choices", "min_length", "max_length"):
                    spec.pop(key, None)
                return
            for sub in spec.get("options", []) if spec["type"] == 1 else []:
                if spec["name"] == option.split(".")[0] and sub["name"] == option.split(".")[-1]:
                    for key in ("min_value", "max_value", "choices", "min_length", "max_length"):
                        sub.pop(key, None)
                    return
    raise AssertionError(f"/{command} has no option {option!r}")
