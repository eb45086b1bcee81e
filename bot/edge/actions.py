"""One dispatcher for what a member does to a result message — ⏩ extend, 🔁 re-roll, ✏️ refine, ❌ delete (and 🔊
add sound, a button only) — whether they click one of its buttons (:mod:`bot.edge.views`) or react to it
(:mod:`cogs.reactions`).  ✏️ Refine is a button only: it opens a one-line form (bot.edge.forms) whose answer makes a
new version of the result from the result itself (:meth:`~bot.services.requests.remix.Remixer.check_refine`),
"refined from #12".

:class:`ResultActions` is given its services the way the cogs are: :class:`~bot.edge.client.VideoBot` builds it
from its App, registers the buttons bound to it (:meth:`~bot.edge.views.JobButton.bound_to`) and the reactions
cog's ``setup()`` hands it to the cog; nothing reaches through the Discord client for a service.

The two ways in differ only in how they answer, which :class:`Click` and :class:`Reaction` hold: a click has an
interaction (a public "thinking…" that becomes the job's status; a private answer to a delete); a reaction has
none (a status reply posted before the job exists; the vanished message is the answer to a delete).  Failures
are raised to the caller, which tells the member privately (:func:`~bot.edge.errors.report` for a click,
:func:`~bot.edge.errors.report_to` for a reaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import discord

from bot.edge.errors import NO_PINGS, report
from bot.edge.film import offer_shots
from bot.edge.forms import Answers, FormBook, OpenForm, text_field
from bot.edge.start import Starter, Submit, interaction_requester, reaction_requester
from bot.edge.translate import locale_of
from bot.edge.views import remove_take
from bot.errors import InvalidOption, InvalidRequest, JobNotFound, JobStateError, NotJobOwner
from bot.i18n import said
from bot.i18n import text as words
from bot.services.requests.generation import GenerationService, Requester, Submitted
from bot.services.requests.remix import Remixer
from bot.services.requests.sequence import Sequences
from bot.services.requests.sound import Sounds
from bot.services.web.gallery import GalleryService
from storage import Job


class Origin(Protocol):
    """Where an action came from, and how to answer there."""

    announces_first: ClassVar[bool]  # a public status is posted before the job exists (so refuse what we can first)

    @property
    def locale(self) -> str:
        """The member's Discord locale: the language of what they are told."""
        ...

    @property
    def message(self) -> discord.Message | None:
        """The result message acted on (None: a click whose message Discord did not send)."""
        ...

    def requester(self, status_id: int | None = None) -> Requester:
        """Who acts, with their permissions in the channel (the ownership checks)."""
        ...

    async def start(self, starter: Starter, verb: str, submit: Submit) -> None:
        """Acknowledge, submit, and show the new job's first status."""
        ...

    async def acknowledge_privately(self) -> None:
        """Before a delete: acknowledge where only the member sees it."""
        ...

    async def open_form(self, modal: discord.ui.Modal) -> None:
        """Show the member a form (a click can; a reaction cannot)."""
        ...

    async def tell(self, text: str) -> None:
        """After a delete: tell the member it is done."""
        ...


@dataclass
class Click:
    """A click on a result button."""

    interaction: discord.Interaction[Any]
    announces_first: ClassVar[bool] = False  # its status is the deferred response: a refusal replaces it privately

    @property
    def locale(self) -> str:
        return locale_of(self.interaction)

    @property
    def message(self) -> discord.Message | None:
        return self.interaction.message

    def requester(self, status_id: int | None = None) -> Requester:
        return interaction_requester(self.interaction, status_id)

    async def start(self, starter: Starter, verb: str, submit: Submit) -> None:
        await starter.from_interaction(self.interaction, submit)

    async def acknowledge_privately(self) -> None:
        await self.interaction.response.defer(ephemeral=True, thinking=True)

    async def tell(self, text: str) -> None:
        await self.interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)

    async def open_form(self, modal: discord.ui.Modal) -> None:
        await self.interaction.response.send_modal(modal)


@dataclass
class Reaction:
    """A reaction on a result message (no interaction: no token, no private response)."""

    user: discord.Member | discord.User
    channel: discord.abc.Messageable
    source: discord.Message
    locale: str = "en-US"  # a reaction carries none: ResultActions.reaction_locale finds it
    announces_first: ClassVar[bool] = True  # its status is a channel reply posted before submitting

    @property
    def message(self) -> discord.Message | None:
        return self.source

    def requester(self, status_id: int | None = None) -> Requester:
        return reaction_requester(self.user, self.source, status_id, self.locale)

    async def start(self, starter: Starter, verb: str, submit: Submit) -> None:
        await starter.from_reaction(self.user, self.channel, self.source, verb, submit, self.locale)

    async def acknowledge_privately(self) -> None:
        pass  # nothing to acknowledge: a reaction event expects no answer

    async def tell(self, text: str) -> None:
        pass  # the message going away is the answer

    async def open_form(self, modal: discord.ui.Modal) -> None:
        raise said(InvalidOption, "reaction.no_form")


