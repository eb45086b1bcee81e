"""The checks every refusal in the hostile-input suite must pass, and the requester its service tests use."""

from __future__ import annotations

from typing import Any

from bot.services.requests.generation import Requester
from emulators.discord import DiscordEmulator, InteractionHandle

TEST_WHO = Requester(user_id=7, guild_id=1, channel_id=2, delivery={"kind": "test"})


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
