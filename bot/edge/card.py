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

from collections.abc import Sequence
from typing import Any

import discord

from bot.edge.embeds import COLOUR, choice_name, clip, describe_prompt, result_content, title
from bot.edge.views import result_buttons
from bot.i18n import in_language
from bot.i18n import text as words
from bot.prompt import CAMERA_MOVES, STYLES
from bot.services.delivery.ladder import Offer
from bot.services.delivery.stills import Stills
from bot.services.fallback.policy import fallback_note
from bot.services.money.quota import format_seconds
from bot.services.requests import lineage
from storage import Job

MAX_PROMPT = 1500  # the prompt's share of the card's 4000 characters
MAX_PART = 400  # each other prompt part's
MAX_SHOTS = 900  # a film's shot list
PARTS = ("setting", "lighting", "details")
Shots = Sequence[tuple[int, str, str | None]]  # a film's shots: place, description, page URL or None


def video_name(job: Job) -> str:
    """The clip's file name on the card (and the name a delete looks for)."""
    return f"videobot-{job.id}.mp4"


def still_names(job: Job) -> tuple[str, str]:
    """The first and last frame's file names."""
    return f"videobot-{job.id}-first.jpg", f"videobot-{job.id}-last.jpg"


def prompt_lines(job: Job, locale: str | None = None) -> list[str]:
    """``**Prompt:** …`` and the other parts the job was made with (labels in the member's language)."""
    spec = job.spec
    prompt = clip(describe_prompt(job, words(locale, "result.from_image"), locale), MAX_PROMPT)
    lines = [f"**{words(locale, 'field.prompt')}:** {prompt}"]
    for key in PARTS:
        if spec.get(key):
            lines.append(f"**{words(locale, f'field.{key}')}:** {clip(str(spec[key]), MAX_PART)}")
    if spec.get("camera") in CAMERA_MOVES:
        camera = choice_name(str(spec["camera"]).replace("_", " "), locale)
        lines.append(f"**{words(locale, 'field.camera')}:** {camera}")
    if spec.get("style") in STYLES:
        lines.append(f"**{words(locale, 'field.style')}:** {choice_name(str(spec['style']), locale)}")
    if spec.get("negative"):
        lines.append(f"**{words(locale, 'field.avoid')}:** {clip(str(spec['negative']), MAX_PART)}")
    return lines


def fact_lines(job: Job, locale: str | None = None, shots: Shots = ()) -> list[str]:
    """Model, seed, duration, cost, where it came from, the cast, any fallback, and a film's shots (each linked
    to its own page)."""
    spec = job.spec
    cost = format_seconds(job.cost_seconds) if job.cost_seconds else words(locale, "field.free")
    lines = [
        f"**{words(locale, 'field.model')}:** {clip(job.model, 100)}",
        f"**{words(locale, 'field.seed')}:** {spec.get('seed', '?')}",
        f"**{words(locale, 'field.duration')}:** {spec.get('duration', '?')} s",
        f"**{words(locale, 'field.cost')}:** {cost}",
    ]
    origin = lineage.describe(job)
    if origin:
        lines.append(f"**{words(locale, 'field.from')}:** {in_language(locale, origin)}")
    cast = lineage.with_cast(job)
    if cast:
        lines.append(f"**{words(locale, 'field.cast')}:** {clip(in_language(locale, cast), MAX_PART)}")
    note = fallback_note(job)
    if note:
        lines.append(f"**{words(locale, 'field.fallback')}:** {clip(note, MAX_PART)}")
    if shots:
        listed = [f"{n}. [{clip(text, 60)}]({url})" if url else f"{n}. {clip(text, 60)}" for n, text, url in shots]
        while len("\n".join(listed)) > MAX_SHOTS:  # whole lines only: a cut link would not work
            listed.pop()
        lines.append(f"**{words(locale, 'field.shots')}:**\n" + "\n".join(listed))
    return lines


def footer(job: Job, locale: str | None = None) -> str:
    """The card's last line; it names the job (a repeated delivery finds the card by ``job #N ·``, in every
    language), then what its reactions and buttons do."""
    return f"-# job #{job.id} · {words(locale, 'card.hints')}"


def result_card(
    job: Job,
    offer: Offer,
    *,
    with_stills: bool,
    locale: str | None = None,
    shots: Shots = (),
    add_sound: bool = False,
) -> discord.ui.LayoutView:
    """The card for ``job`` delivered as ``offer`` (its clip attached when the offer attaches; the two frames
    when ``with_stills``), in the member's ``locale``; a film's ``shots``; 🔊 Add sound with ``add_sound`` (a
    silent clip).  A stopped view: the buttons are dynamic items, nothing is kept in memory."""
    view = discord.ui.LayoutView(timeout=None)
    box = discord.ui.Container[discord.ui.LayoutView](accent_colour=COLOUR["done"])
    box.add_item(discord.ui.TextDisplay(f"### 🎬 {title(job, locale)}\n{result_content(job, offer, locale)}"))
    media: list[discord.MediaGalleryItem] = []
    if offer.attaches:
        media.append(
            discord.MediaGalleryItem(f"attachment://{video_name(job)}", description=words(locale, "card.clip"))
        )
    if with_stills:
        first, last = still_names(job)
        media.append(discord.MediaGalleryItem(f"attachment://{first}", description=words(locale, "card.first_frame")))
        media.append(discord.MediaGalleryItem(f"attachment://{last}", description=words(locale, "card.last_frame")))
    if media:
        box.add_item(discord.ui.MediaGallery(*media))
    box.add_item(discord.ui.TextDisplay("\n".join(prompt_lines(job, locale))))
    box.add_item(discord.ui.Separator())
    box.add_item(discord.ui.TextDisplay("\n".join([*fact_lines(job, locale, shots), footer(job, locale)])))
    buttons: list[Any] = list(
        result_buttons(job.id, add_sound=add_sound, locale=locale)
    )  # dynamic items: Item[BaseView]
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
