"""The Extend / Re-roll / Delete buttons on result messages, and the actions shared with the reactions.

The buttons are DynamicItems whose custom ids carry the job id (``videobot:extend:42``), so they keep
working after a restart with no view store: discord.py matches the id against the template.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.edge.errors import report
from bot.edge.start import bot_of, interaction_requester
from bot.errors import JobNotFound, NotJobOwner
from bot.services.requests.generation import GenerationService, Requester
from storage import Job

ACTIONS = {
    "extend": ("Extend", "⏩", discord.ButtonStyle.primary),
    "reroll": ("Re-roll", "🔁", discord.ButtonStyle.secondary),
    "delete": ("Delete", "❌", discord.ButtonStyle.danger),
}
EMOJI_ACTIONS = {emoji: action for action, (_, emoji, _) in ACTIONS.items()}
CUSTOM_ID = re.compile(r"videobot:(?P<action>extend|reroll|delete):(?P<job_id>[0-9]{1,18})")


class JobButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CUSTOM_ID):
    """One of the three result buttons for one job."""

    def __init__(self, action: str, job_id: int, *, take: str | None = None, row: int | None = None):
        label, emoji, style = ACTIONS[action]
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

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Run the action; any failure becomes a private message (views don't reach the tree's on_error)."""
        bot = bot_of(interaction)
        service = bot.app.service
        try:
            if self.action == "delete":
                await delete_result(interaction, service, self.job_id)
            elif self.action == "extend":
                await bot.starter.from_interaction(interaction, lambda who: service.extend(who, self.job_id))
            else:
                await bot.starter.from_interaction(interaction, lambda who: service.reroll(who, self.job_id))
        except Exception as exc:
            await report(interaction, exc)


def result_view(job_id: int) -> discord.ui.View:
    """The buttons for a result message."""
    view = discord.ui.View(timeout=None)
    for action in ACTIONS:
        view.add_item(JobButton(action, job_id))
    # Dynamic items route clicks by custom id; a stopped view is not kept in the client's view store,
    # so thousands of results don't pile up in memory.
    view.stop()
    return view


def group_view(jobs: list[Job]) -> discord.ui.View:
    """The buttons of a message holding several takes: one row per take, labelled with its number (2/4)."""
    view = discord.ui.View(timeout=None)
    for row, job in enumerate(jobs[:5]):  # Discord allows five rows; a group holds at most four takes
        take = f"{job.inputs.variation or row + 1}/{job.inputs.of or len(jobs)}"
        for action in ACTIONS:
            view.add_item(JobButton(action, job.id, take=take, row=row))
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
    for row in message.components:
        for child in getattr(row, "children", []):
            match = CUSTOM_ID.fullmatch(getattr(child, "custom_id", None) or "")
            if match and int(match["job_id"]) not in ids:
                ids.append(int(match["job_id"]))
    return ids


async def delete_result(interaction: discord.Interaction[Any], service: GenerationService, job_id: int) -> None:
    """Delete a result message (the job's owner, or a moderator)."""
    await interaction.response.defer(ephemeral=True, thinking=True)
    await check_can_delete(service, interaction_requester(interaction), job_id)
    if interaction.message is not None:
        await remove_take(interaction.message, job_id)
    await bot_of(interaction).app.gallery.remove(job_id)  # its page and gallery card go too (410)
    await interaction.followup.send(f"Deleted the result of job #{job_id}.", ephemeral=True)


async def check_can_delete(service: GenerationService, who: Requester, job_id: int) -> None:
    """Owner or moderator; a job that no longer exists may be deleted by moderators only."""
    try:
        await service.authorize(who, job_id)
    except JobNotFound:
        if not who.is_admin:
            raise NotJobOwner("Only the video's owner or a moderator can delete it.") from None
    except NotJobOwner:
        raise NotJobOwner("Only the video's owner or a member with Manage Messages can delete it.") from None
