"""Starting a job from Discord: acknowledge first, then build the Requester (with the delivery record that
routes the result, :class:`~bot.edge.record.DiscordRecord`) and call the service.

:func:`requester` is the one place a Discord Requester and its record are built, for slash commands,
buttons and reactions alike; :func:`is_moderator` is the one rule for who may act on others' jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import discord

from bot.edge.errors import NO_PINGS, PUBLIC_DEFER
from bot.edge.record import DiscordRecord
from bot.edge.translate import locale_of
from bot.i18n import in_language
from bot.i18n import text as words
from bot.services.requests.generation import Requester, Submitted
from storage import Job

USER_ONLY_FOLLOWUPS = 5  # Discord: followups of an interaction authorised only by a user install
Submit = Callable[[Requester], Awaitable[Submitted]]
ShowStatus = Callable[[Job, int], Awaitable[None]]


def is_moderator(permissions: discord.Permissions) -> bool:
    """Manage Messages, Manage Server or Administrator in the channel: may delete or cancel others' jobs."""
    return bool(permissions.manage_messages or permissions.manage_guild or permissions.administrator)


def permissions_in(user: discord.Member | discord.User, channel: Any) -> discord.Permissions:
    """What a member (who reacted, so there is no interaction) may do in ``channel``; nothing outside a guild."""
    if isinstance(user, discord.Member) and hasattr(channel, "permissions_for"):
        return cast("discord.Permissions", channel.permissions_for(user))
    return discord.Permissions.none()


def bot_is_here(interaction: discord.Interaction[Any]) -> bool:
    """Whether the bot is a member where ``interaction`` happened: a server that installed it, or the bot's own
    DM.  Elsewhere (the app installed on the user: a DM between members, a group DM, a server without the bot)
    only the interaction token reaches the channel."""
    if interaction.is_guild_integration():
        return True
    return interaction.guild_id is None and bool(interaction.context.dm_channel)


def requester(
    user_id: int,
    guild_id: int | None,
    channel_id: int,
    permissions: discord.Permissions,
    *,
    upload_limit: int,
    status_id: int | None = None,
    interaction: discord.Interaction[Any] | None = None,
    display_name: str | None = None,
    locale: str = "en-US",
    user_install: bool = False,
    token_only: bool = False,
    followup_cap: int | None = None,
) -> Requester:
    """Who asks (``display_name`` is shown on result pages), with the delivery record that lets the result find
    its way back (the webhook of ``interaction`` while its token lives, else channel messages replying to
    ``status_id``).  ``user_install``: asked outside servers the bot is in (the user's own quota pool, no server's
    limits); ``token_only``: the bot is no member there, only the token reaches the channel (``followup_cap``
    messages at most)."""
    record = DiscordRecord(
        channel_id=channel_id,
        user_id=user_id,
        guild_id=guild_id,
        message_id=status_id,
        application_id=interaction.application_id if interaction is not None else None,
        token=interaction.token if interaction is not None else None,
        token_expires_at=interaction.expires_at.timestamp() if interaction is not None else 0.0,
        upload_limit=upload_limit,
        locale=locale,
        token_only=token_only,
        followup_cap=followup_cap,
    )
    return Requester(
        user_id=user_id,
        guild_id=None if user_install else guild_id,
        channel_id=channel_id,
        delivery=record.to_json(),
        later_delivery=record.on_its_own().to_json(),
        is_admin=is_moderator(permissions),
        display_name=display_name,
        user_install=user_install,
    )


def interaction_requester(interaction: discord.Interaction[Any], status_id: int | None = None) -> Requester:
    """:func:`requester` for a slash command or a button."""
    here = bot_is_here(interaction)
    # installed only on the user (no server install authorised it): Discord allows 5 followups
    user_only = interaction.is_user_integration() and not interaction.is_guild_integration()
    return requester(
        interaction.user.id,
        interaction.guild_id,
        int(interaction.channel_id or 0),
        interaction.permissions,
        upload_limit=int(interaction.filesize_limit),
        status_id=status_id,
        interaction=interaction,
        display_name=interaction.user.display_name,
        locale=locale_of(interaction),
        user_install=not interaction.is_guild_integration(),
        token_only=not here,
        followup_cap=USER_ONLY_FOLLOWUPS if user_only and not here else None,
    )


