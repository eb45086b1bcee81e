"""The takes of one /variations request delivered together (the Discord side of
:mod:`bot.services.delivery.grouping`).

A take that is made (DELIVERING) waits, parked (:class:`bot.services.delivery.port.NotYet`, no attempt counted),
until every sibling is made or final, bounded by the job deadlines.  Then the poster (the lowest-id DELIVERING take no
decision holds yet) stores its decision in its own record *before* posting anything: which takes, and whether
they go in one message (every clip under the upload limit, the interaction's ``attachment_size_limit`` while
its token lives, else the guild's, and at most 10 files) or one message per take (each take then runs the
usual ladder: re-encode, link).  A failed or cancelled take was refunded alone and is left out; a group of one
is an ordinary result.

Exactly once across crashes: the decision and ``sending_at`` are written in one save before the upload; a
repeat finds the group message by its footer (``job #N``, one embed per take) and channel sends carry the
poster's nonce.  Once the message id is stored every other take of the group finishes with it.  The group
message has one row of Extend / Re-roll / Delete buttons per take (``Extend 2/4``); their custom ids name the
take's job, so each acts on its own take (Delete removes only that take from the message).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

import discord

from bot.edge import embeds
from bot.edge.channel import JobChannel
from bot.edge.posted import nonce_for
from bot.edge.record import DiscordRecord
from bot.edge.views import group_view
from bot.errors import DeliveryError
from bot.services.delivery import grouping
from bot.services.delivery.grouping import Decision, TakeGroups
from bot.services.delivery.port import NotYet, Receipt
from storage import Job

log = logging.getLogger(__name__)

MAX_FILES = 10  # attachments per message


class GroupPoster:
    """``deliver_group`` for /variations takes, owned by :class:`bot.edge.delivery.DiscordDelivery`: it posts
    through the target's :class:`~bot.edge.channel.JobChannel`; a take shown alone goes back to the target's
    ``deliver_single``; ``spawn`` runs background work the target cancels at shutdown; ``close`` ends a take's
    progress; ``pings`` says who the group's message may notify (the target's rule for late results)."""

    def __init__(
        self,
        channel: JobChannel,
        groups: TakeGroups,
        deliver_single: Callable[[Job, Path], Awaitable[Receipt]],
        spawn: Callable[[Coroutine[Any, Any, Any], str], asyncio.Task[Any]],
        close: Callable[[int], None],
        pings: Callable[[Job], Awaitable[discord.AllowedMentions]],
    ):
        self.channel = channel
        self.groups = groups
        self.deliver_single = deliver_single
        self._spawn = spawn
        self._close = close
        self._pings = pings  # who the group's message may notify (the owner, when it came late)
        self._waits: dict[int, int] = {}  # take -> how many of its group were ready when its status last said so

    # --- the group ----------------------------------------------------------------------------------------
    def _decision(self, take: Job, mine: int) -> Decision | None:
        record = self.channel.record(take) if take.id == mine else DiscordRecord.from_json(take.delivery)
        if not record.group_ids:
            return None
        return Decision(take.id, record.group_ids, record.group_together, record.group_message_id)

    async def deliver_group(self, job: Job, video: Path) -> Receipt:
        """Deliver one take: with its group, alone, or not yet (see the module docstring)."""
        takes = await self.groups.siblings(job)
        job = next(t for t in takes if t.id == job.id)
        decisions = grouping.live_decisions(takes, lambda t: self._decision(t, job.id))
        held = grouping.covering(decisions, job.id)
        if held is not None:
            if held.poster_id == job.id:
                return await self._post_decided(job, takes, held, video)
            if not held.together:
                return await self.deliver_single(job, video)
            if held.message_id:
                return Receipt(message_id=held.message_id)
            raise NotYet(grouping.WAIT_STEP, f"waiting for #{held.poster_id} to post the variations")
        if not all(grouping.ready(t) for t in takes) and not self.groups.wait_is_over(takes):
            await self._show_wait(job, sum(grouping.ready(t) for t in takes), len(takes))
            raise NotYet(grouping.WAIT_STEP, "waiting for the other variations to be made")
        group = [t for t in grouping.members(takes, decisions) if t.result_path and Path(t.result_path).exists()]
        if not group or group[0].id != job.id:
            raise NotYet(grouping.WAIT_STEP, "another variation posts the group")
        if len(group) == 1:
            return await self.deliver_single(job, video)  # the others failed or were shown already
        record = self.channel.record(job)
        limit = record.upload_limit if record.token_alive() else await self.channel.guild_limit(record)
        sizes = [Path(str(t.result_path)).stat().st_size for t in group]
        together = len(group) <= MAX_FILES and max(sizes) <= limit
        log.info(
            "job %s: posting variations %s %s",
            job.id,
            [t.id for t in group],
            "together" if together else "one message each",
        )
        record = replace(
            record,
            group_ids=tuple(t.id for t in group),
            group_together=together,
            sending_at=time.time() if together else None,
        )
        await self.channel.save(job.id, record)
        held = Decision(job.id, record.group_ids, together, None)
        return await self._post_decided(job, takes, held, video)

    async def _show_wait(self, job: Job, ready: int, total: int) -> None:
        """The take's status says it is made and waits for its siblings (edited when that count changes)."""
        if self._waits.get(job.id) == ready:
            return
        self._waits[job.id] = ready
        if len(self._waits) > 10_000:  # bounded for long uptimes: forget the oldest
            self._waits.pop(next(iter(self._waits)))
        try:
            await self.channel.edit_status(
                job, embed=embeds.waiting_embed(job, ready, total, self.channel.record(job).locale)
            )
        except discord.HTTPException as exc:
            log.info("job %s: waiting status not shown (%s)", job.id, exc)

    async def _post_decided(self, job: Job, takes: list[Job], held: Decision, video: Path) -> Receipt:
        """The poster's part, resumed from its stored decision."""
        if not held.together:
            return await self.deliver_single(job, video)
        group = [t for t in takes if t.id in held.ids and t.state not in grouping.GONE]
        if held.message_id:
            return Receipt(message_id=held.message_id)
        record = self.channel.record(job)
        if record.sending_at:
            earlier = await self.channel.find_posted(job)
            if earlier is not None:
                log.info("job %s: the variations were already posted as message %s", job.id, earlier.id)
                return await self._posted(job, group, earlier)
        else:
            await self.channel.save(job.id, replace(record, sending_at=time.time()))
        via_webhook = self.channel.record(job).token_alive()
        if via_webhook:  # fills the "thinking…" placeholder if it still is one, so the result is a new message
            with contextlib.suppress(discord.HTTPException):
                await self.channel.edit_status(job, embed=embeds.status_embed(job))
            via_webhook = self.channel.record(job).token_alive()
        try:
            message = await self._send(job, group, via_webhook)
        except discord.HTTPException as exc:
            if exc.status == 413 or (exc.status == 403 and exc.code == 50013):
                log.info("job %s: the variations do not go in one message (%s); one message each", job.id, exc)
                await self.channel.save(
                    job.id, replace(self.channel.record(job), group_together=False, sending_at=None)
                )
                return await self.deliver_single(job, video)
            if via_webhook and await self.channel.token_died(job, exc):
                raise DeliveryError(
                    detail="the interaction token died; posting in the channel next", retryable=True
                ) from exc
            raise DeliveryError(detail=f"posting the variations failed: {exc}", retryable=exc.status >= 500) from exc
        return await self._posted(job, group, message)

    async def _send(self, job: Job, group: list[Job], via_webhook: bool) -> discord.Message:
        record = self.channel.record(job)
        kwargs: dict[str, Any] = {
            "content": embeds.group_content(group, record.locale),
            "embeds": [
                embeds.result_embed(group[0], record.locale),
                *(embeds.take_embed(t, record.locale) for t in group[1:]),
            ],
            "view": group_view(group, record.locale),
            "files": [discord.File(str(t.result_path), filename=f"videobot-{t.id}.mp4") for t in group],
            "allowed_mentions": await self._pings(job),
        }
        if via_webhook:
            return await self.channel.webhook(record).send(wait=True, **kwargs)
        channel = await self.channel.channel(record)
        return await channel.send(nonce=nonce_for(job), **self.channel.reply(record), **kwargs)

    async def _posted(self, job: Job, group: list[Job], message: discord.Message) -> Receipt:
        """Store the group's message id (every take of it then finishes with it) and link the status messages."""
        await self.channel.save(job.id, replace(self.channel.record(job), group_message_id=message.id))
        self._spawn(self._link_statuses(group, message), f"group-{job.id}")
        return Receipt(message_id=message.id)

    async def _link_statuses(self, group: list[Job], message: discord.Message) -> None:
        """Each take's status message points at the group message; tokens leave the database (best effort)."""
        url = embeds.jump_url(group[0].guild_id, message.channel.id, message.id)
        for take in group:
            self._close(take.id)
            self._waits.pop(take.id, None)
            try:
                await self.channel.edit_status(take, embed=embeds.done_embed(take, url), create=False)
            except discord.HTTPException as exc:
                log.info("job %s: status message not updated (%s)", take.id, exc)
            await self.channel.forget_token(take)
