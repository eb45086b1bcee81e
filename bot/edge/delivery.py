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

Where the app is installed on the member and the bot is no member (a DM between members, a group DM, a server
without the bot: the record's ``token_only``), the interaction token is the only route: no channel messages, no
reactions, at most ``followup_cap`` followups (5 when only the user's install authorised the command), nothing
after the token's 15 minutes.  A result that can no longer be sent there is KEPT
(:meth:`~bot.services.delivery.ladder.DeliveryPlan.kept`): on its page and in /history.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

import discord

from bot.edge import embeds
from bot.edge.card import card_files, result_card
from bot.edge.channel import JobChannel
from bot.edge.errors import NO_PINGS
from bot.edge.film import question_text, question_view
from bot.edge.group import GroupPoster
from bot.edge.posted import nonce_for
from bot.edge.record import DiscordRecord
from bot.edge.start import AckFirst
from bot.edge.views import EMOJI_ACTIONS
from bot.errors import DeliveryError
from bot.i18n import in_language
from bot.services.delivery.grouping import TakeGroups, is_grouped
from bot.services.delivery.ladder import DeliveryPlan, Offer, Publisher
from bot.services.delivery.notify import Notifier
from bot.services.delivery.port import Progress, Receipt, ShotQuestion
from bot.services.delivery.stills import StillMaker, Stills
from bot.services.requests.generation import GenerationService
from storage import Job, JobState

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6  # ladder steps per delivery; each step goes strictly down the ladder
MAX_REMEMBERED = 10_000  # finished jobs whose in-memory notes are kept (bounded for long uptimes)
MAX_FOLLOWUPS_CODE = 40094  # "This interaction has hit the maximum number of follow up messages"
FINISHING = frozenset({JobState.DOWNLOADING, JobState.POSTPROCESSING, JobState.DELIVERING})
DECORATE_WAIT = 3.0  # a result's reactions and "done" edit wait at most this long for other results being posted
FINISHING_GRACE = 3.0  # a finishing job's progress is shown only if its result has not come this long after


def _remove_stills(making: asyncio.Future[Stills | None]) -> None:
    """A delivery's card frames, once made: deleted (posted or not)."""
    if not making.cancelled() and making.exception() is None and (stills := making.result()) is not None:
        stills.remove()


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
        notifier: Notifier,
        stills: StillMaker,
    ):
        self.bot = bot
        self.service = service
        self.publisher = publisher
        self.stills = stills  # the first and last frame on the result card
        self.interval = interval
        self.sound_offered = False  # a sound model is enabled: a silent result gets 🔊 Add sound
        self._pending: dict[int, Progress] = {}
        self._last: dict[int, float] = {}
        self._finishing: dict[int, float] = {}  # when each job's first finishing update came (FINISHING_GRACE)
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._closed: dict[int, None] = {}  # finished jobs, oldest first (a dict keeps the order)
        self._background: set[asyncio.Task[Any]] = set()
        self.clock: Callable[[], float] = time.time  # when tokens expire and results are late (tests move it)
        self.channel = JobChannel(bot, service, on_gone=self._close, clock=lambda: self.clock())
        self.notifier = notifier  # a late result mentions its owner once (bot.services.delivery.notify)
        self.ack_first = AckFirst()  # the Starter's: commands being acknowledged go before progress edits
        self.posting = AckFirst(DECORATE_WAIT)  # results being posted go before other results' decorations
        self.group = GroupPoster(self.channel, groups, self.deliver_single, self._spawn, self._close, self.pings)

    # --- progress --------------------------------------------------------------------------------------
    async def progress(self, update: Progress) -> None:
        """Coalesce updates; at most one edit per job per ``interval``, the newest state winning.  Once the
        provider has finished (downloading, checking, uploading: ``FINISHING``) an update waits up to
        ``FINISHING_GRACE`` seconds first: the result usually comes sooner and the "done" edit replaces it, so a
        burst of results is not slowed by an edit per job that nobody would have seen for long."""
        job_id = update.job.id
        if job_id in self._closed:
            return
        current = self._pending.get(job_id)
        if current is not None and current.job.updated_at > update.job.updated_at:
            return  # an older snapshot arrived late
        if update.job.state in FINISHING:
            self._finishing.setdefault(job_id, time.monotonic())
        else:  # (back to polling: a provider that said "succeeded" too early)
            self._finishing.pop(job_id, None)
        self._pending[job_id] = update
        if job_id not in self._tasks:
            self._tasks[job_id] = asyncio.create_task(self._flush(job_id), name=f"videobot-progress-{job_id}")

    async def _flush(self, job_id: int) -> None:
        try:
            while job_id in self._pending:
                wait = self._last.get(job_id, 0.0) + self.interval - time.monotonic()
                if job_id in self._finishing:
                    wait = max(wait, self._finishing[job_id] + FINISHING_GRACE - time.monotonic())
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue  # (what is pending may have changed: a finishing update waits longer)
                await self.ack_first.settled()  # a progress edit never goes before a command's acknowledgement
                update = self._pending.pop(job_id, None)
                if update is None or job_id in self._closed:
                    break
                self._last[job_id] = time.monotonic()
                embed = embeds.status_embed(
                    update.job,
                    update.queue_position,
                    update.provider_queue,
                    update.seconds_left,
                    update.stage,
                    update.status,
                    locale=self.channel.record(update.job).locale,
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
        locale = self.channel.record(job).locale
        await self.channel.edit_status(job, embed=embeds.status_embed(job, queue_position, locale=locale))

    def _close(self, job_id: int) -> None:
        """No more progress for this job (its result or failure is being shown)."""
        self._closed[job_id] = None
        if len(self._closed) > MAX_REMEMBERED:  # forget the oldest half; they are long done
            for old in list(self._closed)[: MAX_REMEMBERED // 2]:
                self._closed.pop(old, None)
                self.channel.forget(old)
        self._pending.pop(job_id, None)
        self._last.pop(job_id, None)
        self._finishing.pop(job_id, None)
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
        # The card's first and last frame are made while the record is saved and the route worked out; they are
        # deleted once the delivery ends, used or not (Discord keeps its copy).
        making = asyncio.ensure_future(self.stills.make(job.id, video))
        try:
            async with self.posting.acking():
                return await self._send(job, video, r, making)
        finally:
            making.add_done_callback(_remove_stills)

    async def _send(self, job: Job, video: Path, r: DiscordRecord, making: asyncio.Future[Stills | None]) -> Receipt:
        """:meth:`deliver_single` from the repeat check on (``making``: the card's frames, being made)."""
        r = await self.channel.save(job.id, replace(r, sending_at=time.time()))
        via_webhook = r.can_follow_up(self.clock())
        if via_webhook and not self.channel.filled(job.id):
            # fills the "thinking…" placeholder if it may still be one (this process has not edited it: a restart,
            # a failed first status), so the result is a new message; its progress edits are replaced by the
            # "done" edit after the post anyway
            with contextlib.suppress(discord.HTTPException):
                await self.channel.edit_status(job, embed=embeds.status_embed(job, locale=r.locale))
            via_webhook = self.channel.record(job).can_follow_up(self.clock())
        limit = r.upload_limit if via_webhook or r.token_only else await self.channel.guild_limit(r)
        plan = self.publisher.plan(job, video, limit)
        if not via_webhook and r.token_only:
            return await self._keep(job, plan)
        offer = await plan.first()
        stills = await making
        posted = await self._climb(job, video, r, plan, offer, via_webhook, stills)
        if posted is None:
            return await self._keep(job, plan)
        message, offer, via_webhook = posted
        r = self.channel.record(job)
        if via_webhook and r.followup_cap is not None:  # counted only where Discord caps them
            await self.channel.save(job.id, replace(r, followups=r.followups + 1))
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
    ) -> tuple[discord.Message, Offer, bool] | None:
        """Post, going down the ladder's rungs (attach → fitted → link) as Discord refuses: the message, the posted
        offer and whether it went through the interaction token; None when no route is left (a user install
        whose token is spent)."""
        for _ in range(MAX_ATTEMPTS):
            try:
                return await self._post(job, offer, via_webhook, stills), offer, via_webhook
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
                elif (
                    via_webhook
                    and r.token_only
                    and (exc.code == MAX_FOLLOWUPS_CODE or await self.channel.token_died(job, exc))
                ):
                    return None  # the token was the only route there: the result is kept on its page
                elif via_webhook and await self.channel.token_died(job, exc):
                    via_webhook = False
                    plan = self.publisher.plan(job, video, await self.channel.guild_limit(r))
                    offer = await plan.first()
                else:  # 5xx: Discord is struggling, worth another try later; a 4xx (channel gone) will not heal
                    retry = exc.status >= 500
                    raise DeliveryError(detail=f"posting the result failed: {exc}", retryable=retry) from exc
        raise DeliveryError(detail=f"no rung of the delivery ladder worked for job {job.id}")

    async def _keep(self, job: Job, plan: DeliveryPlan) -> Receipt:
        """No route to the member is left (the bot is no member there and the token is spent or expired): the
        result is kept on its page and in /history."""
        offer = plan.kept()
        log.info("job %s: no route left where the app is user-installed; kept on its page (%s)", job.id, offer.url)
        await self.channel.forget_token(job)
        return Receipt(url=offer.url)

    async def pings(self, job: Job) -> discord.AllowedMentions:
        """Who a result message may notify: its owner when the result came late and they want it, else no one
        (the mention still shows); never anyone else."""
        ping = await self.notifier.should_ping(job, self.clock())
        users = [discord.Object(job.owner_id)] if ping else []
        return discord.AllowedMentions(everyone=False, roles=False, users=users, replied_user=False)

    async def _post(self, job: Job, offer: Offer, via_webhook: bool, stills: Stills | None) -> discord.Message:
        """Post the result card (bot.edge.card): a Components V2 message, no content and no embeds."""
        r = self.channel.record(job)
        add_sound = job.result_audio is False and self.sound_offered
        kwargs: dict[str, Any] = {
            "view": result_card(
                job,
                offer,
                with_stills=stills is not None,
                locale=r.locale,
                shots=await self._shot_list(job),
                add_sound=add_sound,
            ),
            "files": card_files(job, offer, stills),
            "allowed_mentions": await self.pings(job),
        }
        if via_webhook:
            return await self.channel.webhook(r).send(wait=True, **kwargs)
        channel = await self.channel.channel(r)
        return await channel.send(nonce=nonce_for(job), **self.channel.reply(r), **kwargs)

    async def _shot_list(self, job: Job) -> list[tuple[int, str, str | None]]:
        """A /sequence film's shots as its result lists them: place, description, the shot's page (when the
        web server runs); a film made in one task lists its planned shots, without pages."""
        if job.kind != "sequence":
            return []
        planned = [str(s.get("subject") or "") for s in job.spec.get("shots") or ()]
        if not job.inputs.source_jobs:
            return [(n, text, None) for n, text in enumerate(planned, start=1)]
        links = self.publisher.links
        out = []
        for shot_id in job.inputs.source_jobs:
            with contextlib.suppress(Exception):
                shot = await self.service.get(shot_id)
                n = shot.inputs.shot or 0
                text = planned[n - 1] if 0 < n <= len(planned) else str(shot.spec.get("subject") or "")
                out.append((n, text, links.link_for(shot.id) if links is not None else None))
        return out

    async def _decorate(self, job: Job, message: discord.Message) -> None:
        """Reactions on the result and a link to it from the status message (best effort), once no other result
        is being posted (at most ``DECORATE_WAIT`` seconds later): a burst's results first, then their trimmings."""
        await self.posting.settled()
        for emoji in () if self.channel.record(job).token_only else EMOJI_ACTIONS:  # no reactions there
            try:
                await message.add_reaction(emoji)
            except discord.HTTPException as exc:
                log.info("job %s: could not add %s (%s)", job.id, emoji, exc)
                break
        url = embeds.jump_url(job.guild_id, message.channel.id, message.id)
        try:
            locale = self.channel.record(job).locale
            await self.channel.edit_status(job, embed=embeds.done_embed(job, url, locale), create=False)
        except discord.HTTPException as exc:
            log.info("job %s: status message not updated (%s)", job.id, exc)
        await self.channel.forget_token(job)

    # --- failure ------------------------------------------------------------------------------------------
    async def ask_shot(self, question: ShotQuestion) -> None:
        """A film's shot failed twice: ask its member privately (an ephemeral followup while the film's token
        lives, else a channel reply naming them), with the two buttons (:mod:`bot.edge.film`)."""
        job = question.film
        record = self.channel.record(job)
        text, view = question_text(question, record.locale), question_view(question, record.locale)
        if record.token_alive():
            try:
                await self._followups(record).send(text, view=view, ephemeral=True, allowed_mentions=NO_PINGS)
                return
            except discord.HTTPException as exc:
                if not await self.channel.token_died(job, exc):
                    raise
        channel = await self.channel.channel(record)
        await channel.send(
            f"<@{job.owner_id}> {text}"[:2000],
            view=view,
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=[discord.Object(job.owner_id)]),
            **self.channel.reply(record),
        )

    def _followups(self, record: DiscordRecord) -> discord.Webhook:
        """The interaction's own webhook, as discord.py builds it for ``interaction.followup`` (an application
        webhook: the only kind that may send ephemeral messages)."""
        data: Any = {"id": str(record.application_id), "type": 3, "token": str(record.token)}
        return discord.Webhook.from_state(data=data, state=self.bot._connection)

    async def failed(self, job: Job, message: str) -> None:
        """Turn the status message into the failure notice (or reply with it when that is gone)."""
        self._close(job.id)
        locale = self.channel.record(job).locale
        embed = embeds.failed_embed(job, in_language(locale, message), locale)
        try:
            if await self.channel.edit_status(job, embed=embed, create=False) or self.channel.record(job).token_only:
                return  # shown; or the token was the only route and it is spent
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
