"""The Extend / Re-roll / Refine / Delete buttons on result messages (and ⬆️ Finish, :mod:`bot.edge.finishing`,
and 🔊 Add sound on a silent one, where a sound model is enabled), and reading and editing those messages.

The buttons are DynamicItems whose custom ids carry the job id (``videobot:extend:42``), so they keep
working after a restart with no view store: discord.py matches the id against the template.  A click goes to
the one dispatcher of result actions, :class:`~bot.edge.actions.ResultActions`, which the bot injects by
registering :meth:`JobButton.bound_to` (the reactions reach the same dispatcher through their cog).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, ClassVar

import discord

from bot.edge.finishing import FinishButton
from bot.i18n import text as words
from storage import Job

if TYPE_CHECKING:
    from bot.edge.actions import ResultActions

log = logging.getLogger(__name__)

# action -> (emoji, style); the labels are the catalogue's ``button.<action>``, in the member's language
ACTIONS = {
    "extend": ("⏩", discord.ButtonStyle.primary),
    "reroll": ("🔁", discord.ButtonStyle.secondary),
    "refine": ("✏️", discord.ButtonStyle.secondary),
    "delete": ("❌", discord.ButtonStyle.danger),
}
FORM_ACTIONS = {"refine"}  # they open a form, which needs an interaction: a button only, never a reaction
EMOJI_ACTIONS = {emoji: action for action, (emoji, _) in ACTIONS.items() if action not in FORM_ACTIONS}
# a button only (no reaction: it is offered on silent results alone, which the message cannot show to a reaction)
BUTTONS = {**ACTIONS, "sound": ("🔊", discord.ButtonStyle.secondary)}
CUSTOM_ID = re.compile(rf"videobot:(?P<action>{'|'.join(BUTTONS)}):(?P<job_id>[0-9]{{1,18}})")


class JobButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CUSTOM_ID):
    """One of the result buttons for one job.  This class draws them; the subclass a bot registers
    (:meth:`bound_to`) also runs their clicks."""

    actions: ClassVar[ResultActions | None] = None  # the dispatcher clicks go to (set on the bound subclass)

    def __init__(
        self, action: str, job_id: int, *, take: str | None = None, row: int | None = None, locale: str | None = None
    ):
        emoji, style = BUTTONS[action]
        label = words(locale, f"button.{action}")  # the labels are in the language of the member the result is for
        label = f"{label} {take}" if take else label  # "Extend 2/4": which take of a group message
        button = discord.ui.Button[Any](
            label=label, emoji=emoji, style=style, custom_id=f"videobot:{action}:{job_id}", row=row
        )
        super().__init__(button)
        self.action = action
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> JobButton:
        """Rebuild the button from a click (also after a restart)."""
        return cls(match["action"], int(match["job_id"]))

    @staticmethod
    def bound_to(actions: ResultActions) -> type[JobButton]:
        """The button class one bot registers (``add_dynamic_items``): its clicks go to ``actions``."""

        class BoundJobButton(JobButton, template=CUSTOM_ID):
            pass

        BoundJobButton.actions = actions
        return BoundJobButton

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the click to the dispatcher (which tells any failure privately: views don't reach on_error)."""
        if self.actions is None:  # only the bound subclass is ever registered
            log.error("a result button of job #%s was clicked, but no dispatcher is bound to it", self.job_id)
            return
        await self.actions.clicked(interaction, self.action, self.job_id)


def result_buttons(
    job_id: int,
    *,
    take: str | None = None,
    row: int | None = None,
    add_sound: bool = False,
    locale: str | None = None,
) -> list[discord.ui.Item[Any]]:
    """One job's result buttons: one per entry of :data:`ACTIONS`, ⬆️ Finish, and (``add_sound``, a silent clip)
    🔊 Add sound (the card, a plain result and a group's rows all draw theirs from here), labelled in ``locale``."""
    buttons: list[discord.ui.Item[Any]] = [
        JobButton(action, job_id, take=take, row=row, locale=locale) for action in ACTIONS
    ]
    buttons.append(FinishButton(job_id, take=take, row=row, locale=locale))  # ⬆️: a private quote
    if add_sound:
        buttons.append(JobButton("sound", job_id, take=take, row=row, locale=locale))
    return buttons


def result_view(job_id: int, *, add_sound: bool = False) -> discord.ui.View:
    """The buttons for a result message (with ``add_sound``: 🔊 Add sound too, for a silent clip)."""
    view = discord.ui.View(timeout=None)
    for button in result_buttons(job_id, add_sound=add_sound):
        view.add_item(button)
    # Dynamic items route clicks by custom id; a stopped view is not kept in the client's view store,
    # so thousands of results don't pile up in memory.
    view.stop()
    return view


def group_view(jobs: list[Job], locale: str | None = None) -> discord.ui.View:
    """The buttons of a message holding several takes: one row per take, labelled with its number (2/4)."""
    view = discord.ui.View(timeout=None)
    for row, job in enumerate(jobs[:5]):  # Discord allows five rows; a group holds at most four takes
        take = f"{job.inputs.variation or row + 1}/{job.inputs.of or len(jobs)}"
        for button in result_buttons(job.id, take=take, row=row, locale=locale):
            view.add_item(button)
    view.stop()
    return view


async def remove_take(message: discord.Message, job_id: int) -> None:
    """Delete one job's result: the whole message, or only its take (clip, embed, buttons) from a group."""
    marker = f"job #{job_id} ·"
    embeds = [e for e in message.embeds if not (e.footer.text or "").startswith(marker)]
    if len(message.embeds) <= 1 or not embeds:
        await message.delete()
        return
    view = discord.ui.View.from_message(message, timeout=None)
    for item in list(view.children):
        if str(getattr(item, "custom_id", "")).endswith(f":{job_id}"):
            view.remove_item(item)
    view.stop()
    kept = [a for a in message.attachments if a.filename != f"videobot-{job_id}.mp4"]
    await message.edit(embeds=embeds, attachments=kept, view=view)


def job_ids_of(message: discord.Message) -> list[int]:
    """The jobs a result message holds (one, or each take of a group of variations), from its buttons."""
    ids: list[int] = []
    stack: list[Any] = list(reversed(message.components))
    while stack:  # action rows, and a Components V2 card's container, sections and their accessories
        item = stack.pop()
        match = CUSTOM_ID.fullmatch(getattr(item, "custom_id", None) or "")
        if match and int(match["job_id"]) not in ids:
            ids.append(int(match["job_id"]))
        children = list(getattr(item, "children", None) or [])
        accessory = getattr(item, "accessory", None)
        stack.extend(reversed([*children, *([accessory] if accessory is not None else [])]))
    return ids
