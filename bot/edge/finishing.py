"""⬆️ Finish on Discord: the button on every result, the private quote with its **Finish** / **Cancel** buttons,
and what a click on them does (/finish shows the same quote, :mod:`cogs.finish`).

The quote's buttons carry the whole quote in their custom ids
(``videobot:finish-go:<job>:<resolution>:<fps>:<issued at>:<model>``), so a quote needs no store and still works
after a restart; the service checks everything again on **Finish** (whose job, its age, the model), so a crafted
or stale id is refused privately and charges nothing.  A quote older than ten minutes is answered with a fresh
one.
"""

from __future__ import annotations

import logging
import re
from typing import Any, ClassVar

import discord

from bot.edge.errors import NO_PINGS, explain, report
from bot.edge.start import Starter, interaction_requester
from bot.edge.translate import locale_of, words_for
from bot.errors import StaleConfirmation
from bot.i18n import in_language
from bot.i18n import text as words
from bot.services.money.costs import dollars
from bot.services.money.quota import format_seconds
from bot.services.requests.finishing import QUOTE_TTL, Finisher, FinishQuote
from bot.services.requests.requester import Requester, Submitted

log = logging.getLogger(__name__)

FINISH = ("Finish", "⬆️", discord.ButtonStyle.success)
FINISH_ID = re.compile(r"videobot:finish:(?P<job_id>[0-9]{1,18})")
CHOICE_ID = re.compile(
    r"videobot:finish-(?P<act>go|cancel):(?P<job_id>[0-9]{1,18}):(?P<res>1080p|2k|4k|-):(?P<fps>[0-9]{1,3}|-)"
    r":(?P<issued>[0-9]{1,12}):(?P<model>[a-z0-9][a-z0-9:._-]{0,59})"
)


def quote_embed(quote: FinishQuote, locale: str | None = None) -> discord.Embed:
    """The private quote: what it makes, on which model, for what price and quota seconds (in ``locale``)."""

    def say(key: str, /, **params: object) -> str:
        return words(locale, key, **params)

    embed = discord.Embed(title=f"⬆️ {say('finish.title', id=quote.job_id)}", colour=discord.Colour.green())
    makes = say("finish.size", width=quote.width, height=quote.height, fps=f"{quote.out_fps:g}")
    embed.add_field(name=say("finish.makes"), value=makes, inline=True)
    source = say("finish.size", width=quote.source_width, height=quote.source_height, fps=f"{quote.source_fps:g}")
    embed.add_field(name=say("field.from"), value=source, inline=True)
    embed.add_field(name=say("field.model"), value=quote.model, inline=True)
    price = say("finish.free") if quote.price_usd == 0 else say("finish.about", amount=dollars(quote.price_usd))
    embed.add_field(name=say("finish.price"), value=price, inline=True)
    seconds = say("finish.no_quota") if quote.quota_seconds == 0 else format_seconds(quote.quota_seconds)
    embed.add_field(name=say("finish.quota"), value=seconds, inline=True)
    takes = say("finish.about", amount=f"{quote.eta_seconds:.0f} s")
    embed.add_field(name=say("finish.takes"), value=takes, inline=True)
    lines = [
        *(in_language(locale, note) for note in quote.notes),
        say("finish.nothing_charged", minutes=f"{QUOTE_TTL / 60:.0f}"),
    ]
    embed.description = "\n".join(lines)
    return embed


def _custom_id(act: str, quote: FinishQuote) -> str:
    return (
        f"videobot:finish-{act}:{quote.job_id}:{quote.resolution or '-'}:{quote.fps or '-'}"
        f":{int(quote.issued_at)}:{quote.model}"
    )


def quote_view(quote: FinishQuote, locale: str | None = None) -> discord.ui.View:
    """**Finish** and **Cancel** for one quote."""
    view = discord.ui.View(timeout=None)
    go, cancel = words(locale, "button.finish"), words(locale, "button.cancel")
    view.add_item(FinishChoice(_custom_id("go", quote), go, discord.ButtonStyle.success, "⬆️"))
    view.add_item(FinishChoice(_custom_id("cancel", quote), cancel, discord.ButtonStyle.secondary, None))
    view.stop()
    return view


