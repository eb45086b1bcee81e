"""A small real discord.py bot used by the emulator's own tests (not part of videobot)."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from emulators.discord.emulator import DiscordEmulator

COG_NAME = "EmuTestCog"
# A tiny ISO-BMFF header so the upload at least looks like an MP4; the emulator only stores bytes.
MP4_HEAD = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"


def fake_mp4(size: int) -> bytes:
    """``size`` bytes starting with an MP4 ``ftyp`` box."""
    return (MP4_HEAD + bytes(range(256)) * (size // 256 + 1))[:size]


class PanelView(discord.ui.View):
    """Two buttons: one edits the message (callback type 7), one defers (type 6) then edits @original."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Refresh", custom_id="panel:refresh")
    async def refresh(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(content="refreshed")

    @discord.ui.button(label="Ack", custom_id="panel:ack")
    async def ack(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="acked later")


class UploadForm(discord.ui.Modal, title="Upload a frame"):
    """A modal with a Label-wrapped text input and a file upload (discord.py 2.7's ui.Label / ui.FileUpload)."""

    caption: discord.ui.Label[UploadForm] = discord.ui.Label(
        text="Caption", component=discord.ui.TextInput(custom_id="caption", max_length=20, default="a cat")
    )
    frame: discord.ui.Label[UploadForm] = discord.ui.Label(
        text="Frame", component=discord.ui.FileUpload(custom_id="frame", max_values=2)
    )

    def __init__(self, cog: EmuTestCog) -> None:
        super().__init__(timeout=60)
        self.cog = cog

    async def on_submit(self, interaction: discord.Interaction) -> None:
        assert isinstance(self.caption.component, discord.ui.TextInput)
        assert isinstance(self.frame.component, discord.ui.FileUpload)
        files = self.frame.component.values
        self.cog.downloads.extend([await f.read() for f in files])
        self.cog.changed.set()
        await interaction.response.send_message(f"{self.caption.component.value}: {len(files)} file(s)")


def v2_card(text: str) -> discord.ui.LayoutView:
    """A Components V2 layout: a container with a text display and a button row."""
    view = discord.ui.LayoutView(timeout=None)
    container = discord.ui.Container[discord.ui.LayoutView](discord.ui.TextDisplay(text))
    container.add_item(discord.ui.ActionRow(discord.ui.Button(label="Go", custom_id="card:go")))
    view.add_item(container)
    view.stop()
    return view


class EmuTestCog(commands.Cog, name=COG_NAME):
    """Commands exercising each part of the emulator; results land in plain lists for the tests."""

    video = app_commands.Group(name="video", description="Video tools")
    tools = app_commands.Group(name="tools", description="Editing tools", parent=video)

    def __init__(self) -> None:
        self.errors: list[Exception] = []
        self.downloads: list[bytes] = []
        self.seen: dict[int, discord.Message] = {}  # MESSAGE_CREATE received, by id
        self.raw_reactions: list[discord.RawReactionActionEvent] = []
        self.reactions: list[tuple[discord.Reaction, discord.abc.User]] = []
        self.events: defaultdict[str, int] = defaultdict(int)
        self.gate = asyncio.Event()
        self.changed = asyncio.Event()

    def _note_error(self, exc: Exception) -> None:
        self.errors.append(exc)
        self.changed.set()

    @app_commands.command(name="render", description="Defer, then post an MP4 followup")
    async def render(self, interaction: discord.Interaction, prompt: str, size: int = 4096) -> None:
        await interaction.response.defer(thinking=True)
        try:
            file = discord.File(io.BytesIO(fake_mp4(size)), filename="out.mp4")
            await interaction.followup.send(f"rendered {prompt}", file=file)
        except discord.HTTPException as exc:
            self._note_error(exc)

    @render.autocomplete("prompt")
    async def render_prompt(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f"{current} cat", value=f"{current}-cat")]

    @app_commands.command(name="animate", description="Download the attached image")
    async def animate(self, interaction: discord.Interaction, image: discord.Attachment) -> None:
        await interaction.response.defer()
        data = await image.read()
        self.downloads.append(data)
        self.changed.set()
        await interaction.followup.send(f"got {len(data)} bytes of {image.filename}")

    @app_commands.command(name="panel", description="Post a message with buttons")
    async def panel(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("panel", view=PanelView())

    @app_commands.command(name="secret", description="An ephemeral reply")
    async def secret(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("only you", ephemeral=True)

    @app_commands.command(name="announce", description="Mention everyone, maybe muted")
    async def announce(self, interaction: discord.Interaction, quiet: bool) -> None:
        text = "@everyone a new video is ready"
        if quiet:
            await interaction.response.send_message(text, allowed_mentions=discord.AllowedMentions.none())
        else:
            await interaction.response.send_message(text)

    @app_commands.command(name="slowpoke", description="Defer, wait for the test, then follow up")
    async def slowpoke(self, interaction: discord.Interaction, delay_ack: float = 0.0) -> None:
        try:
            await asyncio.sleep(delay_ack)
            await interaction.response.defer()
            await self.gate.wait()
            await interaction.followup.send("finally")
        except discord.HTTPException as exc:
            self._note_error(exc)

    @app_commands.command(name="settings", description="Admins only (default_member_permissions)")
    @app_commands.default_permissions(manage_guild=True)
    async def settings(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"manage_guild={interaction.permissions.manage_guild}")

    @tools.command(name="trim", description="A subcommand inside a group")
    async def trim(self, interaction: discord.Interaction, seconds: app_commands.Range[int, 1, 60]) -> None:
        await interaction.response.send_message(f"trim {seconds}s")

    @app_commands.command(name="form", description="Open a modal with a file upload")
    async def form(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(UploadForm(self))

    @app_commands.command(name="card", description="Defer, then a Components V2 followup")
    async def card(self, interaction: discord.Interaction) -> None:
        try:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send("placeholder filled")
            await interaction.followup.send(view=v2_card("a card"))
        except discord.HTTPException as exc:
            self._note_error(exc)

    async def inspect(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """The "Inspect" message command: says what the right-clicked message holds."""
        names = ",".join(a.filename for a in message.attachments)
        await interaction.response.send_message(f"{message.id}:{names}", ephemeral=True)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        self.seen[message.id] = message
        self.changed.set()

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self.raw_reactions.append(payload)
        self.changed.set()

    @commands.Cog.listener()
    async def on_reaction_add(self, reaction: discord.Reaction, user: discord.abc.User) -> None:
        self.reactions.append((reaction, user))
        self.changed.set()

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        self.events["resumed"] += 1
        self.changed.set()

    async def wait(self, predicate: Any, timeout: float = 15.0) -> None:
        """Wait until ``predicate()`` is true, re-checking when a listener fires (and every 20 ms)."""
        async with asyncio.timeout(timeout):
            while not predicate():
                self.changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), 0.02)


def make_bot(*, intents: discord.Intents | None = None) -> tuple[commands.Bot, EmuTestCog]:
    """A commands.Bot with Intents.default() (no message content) that syncs the test cog on startup."""
    bot = commands.Bot(
        command_prefix=commands.when_mentioned,
        intents=intents or discord.Intents.default(),
        guild_ready_timeout=0.05,
        help_command=None,
    )
    cog = EmuTestCog()

    async def setup_hook() -> None:
        await bot.add_cog(cog)
        bot.tree.add_command(app_commands.ContextMenu(name="Inspect", callback=cog.inspect))
        await bot.tree.sync()

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot, cog


@dataclass
class Running:
    """An emulator with a connected, ready bot."""

    emu: DiscordEmulator
    bot: commands.Bot
    cog: EmuTestCog
