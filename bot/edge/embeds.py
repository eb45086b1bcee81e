"""What jobs look like in Discord: status and result embeds, progress bars, lists.

User text is escaped (markdown) and cut to Discord's limits here, in one place; mentions inside
user text can never ping anyone because every message also sets AllowedMentions.  The words of a job's status,
result line and titles come from the message catalogue (:mod:`bot.i18n`) in the member's ``locale`` (None:
English, the same words as ever).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import discord

from bot.i18n import catalogue, in_language, phrase
from bot.i18n import text as words
from bot.prompt import CAMERA_MOVES, STYLES, PromptSpec
from bot.services.delivery.ladder import Offer, Rung, describe_size
from bot.services.fallback.policy import fallback_note
from bot.services.money.quota import QuotaStatus, format_seconds, format_wait
from bot.services.money.spend import UsageSummary, report_lines
from bot.services.requests import lineage
from storage import Job, JobState

COLOUR = {"work": 0x5865F2, "done": 0x57F287, "fail": 0xED4245}
BAR_WIDTH = 14
MAX_DESCRIPTION = 4000  # below Discord's 4096 (escaping and the ellipsis need room)
MAX_FIELD = 1000  # below 1024


def clip(text: str, limit: int, *, escape: bool = True) -> str:
    """User text made safe for an embed: markdown escaped, cut to ``limit`` with an ellipsis."""
    text = discord.utils.escape_markdown(text) if escape else text
    text = text.replace("@", "@\u200b")  # @everyone/@here render as text even where mentions are parsed
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    trailing = len(cut) - len(cut.rstrip("\\"))
    if trailing % 2:  # never end on half of an escape sequence
        cut = cut[:-1]
    return cut + "…"


def progress_bar(fraction: float) -> str:
    """``▰▰▰▰▱▱▱▱ 50%``."""
    fraction = min(max(fraction, 0.0), 1.0)
    filled = round(fraction * BAR_WIDTH)
    return f"{'▰' * filled}{'▱' * (BAR_WIDTH - filled)} {fraction:.0%}"


def timestamp(when: float, style: str = "R") -> str:
    """A Discord timestamp (shown in each reader's time zone)."""
    return f"<t:{int(when)}:{style}>"


def jump_url(guild_id: int | None, channel_id: int | None, message_id: int | None) -> str | None:
    """A link to a message."""
    if not channel_id or not message_id:
        return None
    return f"https://discord.com/channels/{guild_id or '@me'}/{channel_id}/{message_id}"


def describe_prompt(job: Job, no_prompt: str, locale: str | None = None) -> str:
    """A job's subject; where the neutral motion prompt stood in for it, the prompt that was sent."""
    if job.spec.get("subject"):
        return str(job.spec["subject"])
    if job.spec.get("motion_prompt"):
        sent = words(locale, "result.prompt_sent", prompt=PromptSpec.from_dict(dict(job.spec)).text())
        return f"{no_prompt} · {sent}"
    return no_prompt


TITLED_KINDS = frozenset({"extend", "reroll", "remix", "refine", "stitch", "loop", "soundtrack", "variation"})
STATE_KEYS = {
    JobState.SUBMITTING: "state.submitting",
    JobState.RUNNING: "state.running",
    JobState.DOWNLOADING: "state.downloading",
    JobState.POSTPROCESSING: "state.postprocessing",
    JobState.DELIVERING: "state.delivering",
    JobState.DONE: "state.done",
    JobState.FAILED: "state.failed",
    JobState.CANCELLED: "state.cancelled",
}


def _title(job: Job, locale: str | None = None) -> str:
    kind = job.kind if job.kind in TITLED_KINDS else "video"
    return words(locale, f"title.{kind}", id=job.id)


def _left(seconds: float, locale: str | None) -> str:
    """:func:`~bot.services.delivery.ladder.describe_left` in the member's language."""
    if seconds < 1.5:
        return words(locale, "left.now")
    if seconds < 90:
        step = 1 if seconds < 10 else 5
        return words(locale, "left.seconds", seconds=max(step, round(seconds / step) * step))
    return words(locale, "left.minutes", minutes=round(seconds / 60))


def state_text(
    job: Job,
    queue_position: int = 0,
    provider_queue: int = 0,
    seconds_left: float | None = None,
    locale: str | None = None,
    stage: str = "",
) -> str:
    """:func:`~bot.services.delivery.ladder.state_label` in the member's language."""
    if job.state is JobState.QUEUED:
        if queue_position:
            return words(locale, "state.queued_at", position=queue_position)
        return words(locale, "state.queued")
    if job.state is JobState.RUNNING and provider_queue:
        return words(locale, "state.provider_queue", position=provider_queue, provider=job.provider)
    if job.state is JobState.RUNNING and stage:
        return words(locale, "state.rendering_stage", stage=stage)
    if job.state is JobState.RUNNING and seconds_left is not None:
        return words(locale, "state.rendering_left", left=_left(seconds_left, locale))
    return words(locale, STATE_KEYS[job.state])


def title(job: Job, locale: str | None = None) -> str:
    """``Extension #12``, ``Video #3``…: what a job is, by its kind (in the member's language)."""
    return _title(job, locale)


def status_embed(
    job: Job,
    queue_position: int = 0,
    provider_queue: int = 0,
    seconds_left: float | None = None,
    stage: str = "",
    line: str | None = None,
    locale: str | None = None,
) -> discord.Embed:
    """The progress message of a job that is not finished yet (``seconds_left``: "about 40 s left"; ``stage``:
    the provider's own words, "sampling 12/30"; ``line``: a /sequence film's own, "Shot 3 of 6 rendering · 2 done ·
    about 40 s left")."""
    label = line or state_text(job, queue_position, provider_queue, seconds_left, locale, stage)
    embed = discord.Embed(title=f"⏳ {_title(job, locale)} — {label}", colour=COLOUR["work"])
    embed.description = clip(describe_prompt(job, words(locale, "status.from_image"), locale), MAX_DESCRIPTION)
    fraction = 0.0 if job.state is JobState.QUEUED else max(job.progress, 0.02)
    embed.add_field(name=words(locale, "status.progress"), value=progress_bar(fraction), inline=False)
    note = fallback_note(job, done=False)
    if note:  # "Runway is unavailable; making it with Luma ray-2"
        embed.add_field(name=words(locale, "field.fallback"), value=clip(note, MAX_FIELD), inline=False)
    embed.set_footer(text=f"{job.model} · {job.spec.get('duration', '?')} s · job #{job.id}")
    return embed


def waiting_embed(job: Job, ready: int, total: int, locale: str | None = None) -> discord.Embed:
    """A /variations take that is made and waits for its siblings, to be shown together."""
    embed = status_embed(job, locale=locale)
    embed.title = f"⏳ {_title(job, locale)} — {words(locale, 'state.waiting_takes', ready=ready, total=total)}"
    return embed


def done_embed(job: Job, result_url: str | None, locale: str | None = None) -> discord.Embed:
    """What the progress message turns into once the result is posted."""
    title = f"✅ {_title(job, locale)} — {words(locale, 'state.done')}"
    embed = discord.Embed(title=title, colour=COLOUR["done"])
    embed.description = words(locale, "done.link", url=result_url) if result_url else words(locale, "done.below")
    embed.set_footer(text=f"job #{job.id}")
    return embed


def failed_embed(job: Job, message: str, locale: str | None = None) -> discord.Embed:
    """What the progress message turns into when the job failed or was cancelled."""
    cancelled = job.state is JobState.CANCELLED
    embed = discord.Embed(
        title=f"{'⏹️' if cancelled else '❌'} {_title(job, locale)} — {state_text(job, locale=locale)}",
        colour=COLOUR["fail"],
    )
    embed.description = clip(message, 1000, escape=False)
    embed.set_footer(text=f"job #{job.id}")
    return embed


def result_content(job: Job, offer: Offer, locale: str | None = None) -> str:
    """The plain-text line of a result message: the owner's mention and, for links, the URL."""
    text = words(locale, "result.ready", mention=f"<@{job.owner_id}>")
    size = describe_size(offer.original_bytes)
    if offer.rung is Rung.REENCODE:
        text += words(locale, "result.reencoded", size=size, limit=describe_size(offer.limit_bytes))
    elif offer.rung is Rung.LINK and offer.url:
        why = words(locale, "result.no_attach") if offer.cannot_attach else words(locale, "result.too_large", size=size)
        text += f" {why}: {offer.url}"
        if offer.expires_at:
            text += words(locale, "result.link_expires", when=timestamp(offer.expires_at))
    elif offer.rung is Rung.NONE and offer.cannot_attach:
        text += words(locale, "result.no_attach_no_link")
    elif offer.rung is Rung.NONE:
        text += words(locale, "result.too_large_no_link", size=size)
    return text


def choice_name(name: str, locale: str | None) -> str:
    """A camera move or style as the member's language names it among the command's choices."""
    return catalogue().lookup(catalogue().resolve(locale), "choices", name) or name


def result_embed(
    job: Job, locale: str | None = None, shots: Sequence[tuple[int, str, str | None]] = ()
) -> discord.Embed:
    """The result's description: prompt and parts, model, seed, duration, cost (field names in ``locale``); a
    /sequence film's ``shots`` as (place, description, page URL or None), each linked to its own page."""
    spec = job.spec
    embed = discord.Embed(title=f"🎬 {_title(job, locale)}", colour=COLOUR["done"])
    embed.description = clip(describe_prompt(job, words(locale, "result.from_image"), locale), MAX_DESCRIPTION)
    for key in ("setting", "lighting", "details"):
        if spec.get(key):
            embed.add_field(name=words(locale, f"field.{key}"), value=clip(str(spec[key]), MAX_FIELD), inline=False)
    if spec.get("camera") in CAMERA_MOVES:
        embed.add_field(
            name=words(locale, "field.camera"), value=choice_name(str(spec["camera"]).replace("_", " "), locale)
        )
    if spec.get("style") in STYLES:
        embed.add_field(name=words(locale, "field.style"), value=choice_name(str(spec["style"]), locale))
    if spec.get("negative"):
        embed.add_field(name=words(locale, "field.avoid"), value=clip(str(spec["negative"]), MAX_FIELD), inline=False)
    embed.add_field(name=words(locale, "field.model"), value=clip(job.model, 100))
    embed.add_field(name=words(locale, "field.seed"), value=str(spec.get("seed", "?")))
    embed.add_field(name=words(locale, "field.duration"), value=f"{spec.get('duration', '?')} s")
    cost = format_seconds(job.cost_seconds) if job.cost_seconds else words(locale, "field.free")
    embed.add_field(name=words(locale, "field.cost"), value=cost)
    origin = lineage.describe(job)
    if origin:
        embed.add_field(name=words(locale, "field.from"), value=in_language(locale, origin))
    if cast := lineage.with_cast(job):
        embed.add_field(name=words(locale, "field.cast"), value=clip(in_language(locale, cast), MAX_FIELD))
    note = fallback_note(job)
    if note:  # "Runway is unavailable; made with Luma ray-2"
        embed.add_field(name=words(locale, "field.fallback"), value=clip(note, MAX_FIELD), inline=False)
    if shots:
        lines = [f"{n}. [{clip(text, 60)}]({url})" if url else f"{n}. {clip(text, 60)}" for n, text, url in shots]
        while len("\n".join(lines)) > MAX_FIELD:  # whole lines only: a cut link would not work
            lines.pop()
        embed.add_field(name=words(locale, "field.shots"), value="\n".join(lines) or "…", inline=False)
    embed.set_footer(text=result_footer(job, locale))
    return embed


def result_footer(job: Job, locale: str | None = None) -> str:
    """A result embed's footer: ``job #N ·`` in every language (a repeated delivery finds the message by it,
    bot.edge.posted), then what its reactions do, in ``locale``."""
    return f"job #{job.id} · {words(locale, 'result.hints')}"


def take_embed(job: Job, locale: str | None = None) -> discord.Embed:
    """One more take in a group of variations (the first clip of the message has the full result embed)."""
    spec = job.spec
    embed = discord.Embed(title=f"🎬 {_title(job, locale)}", colour=COLOUR["done"])
    embed.add_field(name=words(locale, "field.seed"), value=str(spec.get("seed", "?")))
    cost = format_seconds(job.cost_seconds) if job.cost_seconds else words(locale, "field.free")
    embed.add_field(name=words(locale, "field.cost"), value=cost)
    origin = lineage.describe(job)
    if origin:
        embed.add_field(name=words(locale, "field.from"), value=in_language(locale, origin))
    embed.set_footer(text=result_footer(job, locale))
    return embed


def group_content(jobs: list[Job], locale: str | None = None) -> str:
    """The plain-text line of a message holding several takes."""
    return words(locale, "group.ready", mention=f"<@{jobs[0].owner_id}>", count=len(jobs))


def quota_embed(status: QuotaStatus, now: float | None = None, locale: str | None = None) -> discord.Embed:
    """/quota."""
    now = time.time() if now is None else now
    embed = discord.Embed(title=words(locale, "quota.title"), colour=COLOUR["work"])
    embed.add_field(name=words(locale, "quota.used"), value=format_seconds(status.used))
    embed.add_field(name=words(locale, "quota.left"), value=format_seconds(status.remaining))
    embed.add_field(
        name=words(locale, "quota.limit"), value=words(locale, "quota.per_day", limit=format_seconds(status.limit))
    )
    if status.next_free_at is not None:
        wait = format_wait(status.next_free_at - now)
        frees = words(locale, "quota.frees_at", when=timestamp(status.next_free_at), wait=wait)
        embed.add_field(name=words(locale, "quota.frees"), value=frees, inline=False)
    if status.guild_budget is not None:
        used = format_seconds(status.guild_used or 0.0)
        budget = words(locale, "quota.budget_used", used=used, budget=format_seconds(status.guild_budget))
        embed.add_field(name=words(locale, "quota.budget"), value=budget, inline=False)
    return embed


def jobs_embed(rows: list[tuple[Job, int]], locale: str | None = None) -> discord.Embed:
    """/jobs: queued and running jobs."""
    embed = discord.Embed(title=words(locale, "jobs.title"), colour=COLOUR["work"])
    if not rows:
        embed.description = words(locale, "jobs.none")
        return embed
    lines = []
    for job, position in rows[:20]:
        subject = clip(str(job.spec.get("subject") or words(locale, "history.image")), 60)
        bar = "" if job.state is JobState.QUEUED else f"\n{progress_bar(job.progress)}"
        lines.append(f"**#{job.id}** · {state_text(job, position, locale=locale)} · {job.model}\n{subject}{bar}")
    embed.description = "\n\n".join(lines)[:MAX_DESCRIPTION]
    return embed


def history_embed(jobs: list[Job], locale: str | None = None) -> discord.Embed:
    """/history: recent results with links to their messages (or, where no message could be sent, their page)."""
    embed = discord.Embed(title=words(locale, "history.title"), colour=COLOUR["done"])
    if not jobs:
        embed.description = words(locale, "history.none")
        return embed
    embed.description = "\n".join(_job_line(job, locale) for job in jobs[:15])[:MAX_DESCRIPTION]
    return embed


def _job_line(job: Job, locale: str | None, *, origin: bool = False) -> str:
    subject = clip(str(job.spec.get("subject") or words(locale, "history.image")), 80)
    when = timestamp(job.finished_at or job.created_at)
    url = jump_url(job.guild_id, _channel_of(job), job.message_id)
    web = job.result_url if (job.result_url or "").startswith(("https://", "http://")) else None
    link = f"[{words(locale, 'history.message')}]({url})" if url else ""
    link = link or (f"[{words(locale, 'history.video')}]({web})" if web else "")
    described = lineage.describe(job) if origin else None
    relation = f" · {in_language(locale, described)}" if described else ""
    cast = lineage.with_cast(job)
    with_cast = f" · {in_language(locale, cast)}" if cast else ""
    return f"**#{job.id}** {when} · {subject}{with_cast}{relation} {link}".rstrip()


def chain_embed(ancestors: list[Job], job: Job, descendants: list[Job], locale: str | None = None) -> discord.Embed:
    """/history job: what the job came from and what was made from it, with links."""
    embed = discord.Embed(title=words(locale, "history.story", id=job.id), colour=COLOUR["done"])
    parts = []
    if ancestors:
        lines = "\n".join(_job_line(j, locale, origin=True) for j in ancestors)
        parts.append(words(locale, "history.made_from") + "\n" + lines)
    parts.append(words(locale, "history.this_one") + "\n" + _job_line(job, locale, origin=True))
    if descendants:
        lines = "\n".join(_job_line(j, locale, origin=True) for j in descendants)
        parts.append(words(locale, "history.made_from_it") + "\n" + lines)
    embed.description = "\n\n".join(parts)[:MAX_DESCRIPTION]
    return embed


def _channel_of(job: Job) -> int | None:
    value: Any = job.delivery.get("result_channel_id") or job.delivery.get("channel_id") or job.channel_id
    return int(value) if value else None


def job_choice_name(job: Job) -> str:
    """An autocomplete label: ``#12 · a cat on a skateboard · 5 s · 2025-01-01``."""
    subject = " ".join(str(job.spec.get("subject") or "(image)").split())[:60]
    day = datetime.fromtimestamp(job.created_at, UTC).strftime("%Y-%m-%d")
    return f"#{job.id} · {subject} · {job.spec.get('duration', '?')} s · {day}"[:100]


def usage_embed(summary: UsageSummary, locale: str | None = None) -> discord.Embed:
    """/admin usage: the server's spend by model and member, in provider units and dollars, in ``locale``."""
    scope = phrase("usage.scope.here")
    lines = [clip(in_language(locale, line), 300) for line in report_lines(summary, scope=scope)]  # names escaped
    title = words(locale, "usage.title", days=summary.days)
    return discord.Embed(title=title, description="\n".join(lines)[:MAX_DESCRIPTION], colour=COLOUR["work"])
