"""The Discord delivery target: progress edits, the result message, failure notices.

While the interaction token lives (15 minutes, minus a safety margin) the status message is edited and
the result is posted through the interaction's webhook, under the interaction's upload limit.  After
that, progress goes to a reply in the channel and the result is a channel message replying to the
original, under the guild's limit.

Each job's :class:`~bot.edge.record.DiscordRecord` is kept in memory, each change written through at once.

Exactly once: before uploading, ``sending_at`` is written to the job's delivery record.  A repeated
``deliver`` (the bot died between posting and marking the job done) first looks for the result in the
channel's recent messages (footer ``job #N``); channel sends also carry a per-job nonce with
``enforce_nonce`` so Discord itself drops a duplicate.  The takes of one /variations request are delivered
together by :class:`~bot.edge.group.GroupPoster` (same guarantees).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

import discord

from bot.edge import embeds
from bot.edge.card import card_files, result_card
from bot.edge.channel import JobChannel
from bot.edge.group import GroupPoster
from bot.edge.posted import nonce_for
from bot.edge.record import DiscordRecord
from bot.edge.views import EMOJI_ACTIONS
from bot.errors import DeliveryError
from bot.services.delivery.grouping import TakeGroups, is_grouped
from bot.services.delivery.ladder import DeliveryPlan, Offer, Publisher
from bot.services.delivery.port import Progress, Receipt
from bot.services.delivery.stills import StillMaker, Stills
from bot.services.requests.generation import GenerationService
from storage import Job

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6  # ladder steps per delivery; each step goes strictly down the ladder
MAX_REMEMBERED = 10_000  # finished jobs whose in-memory notes are kept (bounded for long uptimes)


class DiscordDelivery:
    """``DeliveryTarget`` for ``{"kind": "discord"}`` jobs.  It owns a channel helper (:class:`JobChannel`: the
    record, the webhook or channel, the status message) and a group poster (:class:`GroupPoster`, the takes of
    one /variations request)."""

    kind = DiscordRecord.kind

    def __init__(
        self,
        bot: discord.Client,
        service: GenerationService,
        groups: TakeGroups,
        publisher: Publisher,
        interval: float,
        stills: StillMaker,
    ):
        self.bot = bot
        self.service = service
        self.publisher = publisher
        self.stills = stills  # the first and last frame on the result card
        self.interval = interval
        self._pending: dict[int, Progress] = {}
        self._last: dict[int, float] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._closed: dict[int, None] = {}  # finished jobs, oldest first (a dict keeps the order)
        self._background: set[asyncio.Task[Any]] = set()
        self.channel = JobChannel(bot, service, on_gone=self._close)
        self.group = GroupPoster(self.channel, groups, self.deliver_single, self._spawn, self._close)

    # --- progress --------------------------------------------------------------------------------------
    async def progress(self, update: Progress) -> None:
        """Coalesce updates; at most one edit per job per ``interval``, the newest state winning."""
        job_id = update.job.id
        if job_id in self._closed:
            return
        current = self._pending.get(job_id)
        if current is not None and current.job.updated_at > update.job.updated_at:
            return  # an older snapshot arrived late
        self._pending[job_id] = update
        if job_id not in self._tasks:
            self._tasks[job_id] = asyncio.create_task(self._flush(job_id), name=f"videobot-progress-{job_id}")

    async def _flush(self, job_id: int) -> None:
        try:
            while job_id in self._pending:
                wait = self._last.get(job_id, 0.0) + self.interval - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                update = self._pending.pop(job_id, None)
                if update is None or job_id in self._closed:
                    break
                self._last[job_id] = time.monotonic()
                embed = embeds.status_embed(
                    update.job, update.queue_position, update.provider_queue, update.seconds_left
                )
                # shielded: discord.py cancelled in its global rate-limit sleep never reopens its global lock
                await asyncio.shield(self._spawn(self.channel.edit_status(update.job, embed=embed), f"status-{job_id}"))
        except Exception:
            log.warning("progress edit for job %s failed", job_id, exc_info=True)
        finally:
            self._tasks.pop(job_id, None)

    async def show_now(self, job: Job, queue_position: int = 0) -> None:
        """The first status, shown at once (it also replaces the "thinking…" placeholder)."""
        self._last[job.id] = time.monotonic()
        await self.channel.edit_status(job, embed=embeds.status_embed(job, queue_position))

    def _close(self, job_id: int) -> None:
        """No more progress for this job (its result or failure is being shown)."""
        self._closed[job_id] = None
        if len(self._closed) > MAX_REMEMBERED:  # forget the oldest half; they are long done
            for old in list(self._closed)[: MAX_REMEMBERED // 2]:
                self._closed.pop(old, None)
                self.channel.forget(old)
        self._pending.pop(job_id, None)
        self._last.pop(job_id, None)
        task = self._tasks.pop(job_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def aclose(self) -> None:
        """Cancel pending progress edits (shutdown)."""
        for job_id in list(self._tasks):
            self._close(job_id)
        for task in list(self._background):
            task.cancel()

    def _spawn(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``work`` in a task of its own, kept until it ends (a cancelled caller does not cancel it)."""
        task = asyncio.create_task(work, name=f"videobot-{name}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    # --- the result --------------------------------------------------------------------------------------
    async def deliver(self, job: Job, video: Path) -> Receipt:
        """Post the result; the takes of one /variations request together (bot.edge.group)."""
        if is_grouped(job):
            self._close(job.id)
            return await self.group.deliver_group(job, video)
        return await self.deliver_single(job, video)

    async def deliver_single(self, job: Job, video: Path) -> Receipt:
        """Post the result (attach / re-encode / link); repeat-safe, see the module docstring."""
        self._close(job.id)
        job = await self.service.get(job.id)
        r = self.channel.record(job)
        if r.sending_at:
            earlier = await self.channel.find_posted(job)
            if earlier is not None:
                log.info("job %s: result was already posted as message %s", job.id, earlier.id)
                return Receipt(message_id=earlier.id)
        r = await self.channel.save(job.id, replace(r, sending_at=time.time()))
        via_webhook = r.token_alive()
        if via_webhook:  # fills the "thinking…" placeholder if it still is one, so the result is a new message
            with contextlib.suppress(discord.HTTPException):
                await self.channel.edit_status(job, embed=embeds.status_embed(job))
            via_webhook = self.channel.record(job).token_alive()
        limit = r.upload_limit if via_webhook else await self.channel.guild_limit(r)
        plan = self.publisher.plan(job, video, limit)
        offer = await plan.first()
        stills = await self.stills.make(job.id, video)
        try:
            message, offer = await self._climb(job, video, r, plan, offer, via_webhook, stills)
        finally:
            if stills is not None:
                stills.remove()
        # Reactions and the "done" edit run after the job is marked done, so a quick ⏩ finds it finished.
        self._spawn(self._decorate(job, message), f"decorate-{job.id}")
        return Receipt(message_id=message.id, url=offer.url)

    async def _climb(
        self,
        job: Job,
        video: Path,
        r: DiscordRecord,
        plan: DeliveryPlan,
        offer: Offer,
        via_webhook: bool,
        stills: Stills | None,
    ) -> tuple[discord.Message, Offer]:
        """Post, going down the ladder's rungs (attach → fitted → link) as Discord refuses; the posted offer."""
        for _ in range(MAX_ATTEMPTS):
            try:
                return await self._post(job, offer, via_webhook, stills), offer
            except discord.HTTPException as exc:
                if exc.status == 413 and offer.attaches:
                    log.info("job %s: %d bytes refused as too large; dropping a rung", job.id, offer.size_bytes)
                    offer = await plan.after_refusal(offer)
                elif exc.status == 413 and stills is not None:
                    stills = None  # even the two frames are over this limit: the card goes without them
                elif exc.status == 403 and exc.code == 50013 and (offer.attaches or stills is not None):
                    stills = None  # no Attach Files here: no frames, and a link instead of the clip
                    if offer.attaches:
                        offer = await plan.after_failure(offer)
                elif via_webhook and await self.channel.token_died(job, exc):
                    via_webhook = False
                    plan = self.publisher.plan(job, video, await self.channel.guild_limit(r))
                    offer = await plan.first()
                else:  # 5xx: Discord is struggling, worth another try later; a 4xx (channel gone) will not heal
                    retry = exc.status >= 500
                    raise DeliveryError(detail=f"posting the result failed: {exc}", retryable=retry) from exc
        raise DeliveryError(detail=f"no rung of the delivery ladder worked for job {job.id}")

    async def _post(self, job: Job, offer: Offer, via_webhook: bool, stills: Stills | None) -> discord.Message:
        """Post the result card (bot.edge.card): a Components V2 message, no content and no embeds."""
        r = self.channel.record(job)
        kwargs: dict[str, Any] = {
            "view": result_card(job, offer, with_stills=stills is not None),
            "files": card_files(job, offer, stills),
            "allowed_mentions": discord.AllowedMentions(
                everyone=False, roles=False, users=[discord.Object(job.owner_id)], replied_user=False
            ),
        }
        if via_webhook:
            return await self.channel.webhook(r).send(wait=True, **kwargs)
        channel = await self.channel.channel(r)
        return await channel.send(nonce=nonce_for(job), **self.channel.reply(r), **kwargs)

    async def _decorate(self, job: Job, message: discord.Message) -> None:
        """Reactions on the result and a link to it from the status message (best effort)."""
        for emoji in EMOJI_ACTIONS:
            try:
                await message.add_reaction(emoji)
            except discord.HTTPException as exc:
                log.info("job %s: could not add %s (%s)", job.id, emoji, exc)
                break
        url = embeds.jump_url(job.guild_id, message.channel.id, message.id)
        try:
            await self.channel.edit_status(job, embed=embeds.done_embed(job, url), create=False)
        except discord.HTTPException as exc:
            log.info("job %s: status message not updated (%s)", job.id, exc)
        await self.channel.forget_token(job)

    # --- failure ------------------------------------------------------------------------------------------
    async def failed(self, job: Job, message: str) -> None:
        """Turn the status message into the failure notice (or reply with it when that is gone)."""
        self._close(job.id)
        embed = embeds.failed_embed(job, message)
        try:
            if await self.channel.edit_status(job, embed=embed, create=False):
                return
            channel = await self.channel.channel(self.channel.record(job))
            await channel.send(
                content=f"<@{job.owner_id}>",
                embed=embed,
                allowed_mentions=discord.AllowedMentions(
                    everyone=False, roles=False, users=[discord.Object(job.owner_id)]
                ),
            )
        except discord.HTTPException as exc:
            log.warning("job %s: failure notice not shown (%s)", job.id, exc)
        finally:
            await self.channel.forget_token(job)
