"""Starting a job from Discord: acknowledge first, then build the Requester (with the delivery dict that
routes the result) and call the service.

The delivery dict (stored with the job as JSON, so it survives a restart)::

    {"kind": "discord",
     "guild_id": 123, "channel_id": 456, "user_id": 789,
     "message_id": 1011,          # the status message (the interaction's response, or our placeholder)
     "application_id": 1213,      # interaction jobs only: edit/follow up through the webhook …
     "token": "…",                # … with this interaction token …
     "token_expires_at": 1.7e9,   # … until then (epoch seconds); afterwards channel messages are used
     "upload_limit": 10485760,    # bytes: the interaction's attachment_size_limit (or the guild's)
     # written later by the delivery target:
     "status_message_id": 1415,   # a channel reply used for progress once the token is dead
     "sending_at": 1.7e9}         # a result upload was started (a repeat looks for it first)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.edge.errors import NO_PINGS, PUBLIC_DEFER
from bot.services.generation import Requester, Submitted

if TYPE_CHECKING:
    from bot.edge.client import VideoBot

Submit = Callable[[Requester], Awaitable[Submitted]]


def bot_of(interaction: discord.Interaction[Any]) -> VideoBot:
    """The VideoBot behind an interaction."""
    return cast("VideoBot", interaction.client)


def is_moderator(interaction: discord.Interaction[Any]) -> bool:
    """Manage Messages (or Manage Server) in this channel: may delete or cancel others' jobs."""
    perms = interaction.permissions
    return bool(perms.manage_messages or perms.manage_guild or perms.administrator)


def requester(interaction: discord.Interaction[Any], message_id: int | None) -> Requester:
    """Who asks, with a delivery dict that lets the result find its way back (see module docstring)."""
    delivery: dict[str, Any] = {
        "kind": "discord",
        "guild_id": interaction.guild_id,
        "channel_id": interaction.channel_id,
        "user_id": interaction.user.id,
        "message_id": message_id,
        "application_id": interaction.application_id,
        "token": interaction.token,
        "token_expires_at": interaction.expires_at.timestamp(),
        "upload_limit": int(interaction.filesize_limit),
    }
    return Requester(
        user_id=interaction.user.id,
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id,
        delivery=delivery,
        is_admin=is_moderator(interaction),
        display_name=interaction.user.display_name,
    )


async def acknowledge(interaction: discord.Interaction[Any]) -> int | None:
    """Defer publicly ("thinking…") within Discord's 3 s window; return the response message's id."""
    interaction.extras[PUBLIC_DEFER] = True
    callback = await interaction.response.defer(thinking=True)
    message_id = getattr(callback, "message_id", None)
    if message_id is None:
        message_id = (await interaction.original_response()).id
    return int(message_id)


async def start_from_interaction(interaction: discord.Interaction[Any], submit: Submit) -> Submitted:
    """Acknowledge, submit, and show the first status (queue position) in the response message."""
    message_id = await acknowledge(interaction)
    submitted = await submit(requester(interaction, message_id))
    interaction.extras[PUBLIC_DEFER] = False  # the job exists: the message is its status from now on
    await bot_of(interaction).delivery.show_now(submitted.job, submitted.queue_position)
    if submitted.notes:
        await interaction.followup.send("\n".join(submitted.notes), ephemeral=True, allowed_mentions=NO_PINGS)
    return submitted


async def start_from_reaction(
    bot: VideoBot,
    user: discord.Member | discord.User,
    channel: discord.abc.Messageable,
    source: discord.Message,
    verb: str,
    submit: Submit,
) -> Submitted:
    """A reaction has no interaction token: post a status reply first, then submit with its id."""
    status = await channel.send(
        f"⏳ {verb} for {user.mention}…",
        reference=source.to_reference(fail_if_not_exists=False),
        mention_author=False,
        allowed_mentions=NO_PINGS,
    )
    guild = source.guild
    delivery: dict[str, Any] = {
        "kind": "discord",
        "guild_id": guild.id if guild else None,
        "channel_id": source.channel.id,
        "user_id": user.id,
        "message_id": status.id,
        "upload_limit": guild.filesize_limit if guild else discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES,
    }
    perms = source.channel.permissions_for(user) if isinstance(user, discord.Member) else None
    who = Requester(
        user_id=user.id,
        guild_id=delivery["guild_id"],
        channel_id=source.channel.id,
        delivery=delivery,
        is_admin=bool(perms and (perms.manage_messages or perms.manage_guild)),
        display_name=user.display_name,
    )
    try:
        submitted = await submit(who)
    except BaseException:
        try:
            await status.delete()
        except discord.HTTPException:
            pass
        raise
    await bot.delivery.show_now(submitted.job, submitted.queue_position)
    return submitted
