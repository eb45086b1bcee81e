"""A /sequence film's question about a shot that failed twice, in Discord: a private message (an ephemeral
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
from bot.edge.start import interaction_requester
from bot.services.delivery.port import ShotQuestion
from bot.services.requests.sequence import Sequences

log = logging.getLogger(__name__)

SHOT_ID = re.compile(r"videobot:shot:(?P<answer>finish|cancel):(?P<film>[0-9]{1,18}):(?P<shot>[0-9]{1,2})")
DONE = {"finish": "Finishing film #{film} without shot {shot}; its seconds were refunded.",
        "cancel": "Cancelling the rest of film #{film}; every unmade second is refunded."}  # fmt: skip


class ShotButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=SHOT_ID):
    """One of the two answers about one failed shot of one film."""

    films: ClassVar[Sequences | None] = None  # set on the subclass a bot registers (:meth:`bound_to`)

    def __init__(self, answer: str, film: int, shot: int):
        label = f"Finish without shot {shot}" if answer == "finish" else "Cancel the rest"
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
        text = DONE[self.answer].format(film=self.film, shot=self.shot)
        await interaction.response.edit_message(content=text, view=None)


def question_view(question: ShotQuestion) -> discord.ui.View:
    """The two buttons."""
    view = discord.ui.View(timeout=None)
    for answer in ("finish", "cancel"):
        view.add_item(ShotButton(answer, question.film.id, question.shot))
    view.stop()  # dynamic items route the clicks (to the bound class); a stopped view is not stored
    return view


def question_text(question: ShotQuestion) -> str:
    """The question, with its deadline as a Discord timestamp."""
    return (
        f"Shot {question.shot} of {question.of} of film #{question.film.id} failed twice ({question.reason}). "
        f"Finish the film without it, or cancel the rest? Without an answer by <t:{int(question.deadline)}:t> "
        "it is finished without it."
    )[:2000]