class ResultActions:
    """Extend, re-roll or delete one job's result, from a click or a reaction alike."""

    def __init__(
        self,
        service: GenerationService,
        gallery: GalleryService,
        starter: Starter,
        remixer: Remixer,
        forms: FormBook,
        films: Sequences | None = None,
        sounds: Sounds | None = None,
    ):
        self.service = service
        self.gallery = gallery
        self.starter = starter
        self.films = films  # 🔁 on a /sequence film re-rolls one chosen shot
        self.sounds = sounds  # 🔊: sound for a silent clip
        self.remixer = remixer  # ✏️ refine: a video-to-video edit of the result
        self.forms = forms
        forms.handle("refine", self.refined)

    async def clicked(self, interaction: discord.Interaction[Any], action: str, job_id: int) -> None:
        """A result button was clicked: run its action; any failure is told privately (views have no on_error)."""
        try:
            await self.run(action, job_id, Click(interaction))
        except Exception as exc:
            await report(interaction, exc)

    async def reacted(
        self,
        user: discord.Member | discord.User,
        channel: discord.abc.Messageable,
        message: discord.Message,
        action: str,
        job_id: int,
        locale: str = "en-US",
    ) -> None:
        """A member reacted to a result message; a failure is raised to the cog, which tells them privately."""
        await self.run(action, job_id, Reaction(user, channel, message, locale))

    async def reaction_locale(self, user: discord.Member | discord.User, message: discord.Message, job_id: int) -> str:
        """The language to answer a reaction in (a reaction event carries no locale): the one the member used when
        they asked for the job they reacted to (its delivery record keeps it), else the server's, else English."""
        try:
            job = await self.service.get(job_id)
        except JobNotFound:
            job = None
        if job is not None and job.owner_id == user.id and job.delivery.get("locale"):
            return str(job.delivery["locale"])
        preferred = message.guild.preferred_locale if message.guild is not None else None
        return str(getattr(preferred, "value", preferred) or "en-US")

    async def run(self, action: str, job_id: int, origin: Origin) -> None:
        """Do ``action`` (``extend``, ``reroll`` or ``delete``) on ``job_id``'s result; a refusal is raised."""
        if action not in ("extend", "reroll", "refine", "delete", "sound"):
            raise ValueError(f"unknown result action {action!r}")
        if action == "delete":
            await self.delete(job_id, origin)
            return
        if action == "reroll" and self.films is not None and (await self.service.get(job_id)).kind == "sequence":
            if not isinstance(origin, Click):
                raise said(JobStateError, "reaction.film_reroll")
            await offer_shots(origin.interaction, self.films, job_id)
            return
        if action == "sound":
            await self.add_sound(job_id, origin)
            return
        if action == "refine":
            await self.refine(job_id, origin)
            return
        if action == "extend" and origin.announces_first:
            # refused before anything public is posted: a stranger's ⏩ leaves no trace in the channel
            await self.service.extendable(origin.requester(), job_id)
        method = self.service.extend if action == "extend" else self.service.reroll

        async def submit(who: Requester) -> Submitted:
            return await method(who, job_id)

        await origin.start(self.starter, words(origin.locale, f"doing.{action}", id=job_id), submit)

    async def add_sound(self, job_id: int, origin: Origin) -> None:
        """🔊: sound for a silent clip, heard from its picture (a new job in the clip's lineage)."""
        sounds = self.sounds
        if sounds is None or not sounds.available:
            raise said(InvalidRequest, "sound.offline")
        if origin.announces_first:
            await self.service.extendable(origin.requester(), job_id)  # a stranger's click leaves no trace

        async def submit(who: Requester) -> Submitted:
            return await sounds.add(who, job_id)

        await origin.start(self.starter, words(origin.locale, "doing.sound", id=job_id), submit)

    async def refinable(self, who: Requester, job_id: int) -> Job:
        """The job if ``who`` may refine it now: their own, finished, stored and not deleted."""
        job = await self.service.extendable(who, job_id)  # someone else's job is refused here
        if job.removed_at is not None:
            raise said(JobStateError, "refine.deleted", id=job_id)
        return job

    async def refine(self, job_id: int, origin: Origin) -> None:
        """✏️: the owner's own stored, undeleted result, and a model to refine it with; then the one-line form."""
        job = await self.refinable(origin.requester(), job_id)
        self.remixer.check_refine(job_id, "check")  # a video-to-video model exists
        label, title = words(origin.locale, "form.refine.change"), words(origin.locale, "form.refine.title", id=job_id)
        change = text_field(
            label, "change", required=True, placeholder=words(origin.locale, "example.refine"), max_length=200
        )
        await origin.open_form(self.forms.modal("refine", job.owner_id, title, change, job=job_id))

    async def refined(self, interaction: discord.Interaction[Any], form: OpenForm, answers: Answers) -> None:
        """The refine form was answered: a new version of the result, from the result itself."""
        request = self.remixer.check_refine(form.context["job"], answers.get("change"))
        await self.refinable(interaction_requester(interaction), form.context["job"])  # still so: before the defer

        async def submit(who: Requester) -> Submitted:
            return await self.remixer.remix(who, request, kind="refine")

        await self.starter.from_interaction(interaction, submit)

    async def delete(self, job_id: int, origin: Origin) -> None:
        """Delete a job's result (the job's owner, or a moderator): its take or message, its page and card."""
        await origin.acknowledge_privately()
        await check_can_delete(self.service, origin.requester(), job_id)
        if origin.message is not None:
            await remove_take(origin.message, job_id)
        await self.gallery.remove(job_id)  # its page and gallery card go too (410)
        await origin.tell(words(origin.locale, "delete.done", id=job_id))


async def check_can_delete(service: GenerationService, who: Requester, job_id: int) -> None:
    """Owner or moderator; a job that no longer exists may be deleted by moderators only."""
    try:
        await service.authorize(who, job_id)
    except JobNotFound:
        if not who.is_admin:
            raise said(NotJobOwner, "delete.not_owner_gone") from None
    except NotJobOwner:
        raise said(NotJobOwner, "delete.not_owner") from None