class FinishActions:
    """What the ⬆️ button, /finish and the quote's buttons do."""

    def __init__(self, finisher: Finisher, starter: Starter):
        self.finisher = finisher
        self.starter = starter

    async def show_quote(
        self,
        interaction: discord.Interaction[Any],
        job_id: int,
        resolution: str | None,
        fps: int | None,
        note: str = "",
    ) -> None:
        """Quote privately (acknowledging first when nothing has answered the interaction yet)."""
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        quote = await self.finisher.quote(interaction_requester(interaction), job_id, resolution, fps)
        locale = locale_of(interaction)
        await interaction.followup.send(
            note,
            embed=quote_embed(quote, locale),
            view=quote_view(quote, locale),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    async def clicked_finish(self, interaction: discord.Interaction[Any], job_id: int) -> None:
        """⬆️ on a result: its quote at the defaults (1080p, 60 fps), privately."""
        try:
            await self.show_quote(interaction, job_id, None, None)
        except Exception as exc:
            await report(interaction, exc)

    async def clicked_choice(self, interaction: discord.Interaction[Any], match: re.Match[str]) -> None:
        """**Finish** or **Cancel** on a quote; every refusal is private."""
        job_id = int(match["job_id"])
        resolution = None if match["res"] == "-" else match["res"]
        fps = None if match["fps"] == "-" else int(match["fps"])
        try:
            if match["act"] == "cancel":
                await interaction.response.edit_message(
                    content=words_for(interaction, "finish.cancelled", id=job_id), embed=None, view=None
                )
                return
            await self._confirm(interaction, job_id, resolution, fps, match["model"], float(match["issued"]))
        except Exception as exc:
            await report(interaction, exc)

    async def _confirm(
        self,
        interaction: discord.Interaction[Any],
        job_id: int,
        resolution: str | None,
        fps: int | None,
        model: str,
        issued_at: float,
    ) -> None:
        try:  # the quote's age first, so an old one is answered privately with a fresh quote, never publicly
            self.finisher.check_fresh(issued_at)
        except StaleConfirmation as stale:
            await self.show_quote(interaction, job_id, resolution, fps, note=explain(stale, locale_of(interaction))[0])
            return

        async def submit(who: Requester) -> Submitted:
            return await self.finisher.confirm(who, job_id, resolution, fps, model, issued_at)

        try:
            await self.starter.from_interaction(interaction, submit)
        except StaleConfirmation as stale:  # the model changed meanwhile: the public placeholder goes, a new quote
            await report(interaction, stale)
            await self.show_quote(interaction, job_id, resolution, fps)


class FinishButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=FINISH_ID):
    """⬆️ Finish on a result message (a DynamicItem: it works after a restart with no view store)."""

    actions: ClassVar[FinishActions | None] = None  # set on the subclass a bot registers (:meth:`bound_to`)

    def __init__(self, job_id: int, *, take: str | None = None, row: int | None = None, locale: str | None = None):
        _, emoji, style = FINISH
        label = words(locale, "button.finish")
        button = discord.ui.Button[Any](
            label=f"{label} {take}" if take else label,
            emoji=emoji,
            style=style,
            custom_id=f"videobot:finish:{job_id}",
            row=row,
        )
        super().__init__(button)
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FinishButton:
        """Rebuild the button from a click."""
        return cls(int(match["job_id"]))

    @staticmethod
    def bound_to(actions: FinishActions) -> type[FinishButton]:
        """The class one bot registers: its clicks go to ``actions``."""

        class BoundFinishButton(FinishButton, template=FINISH_ID):
            pass

        BoundFinishButton.actions = actions
        return BoundFinishButton

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Quote privately."""
        if self.actions is None:
            log.error("⬆️ of job #%s was clicked, but no dispatcher is bound to it", self.job_id)
            return
        await self.actions.clicked_finish(interaction, self.job_id)


class FinishChoice(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CHOICE_ID):
    """**Finish** / **Cancel** on a private quote."""

    actions: ClassVar[FinishActions | None] = None

    def __init__(self, custom_id: str, label: str, style: discord.ButtonStyle, emoji: str | None):
        super().__init__(discord.ui.Button[Any](label=label, style=style, emoji=emoji, custom_id=custom_id))
        self.custom_id_text = custom_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FinishChoice:
        """Rebuild the button from a click."""
        go = match["act"] == "go"
        style = discord.ButtonStyle.success if go else discord.ButtonStyle.secondary
        return cls(match.string, "Finish" if go else "Cancel", style, "⬆️" if go else None)

    @staticmethod
    def bound_to(actions: FinishActions) -> type[FinishChoice]:
        """The class one bot registers: its clicks go to ``actions``."""

        class BoundFinishChoice(FinishChoice, template=CHOICE_ID):
            pass

        BoundFinishChoice.actions = actions
        return BoundFinishChoice

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Confirm or cancel."""
        match = CHOICE_ID.fullmatch(self.custom_id_text)
        if self.actions is None or match is None:
            log.error("a finish quote button was clicked, but no dispatcher is bound to it")
            return
        await self.actions.clicked_choice(interaction, match)
