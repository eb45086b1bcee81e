"""Where one job's Discord messages go: its delivery record (kept in memory, each change written through at once),
the interaction webhook while the token lives, else the channel (a reply to the original), the status message, and
the upload limit that applies.  Owned by :class:`~bot.edge.delivery.DiscordDelivery`, which lends it to its
:class:`~bot.edge.group.GroupPoster`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import discord

from bot.edge.errors import NO_PINGS
from bot.edge.posted import find_posted
from bot.edge.record import DEFAULT_UPLOAD_LIMIT, DiscordRecord
from bot.errors import DeliveryError
from bot.services.requests.generation import GenerationService
from storage import Job

log = logging.getLogger(__name__)

TOKEN_DEAD_CODES = {10015, 50027}  # Unknown Webhook, Invalid Webhook Token


class JobChannel:
    """The Discord side of jobs' messages.  ``on_gone(job_id)`` is called when a job's status message can no
    longer be shown (deleted, or the bot may not post there): no more progress for that job."""

    def __init__(
        self,
        bot: discord.Client,
        service: GenerationService,
        on_gone: Callable[[int], None],
        clock: Callable[[], float] = time.time,
    ):
        self.bot = bot
        self.clock = clock  # the delivery target's: when interaction tokens expire
        self.service = service
        self._on_gone = on_gone
        self._records: dict[int, DiscordRecord] = {}  # the newest record of each job this process changed
        self._filled: set[int] = set()  # jobs whose response message this process has edited (no "thinking…")

    # --- the record ------------------------------------------------------------------------------------
    def record(self, job: Job) -> DiscordRecord:
        """The job's newest record: the one this process last wrote, else the stored one."""
        record = self._records.get(job.id)
        return record if record is not None else DiscordRecord.from_json(job.delivery)

    async def save(self, job_id: int, record: DiscordRecord) -> DiscordRecord:
        """Remember and store the job's new record (one write)."""
        self._records[job_id] = record
        await self.service.save_delivery(job_id, record.to_json())
        return record

    def forget(self, job_id: int) -> None:
        """Drop the job's record from memory (it is long done; the stored one stays)."""
        self._records.pop(job_id, None)
        self._filled.discard(job_id)

    def filled(self, job_id: int) -> bool:
        """Whether this process has edited the job's interaction response (its status message), so that it is
        no longer the "thinking…" placeholder and a followup is a new message, not the placeholder filled in."""
        return job_id in self._filled

    # --- talking to Discord ----------------------------------------------------------------------------
    async def token_died(self, job: Job, exc: discord.HTTPException) -> bool:
        """Whether ``exc`` says the interaction token is dead; if so, stop using it (also after a restart)."""
        if exc.code not in TOKEN_DEAD_CODES and exc.status != 401:
            return False
        log.info("job %s: interaction token no longer valid; using channel messages", job.id)
        with contextlib.suppress(Exception):  # remembered even when the write fails
            await self.save(job.id, self.record(job).token_dead())
        return True

    def webhook(self, record: DiscordRecord) -> discord.Webhook:
        return discord.Webhook.partial(int(record.application_id or 0), str(record.token), client=self.bot)

    async def channel(self, record: DiscordRecord) -> discord.abc.Messageable:
        channel_id = record.channel_id
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            channel = await self.bot.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            raise DeliveryError(detail=f"channel {channel_id} cannot receive messages")
        return channel

    async def guild_limit(self, record: DiscordRecord) -> int:
        guild_id = record.guild_id
        if not guild_id:
            return DEFAULT_UPLOAD_LIMIT
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            with contextlib.suppress(discord.HTTPException):
                guild = await self.bot.fetch_guild(guild_id)
        return guild.filesize_limit if guild is not None else DEFAULT_UPLOAD_LIMIT

    def reply(self, record: DiscordRecord) -> dict[str, Any]:
        """Send kwargs making a message a reply to the job's status message (no ping)."""
        if not record.message_id:
            return {}
        ref = discord.MessageReference(
            message_id=record.message_id, channel_id=record.channel_id, fail_if_not_exists=False
        )
        return {"reference": ref, "mention_author": False}

    async def edit_status(self, job: Job, *, create: bool = True, **fields: Any) -> bool:
        """Edit the job's status message (webhook while the token lives, else a channel reply, posted first
        when ``create``)."""
        r = self.record(job)
        if r.token_alive(self.clock()) and r.message_id:
            try:
                await self.webhook(r).edit_message(r.message_id, **fields)
                self._filled.add(job.id)
                return True
            except discord.HTTPException as exc:
                if not await self.token_died(job, exc):
                    log.info("job %s: status message not editable (%s)", job.id, exc)
                    if isinstance(exc, discord.NotFound):
                        self._on_gone(job.id)  # deleted (or its channel): don't retry it at every progress step
                    return False
                r = self.record(job)
        if r.token_only:
            return False  # the bot is no member there: no channel route (bot.edge.delivery, user installs)
        status_id = r.status_id
        if not status_id and not create:
            return False
        try:
            channel = await self.channel(r)
            if status_id:
                await channel.get_partial_message(status_id).edit(**fields)  # type: ignore[attr-defined]
                return True
            message = await channel.send(**fields, **self.reply(r), allowed_mentions=NO_PINGS)
        except (discord.NotFound, discord.Forbidden) as exc:
            # The message or channel is gone, or the bot may not post there: that will not heal during this
            # job, so no more status posts or edits for it (the result and a failure notice still try).
            log.info("job %s: no status message in this channel (%s); progress stops", job.id, exc)
            self._on_gone(job.id)
            return False
        await self.save(job.id, replace(r, status_message_id=message.id))
        return True

    async def forget_token(self, job: Job) -> None:
        """The job is shown for good: its interaction token (a credential for 15 minutes) leaves the database."""
        record = self.record(job)
        if record.token:
            try:
                await self.save(job.id, record.without_token())
            except Exception:
                log.info("job %s: token not scrubbed", job.id, exc_info=True)

    async def find_posted(self, job: Job) -> discord.Message | None:
        """The result message of an interrupted delivery, if it made it to the channel."""
        r = self.record(job)
        try:
            channel = await self.channel(r)
            return await find_posted(channel, self.bot.user.id, job, r.message_id)  # type: ignore[union-attr]
        except discord.HTTPException as exc:
            log.info("job %s: could not search for an earlier delivery (%s)", job.id, exc)
        return None
