"""Reading what the bot did on the Discord emulator: result messages, their job ids and MP4s, ephemeral
answers; and small inputs (a free loopback port, a PNG)."""

from __future__ import annotations

import asyncio
import io
import re
import socket
from typing import Any

from PIL import Image

from bot.edge.client import VideoBot
from emulators.discord import DiscordEmulator, Message

RESULT_TIMEOUT = 40.0


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for the built-in file server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def png_bytes(size: tuple[int, int] = (96, 64), colour: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    """A small real PNG."""
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="PNG")
    return buf.getvalue()


def texts_of(message: Message) -> list[str]:
    """The Text Displays of a Components V2 message (a result card), in order."""
    found: list[str] = []

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            if item.get("type") == 10:
                found.append(str(item.get("content") or ""))
            walk(item.get("components") or [])
            if isinstance(item.get("accessory"), dict):
                walk([item["accessory"]])

    walk(message.components)
    return found


def footers_of(message: Message) -> list[str]:
    """Each take's footer: the embeds' (a plain or grouped result) or the card's last line (``job #N · …``)."""
    footers = [(embed.get("footer") or {}).get("text", "") for embed in message.embeds]
    for text in texts_of(message):
        footers += [line.removeprefix("-# ") for line in text.splitlines() if line.startswith("-# job #")]
    return footers


def is_result(message: Message, job_id: int | None = None) -> bool:
    """A result message: the bot's result card (or a message holding several /variations takes, with one
    result embed per take), whose footer says ``job #N · ⏩ …`` (what the reactions do, in the member's language;
    a status's footer ends at ``job #N``)."""
    if message.deleted:
        return False
    marker = re.compile(rf"job #{job_id if job_id is not None else '[0-9]+'} · ⏩")
    return any(marker.match(footer) for footer in footers_of(message))


def job_id_of(message: Message) -> int:
    """The job id from a result message's (first) footer."""
    footer = footers_of(message)[0]
    return int(footer.split("#", 1)[1].split(" ", 1)[0])


def text_of(message: Message) -> str:
    """Everything a message says: its content and, on a result card, its Text Displays."""
    return "\n".join([message.content, *texts_of(message)])


def videos_of(message: Message) -> list[str]:
    """The names of the clips attached to a message (a card's first and last frame are JPEGs beside them)."""
    return [a.filename for a in message.attachments if a.filename.endswith(".mp4")]


def fields_of(message: Message) -> dict[str, str]:
    """What a result says about its job, by name (``Model``, ``Prompt``, ``From``…): the card's ``**Name:** value``
    lines, or the first embed's fields (and ``Prompt``: its description)."""
    if message.embeds:
        embed = message.embeds[0]
        return {"Prompt": embed.get("description", ""), **{f["name"]: f["value"] for f in embed.get("fields", [])}}
    fields: dict[str, str] = {}
    for text in texts_of(message):
        for line in text.splitlines():
            match = re.fullmatch(r"\*\*(.+?):\*\* (.*)", line)
            if match:
                fields[match[1]] = match[2]
    return fields


def listed_of(message: Message, name: str) -> list[str]:
    """A list a result card gives under a ``**Name:**`` line of its own (a film's ``Shots``): the numbered lines
    that follow it."""
    for text in texts_of(message):
        lines = text.splitlines()
        if f"**{name}:**" in lines:
            after = lines[lines.index(f"**{name}:**") + 1 :]
            listed = []
            for line in after:
                if not re.match(r"\d+\. ", line):
                    break
                listed.append(line)
            return listed
    raise KeyError(name)


async def wait_result(emu: DiscordEmulator, *, after: int = 0, timeout: float = RESULT_TIMEOUT) -> Message:
    """The first result message newer than message id ``after``."""
    return await emu.wait_for_message(lambda m: m.id > after and is_result(m), timeout=timeout)


async def wait_done(bot: VideoBot, job_id: int, timeout: float = 30.0) -> None:
    """Until the job is recorded as finished (its result message can appear a moment earlier)."""
    async with asyncio.timeout(timeout):
        while not (await bot.app.service.get(job_id)).state.finished:
            await asyncio.sleep(0.05)


def results(emu: DiscordEmulator, job_id: int | None = None) -> list[Message]:
    """Every live result message (optionally of one job)."""
    return [m for m in emu.messages(ephemeral=False) if is_result(m, job_id)]


def ephemeral_text(emu: DiscordEmulator, user_id: int) -> list[str]:
    """Text of the ephemeral messages (and their embeds) shown to one user."""
    out = []
    for message in emu.messages():
        inter = emu.interactions.get(message.interaction_id or 0)
        if message.ephemeral and inter is not None and inter.user.id == user_id:
            parts = [message.content] + [
                f"{e.get('title', '')} {e.get('description', '')} "
                + " ".join(f"{f['name']}: {f['value']}" for f in e.get("fields", []))
                for e in message.embeds
            ]
            out.append(" ".join(parts))
    return out


def mp4_of(message: Message) -> bytes:
    """The MP4 attached to a result."""
    videos = [a for a in message.attachments if a.filename.endswith(".mp4")]
    assert len(videos) == 1, [a.filename for a in message.attachments]
    return videos[0].data


def is_mp4(data: bytes) -> bool:
    """An ISO-BMFF file (``ftyp`` box first)."""
    return len(data) > 12 and data[4:8] == b"ftyp"


async def refused_privately(emu: DiscordEmulator, bot: VideoBot, handle: Any, *words: str) -> str:
    """The command was answered at once with a private message (callback 4, ephemeral) holding ``words``;
    nothing public was started, nothing charged, no job left behind.  Returns the message."""
    assert await handle.wait_ack() == 4
    refusal = await handle.wait_response()
    assert refusal.ephemeral
    for word in words:
        assert word.lower() in refusal.content.lower(), refusal.content
    assert not emu.messages(ephemeral=False) and not results(emu)
    assert await bot.app.service.active_jobs(emu.alice.id) == []
    assert await bot.app.service.recent() == []
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 0
    return str(refusal.content)


async def runway_bot(launch: Any, emulator: Any) -> VideoBot:
    """A bot whose cloud provider is the emulator's Runway."""
    bot: VideoBot = await launch(RUNWAYML_API_SECRET=emulator.runway.api_key, RUNWAYML_BASE_URL=emulator.runway_url)
    return bot


def bot_settings_for(emu: DiscordEmulator) -> dict[str, Any]:
    """The settings that point an in-process bot at ``emu`` (guild sync for its test guild, fast edits)."""
    return {
        "DISCORD_TOKEN": emu.token,
        "DISCORD_API_BASE": emu.api_base,
        "DISCORD_GATEWAY_URL": emu.gateway_url,
        "guild_ids": [emu.guild.id],
        "progress_edit_interval": 0.5,
        "default_model": None,
    }
