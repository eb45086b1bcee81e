"""A /sequence film in Discord: the re-roll of one chosen shot (🔁 on a film offers a select of its shots) and
the question about a shot that failed twice: a private message (an ephemeral
followup while the film's interaction token lives, else a reply in the channel naming the member) with two
buttons, **Finish without shot N** and **Cancel the rest**.  A click goes to ``Sequences.decide`` for whoever
clicked: only the film's owner may answer, and a second or late click (answered, timed out) is refused privately.
The buttons are dynamic items (their custom ids carry the film and the shot), so they work after a restart."""

from __future__ import annotations

import logging
import re
from typing import Any, ClassVar

import discord

from bot.edge.errors import report
from bot.edge.start import Starter, interaction_requester
from bot.edge.translate import locale_of, words_for
from bot.errors import NotJobOwner
from bot.i18n import said
from bot.i18n import text as words
from bot.services.delivery.port import ShotQuestion
from bot.services.requests.sequence import Sequences
from storage import Job

log = logging.getLogger(__name__)

RESHOOT_ID = re.compile(r"videobot:reshoot:(?P<film>[0-9]{1,18})")
SHOT_ID = re.compile(r"videobot:shot:(?P<answer>finish|cancel):(?P<film>[0-9]{1,18}):(?P<shot>[0-9]{1,2})")


class ShotButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=SHOT_ID):
    """One of the two answers about one failed shot of one film."""

    films: ClassVar[Sequences | None] = None  # set on the subclass a bot registers (:meth:`bound_to`)

    def __init__(self, answer: str, film: int, shot: int, locale: str | None = None):
        label = words(locale, f"film.{answer}_button", shot=shot)
        style = discord.ButtonStyle.primary if answer == "finish" else discord.ButtonStyle.danger
        custom_id = f"videobot:shot:{answer}:{film}:{shot}"
        super().__init__(discord.ui.Button[Any](label=label, style=style, custom_id=custom_id))
        self.answer, self.film, self.shot = answer, film, shot

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ShotButton:
        """Rebuild the button from a click (also after a restart)."""
        return cls(match["answer"], int(match["film"]), int(match["shot"]))

    @staticmethod
    def bound_to(films: Sequences) -> type[ShotButton]:
        """The button class one bot registers (``add_dynamic_items``): its clicks go to ``films``."""

        class BoundShotButton(ShotButton, template=SHOT_ID):
            pass

        BoundShotButton.films = films
        return BoundShotButton

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Answer for the clicker; refusals (someone else's film, a stale question) privately."""
        if self.films is None:
            log.error("a shot question of film #%s was answered, but no service is bound to it", self.film)
            return
        try:
            await self.films.decide(interaction_requester(interaction), self.film, self.shot, self.answer)
        except Exception as exc:
            await report(interaction, exc)
            return
        text = words_for(interaction, f"film.{self.answer}_done", film=self.film, shot=self.shot)
        await interaction.response.edit_message(content=text, view=None)


def question_view(question: ShotQuestion, locale: str | None = None) -> discord.ui.View:
    """The two buttons, labelled in the member's language."""
    view = discord.ui.View(timeout=None)
    for answer in ("finish", "cancel"):
        view.add_item(ShotButton(answer, question.film.id, question.shot, locale))
    view.stop()  # dynamic items route the clicks (to the bound class); a stopped view is not stored
    return view


def question_text(question: ShotQuestion, locale: str | None = None) -> str:
    """The question in the member's language, with its deadline as a Discord timestamp."""
    return words(
        locale,
        "film.question",
        shot=question.shot,
        of=question.of,
        film=question.film.id,
        reason=question.reason,
        deadline=f"<t:{int(question.deadline)}:t>",
    )[:2000]


class ReshootSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=RESHOOT_ID):
    """The shots of a finished film; the one picked is made again and the film joined anew
    (``Sequences.reroll_shot``), its status answering the pick like any new job's."""

    films: ClassVar[Sequences | None] = None  # set on the subclass a bot registers (:meth:`bound_to`)
    starter: ClassVar[Starter | None] = None

    def __init__(self, film: int, shots: tuple[Job, ...] = (), locale: str | None = None):
        options = [
            discord.SelectOption(
                label=words(locale, "film.shot", shot=s.inputs.shot),
                value=str(s.inputs.shot),
                description=str(s.spec.get("subject", ""))[:100],
            )
            for s in shots
        ] or [
            discord.SelectOption(label=words(locale, "film.shot", shot=1), value="1")
        ]  # rebuilt from a pick: the values come with it
        select = discord.ui.Select[Any](
            custom_id=f"videobot:reshoot:{film}", placeholder=words(locale, "film.pick"), options=options[:25]
        )
        super().__init__(select)
        self.film = film

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ReshootSelect:
        """Rebuild the select from a pick (also after a restart)."""
        return cls(int(match["film"]))

    @staticmethod
    def bound_to(films: Sequences, starter: Starter) -> type[ReshootSelect]:
        """The select class one bot registers: its picks go to ``films``, their status through ``starter``."""

        class BoundReshootSelect(ReshootSelect, template=RESHOOT_ID):
            pass

        BoundReshootSelect.films, BoundReshootSelect.starter = films, starter
        return BoundReshootSelect

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Re-roll the picked shot; refusals privately."""
        films, starter, film = self.films, self.starter, self.film
        if films is None or starter is None:
            log.error("a shot of film #%s was picked, but no service is bound to the select", film)
            return
        try:
            shot = int(self.item.values[0])
            await starter.from_interaction(interaction, lambda who: films.reroll_shot(who, film, shot))
        except Exception as exc:
            await report(interaction, exc)


async def offer_shots(interaction: discord.Interaction[Any], films: Sequences, film: int) -> None:
    """🔁 on a film: privately, the select of its shots (only its owner may re-roll one)."""
    who = interaction_requester(interaction)
    shots = tuple(s for s in await films.shots(who, film) if s.owner_id == who.user_id)
    if not shots:
        raise said(NotJobOwner, "film.not_owner", id=film)
    view = discord.ui.View(timeout=None)
    view.add_item(ReshootSelect(film, shots, locale_of(interaction)))
    view.stop()  # dynamic items route the picks
    await interaction.response.send_message(words_for(interaction, "film.which", film=film), view=view, ephemeral=True)
