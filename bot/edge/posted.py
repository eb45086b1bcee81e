"""Exactly once across crashes: the per-job nonce of channel sends, and finding a result that an interrupted
delivery already posted (the bot died between posting and marking the job done)."""

from __future__ import annotations

import discord

from bot.edge.views import job_ids_of
from storage import Job

SEARCH_LIMIT = 500  # newest channel messages read when looking for an interrupted delivery's result


def nonce_for(job: Job) -> str:
    """A per-job nonce (max 25 characters) that differs between installations reusing job ids."""
    return f"vb{job.id}.{int(job.created_at * 1000) % 10**9}"[:25]


async def find_posted(
    channel: discord.abc.Messageable, author_id: int, job: Job, after_id: int | None
) -> discord.Message | None:
    """The bot's message in ``channel`` with an embed whose footer names ``job``, or a result card whose buttons
    do (posted after ``after_id``; a message holding several /variations takes has one such embed per take)."""
    marker = f"job #{job.id} ·"
    after = discord.Object(after_id) if after_id else None
    # Newest first: the result was posted just before the crash, while a busy channel can have hundreds of
    # messages between the status message and it.
    async for message in channel.history(limit=SEARCH_LIMIT, after=after, oldest_first=False):
        if message.author.id != author_id:
            continue
        if any((embed.footer.text or "").startswith(marker) for embed in message.embeds):
            return message
        if job.id in job_ids_of(message):  # a result card (Components V2): its buttons name the job
            return message
    return None
