"""The result card: a Components V2 message (flag ``IS_COMPONENTS_V2``, 1 << 15) built with discord.py 2.7's
``ui.LayoutView``, ``Container``, ``TextDisplay``, ``MediaGallery`` and ``ActionRow``.

One container holds, in order: who it is for and how it was delivered (the ladder's note: re-encoded to fit, a
link, or why neither), the clip with its first and last frame in a media gallery (files of the same message,
``attachment://…``), the prompt parts, the facts (model, seed, duration, cost, lineage, fallback), a footer
naming the job (``job #12 · …``, which a repeated delivery looks for), and the result buttons — the same list
(:func:`bot.edge.views.result_buttons`) as everywhere else.  A V2 message has no ``content`` and no embeds:
everything the member reads is in its text displays, and Discord's 4000-character budget for them is kept here
(user text escaped and cut).  The deferred "thinking…" response stays a plain message (Discord refuses V2 on a
type 5 response); the card is the followup or channel message that follows it.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.edge.embeds import COLOUR, clip, describe_prompt, result_content, title
from bot.edge.views import result_buttons
from bot.prompt import CAMERA_MOVES, STYLES
from bot.services.delivery.ladder import Offer
from bot.services.delivery.stills import Stills
from bot.services.fallback.policy import fallback_note
from bot.services.money.quota import format_seconds
from bot.services.requests import lineage
from storage import Job

MAX_PROMPT = 1500  # the prompt's share of the card's 4000 characters
MAX_PART = 400  # each other prompt part's
PARTS = (("setting", "Setting"), ("lighting", "Lighting"), ("details", "Details"))


def video_name(job: Job) -> str:
    """The clip's file name on the card (and the name a delete looks for)."""
    return f"videobot-{job.id}.mp4"


def still_names(job: Job) -> tuple[str, str]:
    """The first and last frame's file names."""
    return f"videobot-{job.id}-first.jpg", f"videobot-{job.id}-last.jpg"


def prompt_lines(job: Job) -> list[str]:
    """``**Prompt:** …`` and the other parts the job was made with."""
    spec = job.spec
    lines = [f"**Prompt:** {clip(describe_prompt(job, '(animated from an image)'), MAX_PROMPT)}"]
    for key, name in PARTS:
        if spec.get(key):
            lines.append(f"**{name}:** {clip(str(spec[key]), MAX_PART)}")
    if spec.get("camera") in CAMERA_MOVES:
        lines.append(f"**Camera:** {str(spec['camera']).replace('_', ' ')}")
    if spec.get("style") in STYLES:
        lines.append(f"**Style:** {spec['style']}")
    if spec.get("negative"):
        lines.append(f"**Avoid:** {clip(str(spec['negative']), MAX_PART)}")
    return lines


def fact_lines(job: Job) -> list[str]:
    """Model, seed, duration, cost, where it came from, and any fallback."""
    spec = job.spec
    cost = format_seconds(job.cost_seconds) if job.cost_seconds else "free (cached)"
    lines = [
        f"**Model:** {clip(job.model, 100)}",
        f"**Seed:** {spec.get('seed', '?')}",
        f"**Duration:** {spec.get('duration', '?')} s",
        f"**Cost:** {cost}",
    ]
    origin = lineage.describe(job)
    if origin:
        lines.append(f"**From:** {origin}")
    note = fallback_note(job)
    if note:
        lines.append(f"**Fallback:** {clip(note, MAX_PART)}")
    return lines


def footer(job: Job) -> str:
    """The card's last line; it names the job (a repeated delivery finds the card by it)."""
    return f"-# job #{job.id} · ⏩ extend · 🔁 re-roll · ✏️ refine · ❌ delete"


def result_card(job: Job, offer: Offer, *, with_stills: bool) -> discord.ui.LayoutView:
    """The card for ``job`` delivered as ``offer`` (its clip attached when the offer attaches; the two frames
    when ``with_stills``).  A stopped view: the buttons are dynamic items, nothing is kept in memory."""
    view = discord.ui.LayoutView(timeout=None)
    box = discord.ui.Container[discord.ui.LayoutView](accent_colour=COLOUR["done"])
    box.add_item(discord.ui.TextDisplay(f"### 🎬 {title(job)}\n{result_content(job, offer)}"))
    media: list[discord.MediaGalleryItem] = []
    if offer.attaches:
        media.append(discord.MediaGalleryItem(f"attachment://{video_name(job)}", description="The clip"))
    if with_stills:
        first, last = still_names(job)
        media.append(discord.MediaGalleryItem(f"attachment://{first}", description="First frame"))
        media.append(discord.MediaGalleryItem(f"attachment://{last}", description="Last frame"))
    if media:
        box.add_item(discord.ui.MediaGallery(*media))
    box.add_item(discord.ui.TextDisplay("\n".join(prompt_lines(job))))
    box.add_item(discord.ui.Separator())
    box.add_item(discord.ui.TextDisplay("\n".join([*fact_lines(job), footer(job)])))
    buttons: list[Any] = list(result_buttons(job.id))  # dynamic items: Item[BaseView]
    for start in range(0, len(buttons), 5):  # five buttons to a row
        box.add_item(discord.ui.ActionRow[discord.ui.LayoutView](*buttons[start : start + 5]))
    view.add_item(box)
    view.stop()
    return view


def card_files(job: Job, offer: Offer, stills: Stills | None) -> list[discord.File]:
    """The files the card shows: the clip (when the offer attaches it) and the two frames (when made)."""
    files = []
    if offer.attaches and offer.path is not None:
        files.append(discord.File(offer.path, filename=video_name(job)))
    if stills is not None:
        first, last = still_names(job)
        files += [discord.File(stills.first, filename=first), discord.File(stills.last, filename=last)]
    return files