def reaction_requester(
    user: discord.Member | discord.User, message: discord.Message, status_id: int | None = None, locale: str = "en-US"
) -> Requester:
    """:func:`requester` for a reaction on ``message`` (no token: channel messages only; a reaction carries no
    locale, so the caller finds the member's: :meth:`bot.edge.actions.ResultActions.reaction_locale`)."""
    guild = message.guild
    return requester(
        user.id,
        guild.id if guild else None,
        message.channel.id,
        permissions_in(user, message.channel),
        upload_limit=guild.filesize_limit if guild else discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES,
        status_id=status_id,
        display_name=user.display_name,
        locale=locale,
    )


async def acknowledge(interaction: discord.Interaction[Any]) -> int | None:
    """Defer publicly ("thinking…") within Discord's 3 s window; return the response message's id."""
    interaction.extras[PUBLIC_DEFER] = True
    callback = await interaction.response.defer(thinking=True)
    message_id = getattr(callback, "message_id", None)
    if message_id is None:
        message_id = (await interaction.original_response()).id
    return int(message_id)


ACK_FIRST_WAIT = 0.5  # seconds job work waits at most for other commands' acknowledgements


class AckFirst:
    """Acknowledgements before job work: a command that has acknowledged waits (at most ``limit`` seconds) until no
    other command is still acknowledging, so a burst's 200 deferrals are not queued behind the quota transactions,
    job inserts and status edits of the first ones (one event loop serves them all; Discord's 3 s window is the
    acknowledgement's, the job work has the token's 15 minutes)."""

    def __init__(self, limit: float = ACK_FIRST_WAIT):
        self.limit = limit
        self.open = 0  # commands acknowledging now
        self._settled = asyncio.Event()
        self._settled.set()

    @contextlib.asynccontextmanager
    async def acking(self) -> AsyncIterator[None]:
        """Around one acknowledgement."""
        self.open += 1
        self._settled.clear()
        try:
            yield
        finally:
            self.open -= 1
            if not self.open:
                self._settled.set()

    async def settled(self) -> None:
        """Return once no acknowledgement is open, or after ``limit`` seconds (a steady stream never starves)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._settled.wait(), self.limit)


class Starter:
    """Starts jobs from Discord and shows their first status at once (``show``: the delivery target's)."""

    def __init__(self, show: ShowStatus, ack_first: AckFirst | None = None):
        self.show = show
        self.ack_first = ack_first or AckFirst()  # shared with the delivery target's progress edits

    async def from_interaction(self, interaction: discord.Interaction[Any], submit: Submit) -> Submitted:
        """Acknowledge, submit, and show the first status (queue position) in the response message."""
        async with self.ack_first.acking():
            message_id = await acknowledge(interaction)
        await self.ack_first.settled()  # the other commands' acknowledgements first
        submitted = await submit(interaction_requester(interaction, message_id))
        interaction.extras[PUBLIC_DEFER] = False  # the job exists: the message is its status from now on
        await self.show(submitted.job, submitted.queue_position)
        if submitted.notes:
            notes = "\n".join(in_language(locale_of(interaction), note) for note in submitted.notes)
            await interaction.followup.send(notes, ephemeral=True, allowed_mentions=NO_PINGS)
        return submitted

    async def from_reaction(
        self,
        user: discord.Member | discord.User,
        channel: discord.abc.Messageable,
        source: discord.Message,
        verb: str,
        submit: Submit,
        locale: str = "en-US",
    ) -> Submitted:
        """A reaction has no interaction token: post a status reply first (``verb``: what it says, in the member's
        words), then submit with its id."""
        status = await channel.send(
            f"⏳ {words(locale, 'reaction.status', doing=verb, mention=user.mention)}",
            reference=source.to_reference(fail_if_not_exists=False),
            mention_author=False,
            allowed_mentions=NO_PINGS,
        )
        try:
            submitted = await submit(reaction_requester(user, source, status.id, locale))
        except BaseException:
            try:
                await status.delete()
            except discord.HTTPException:
                pass
            raise
        await self.show(submitted.job, submitted.queue_position)
        return submitted
