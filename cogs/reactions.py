"""⏩ extends, 🔁 re-rolls, ❌ deletes — reactions on the bot's result messages.

Only raw reaction events are used (no message cache, no message-content intent): the job id is read
from the result message's button custom ids.  Errors go to the user privately (a DM, else a reply that
deletes itself) and never out of the listener.  A message holding several /variations takes cannot tell which
take a reaction means: the member is told privately to use that take's buttons, and nothing happens.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.edge.actions import ResultActions
from bot.edge.errors import report_to
from bot.edge.views import EMOJI_ACTIONS, job_ids_of
from bot.errors import InvalidOption
from bot.i18n import said

if TYPE_CHECKING:
    from bot.edge.client import VideoBot

log = logging.getLogger(__name__)


class Reactions(commands.Cog):
    """Reaction shortcuts on result messages."""

    def __init__(self, bot: VideoBot, actions: ResultActions):
        self.bot = bot  # the Discord client: raw events carry only ids, their messages are fetched with it
        self.actions = actions  # the dispatcher the result buttons use too

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        """Dispatch ⏩ 🔁 ❌ on our own result messages."""
        me = self.bot.user
        action = EMOJI_ACTIONS.get(str(payload.emoji))
        if me is None or action is None or payload.user_id == me.id or payload.guild_id is None:
            return
        if payload.message_author_id is not None and payload.message_author_id != me.id:
            return
        member = payload.member
        channel: Any = self.bot.get_channel(payload.channel_id)
        locale = "en-US"  # a reaction carries no locale: the member's is found from the job (reaction_locale)
        try:
            if channel is None:
                channel = await self.bot.fetch_channel(payload.channel_id)
            message = await channel.fetch_message(payload.message_id)
            job_ids = job_ids_of(message)
            if not job_ids or message.author.id != me.id:
                return
            user = member or await self.bot.fetch_user(payload.user_id)
            locale = await self.actions.reaction_locale(user, message, job_ids[0])
            if len(job_ids) > 1:  # a group of variations: a reaction cannot say which take it means
                raise said(InvalidOption, "reaction.several_takes")
            await self.actions.reacted(user, channel, message, action, job_ids[0], locale)
        except Exception as exc:
            user_obj = member or self.bot.get_user(payload.user_id)
            if user_obj is None:
                log.warning("reaction by %s failed: %r", payload.user_id, exc)
                return
            await report_to(user_obj, channel, exc, locale)


async def setup(bot: VideoBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Reactions(bot, bot.actions))
