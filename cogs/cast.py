"""/cast add|list|show|delete: a server's recurring characters, and the autocomplete of every `cast` option.

Every answer is private (ephemeral): a cast member's photos are shown to whoever asks in the server, never posted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.edge.start import interaction_requester
from bot.edge.translate import words_for
from bot.errors import InvalidMedia
from bot.i18n import said
from bot.services.cast.roster import MAX_DESCRIPTION, MAX_PER_REQUEST, Roster

if TYPE_CHECKING:
    from bot.edge.client import VideoBot

NO_PINGS = discord.AllowedMentions.none()


async def cast_choices(roster: Roster, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
    """Autocomplete of a `cast` option: up to three names, comma-separated; the last one typed is completed."""
    done = [part.strip() for part in current.split(",")[:-1] if part.strip()][: MAX_PER_REQUEST - 1]
    typed = current.split(",")[-1].strip().lstrip("@").lower()
    taken = {name.lower() for name in done}
    members = await roster.members(interaction.guild_id)
    out = []
    for member in members:
        if typed in member.name.lower() and member.name.lower() not in taken:
            value = ", ".join([*done, member.name])
            out.append(Choice(name=value[:100], value=value[:100]))
    return out[:25]


def _mib(size: int) -> str:
    return f"{size / 1_048_576:.1f} MiB"


class Cast(commands.GroupCog, group_name="cast", group_description="This server's recurring characters."):
    """The cast."""

    def __init__(self, roster: Roster, max_image_bytes: int, max_audio_bytes: int):
        self.roster = roster
        self.max_image_bytes = max_image_bytes
        self.max_audio_bytes = max_audio_bytes
        super().__init__()

    async def _names(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        members = await self.roster.members(interaction.guild_id)
        typed = current.strip().lstrip("@").lower()
        return [Choice(name=m.name, value=m.name) for m in members if typed in m.name.lower()][:25]

    def _check_sizes(self, images: list[discord.Attachment], voice: discord.Attachment | None) -> None:
        """The declared sizes, checked before anything is downloaded (the service checks the bytes again)."""
        for upload in images:
            if upload.size > self.max_image_bytes:
                size, cap = _mib(upload.size), _mib(self.max_image_bytes)
                raise said(InvalidMedia, "cast.upload_too_big", filename=upload.filename[:60], size=size, cap=cap)
        if voice is not None and voice.size > self.max_audio_bytes:
            size, cap = _mib(voice.size), _mib(self.max_audio_bytes)
            raise said(InvalidMedia, "cast.sample_too_big", size=size, cap=cap)

    @app_commands.command(name="add", description="Add a character to this server's cast from 1-3 photos.")
    @app_commands.guild_only()
    @app_commands.describe(
        name="One word, 2-32 characters; call it with @Name in prompts",
        image="A reference photo (PNG, JPEG, WebP or GIF)",
        image2="Another photo of the same character",
        image3="A third photo",
        voice="A short voice sample (audio, up to 15 s) for models that take one",
        description="Added to prompts that use this character, e.g. 'a red fox in a blue scarf'",
    )
    async def add(
        self,
        interaction: discord.Interaction[Any],
        name: Range[str, 2, 32],
        image: discord.Attachment,
        image2: discord.Attachment | None = None,
        image3: discord.Attachment | None = None,
        voice: discord.Attachment | None = None,
        description: Range[str, 1, MAX_DESCRIPTION] | None = None,
    ) -> None:
        """Add a cast member."""
        images = [a for a in (image, image2, image3) if a is not None]
        self._check_sizes(images, voice)  # refused before acknowledging
        await interaction.response.defer(ephemeral=True, thinking=True)
        photos = [await a.read() for a in images]  # from the URLs in Discord's own payload, nothing else
        sample = await voice.read() if voice is not None else None
        member = await self.roster.add(interaction_requester(interaction), name, photos, sample, description)
        key = "cast.joined_with_voice" if member.voice else "cast.joined"
        await interaction.followup.send(
            words_for(interaction, key, name=member.name, photos=len(member.photos)),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(name="list", description="This server's cast.")
    @app_commands.guild_only()
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        """List the cast."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        members = await self.roster.members(interaction.guild_id)
        if not members:
            await interaction.followup.send(words_for(interaction, "cast.none"), ephemeral=True)
            return
        lines = [
            words_for(
                interaction,
                "cast.line_with_voice" if m.voice else "cast.line",
                name=m.name,
                photos=len(m.photos),
                by=m.added_by_name or words_for(interaction, "cast.a_member"),
            )
            + (f" · {m.description[:80]}" if m.description else "")
            for m in members
        ]
        thumbs = [self.roster.photo_file(m.photos[0]) for m in members[:10]]
        files = [discord.File(str(p), filename=f"{m.name}.png") for m, p in zip(members, thumbs, strict=False)]
        text = discord.utils.escape_mentions("\n".join(lines))[:1900]
        await interaction.followup.send(text, files=files, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="show", description="A cast member's photos and the last results that used it.")
    @app_commands.guild_only()
    @app_commands.autocomplete(name=_names)
    async def show(self, interaction: discord.Interaction[Any], name: Range[str, 1, 33]) -> None:
        """Show a cast member."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        shown = await self.roster.show(interaction.guild_id, name)
        m = shown.member
        by = m.added_by_name or words_for(interaction, "cast.a_member")
        lines = [words_for(interaction, "cast.added_by", name=m.name, by=by)]
        if m.description:
            lines.append(m.description)
        if m.voice:
            lines.append(words_for(interaction, "cast.voice_seconds", seconds=f"{m.voice_seconds or 0:.1f}"))
        used = ", ".join(f"#{j.id}" for j in shown.results)
        if used:
            lines.append(words_for(interaction, "cast.last_results", name=m.name, ids=used))
        else:
            lines.append(words_for(interaction, "cast.no_results", name=m.name))
        files = [discord.File(p, filename=f"{m.name}-{n}.png") for n, p in enumerate(shown.photos, 1)]
        text = discord.utils.escape_mentions("\n".join(lines))[:1900]
        await interaction.followup.send(text, files=files, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="delete", description="Delete a cast member (who added it, or Manage Server).")
    @app_commands.guild_only()
    @app_commands.autocomplete(name=_names)
    async def delete(self, interaction: discord.Interaction[Any], name: Range[str, 1, 33]) -> None:
        """Delete a cast member; videos already made with it keep it."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        permissions = interaction.permissions
        manager = bool(permissions.manage_guild or permissions.administrator)
        member = await self.roster.delete(interaction_requester(interaction), name, manager=manager)
        await interaction.followup.send(
            words_for(interaction, "cast.deleted", name=member.name),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )


async def setup(bot: VideoBot) -> None:
    """Extension entry point."""
    app = bot.app
    await bot.add_cog(Cast(app.cast, app.settings.max_image_bytes, app.settings.max_audio_bytes))
