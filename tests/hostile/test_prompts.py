"""Hostile prompts: refused ones get a private reason and leave nothing; accepted ones show as plain text."""

from __future__ import annotations

import asyncio
import re
import unicodedata

import pytest

from bot.cli import main as videobot
from bot.media.card import font, wrap
from storage import SqliteStorage
from tests.support.discord import fields_of, job_id_of, texts_of, wait_done, wait_result
from tests.support.hostile import assert_nothing_kept, lift_limits, private_answer
from tests.support.hostile_cases import case

pytestmark = pytest.mark.timeout(60)

REFUSED_E2E = {
    "blank_prompt": {"prompt": "   "},
    "prompt_6000": {"prompt": ("word " * 1200)[:5999] + "z"},
    "parts_too_long": {"prompt": "a fox " * 150, "setting": "a forest " * 100, "details": "warm tones " * 81},
    "emoji_only": {"prompt": "🎬🔥🦊✨🌈"},
    "zero_width_only": {"prompt": "\u200b\u200c\u200d\ufeff"},
}
INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\u00ad]")


def live_markdown(text: str) -> list[str]:
    """Markdown that would still render: paired markers, masked links, headers or quotes at the start."""
    bare = re.sub(r"\\.", "", text)  # drop escaped characters
    found = [f"{mark!r} x{bare.count(mark)}" for mark in "`|*~_" if bare.count(mark) > 1]
    if re.search(r"\[[^\]]*\]\([^)]*\)", bare):
        found.append("masked link")
    if re.match(r"\s*(#{1,3} |>)", bare):
        found.append("header or quote")
    return found


def ours_removed(listing: str) -> str:
    """A /jobs or /history listing without the bot's own markdown (bold job numbers, links to messages)."""
    listing = re.sub(r"\*\*#\d+\*\*", "", listing)
    return re.sub(r"\[message\]\(https://discord\.com/channels/[0-9/]+\)", "", listing)


async def test_refused_prompts(emu, launch):
    bot = await launch()
    lift_limits(emu, "video", "prompt")  # Discord's own 6000-character ceiling still applies
    for name, options in REFUSED_E2E.items():
        item = case(name)
        handle = await emu.slash(emu.alice, "video", duration=1, **options)
        text = await private_answer(emu, handle)
        assert item.says in text.lower(), (name, text)
        await assert_nothing_kept(bot, emu, emu.alice.id, handle)


def test_refused_prompts_in_the_service(make_settings, capsys):
    """``videobot generate`` builds its request like the cogs do; nothing is stored for a bad prompt."""
    settings = make_settings()
    for name, prompt in (("empty_prompt", ""), ("prompt_10000", ("word " * 2000)[:9999] + "z")):
        assert len(prompt) in (0, 10_000)
        assert videobot(["generate", prompt, "--duration", "1", "-o", "out.mp4"]) == 2
        assert case(name).says in capsys.readouterr().err.lower()
    asyncio.run(nothing_stored(settings.db_path))


async def nothing_stored(db_path) -> None:
    storage = await SqliteStorage.open(db_path)
    try:
        assert await storage.jobs.search(limit=5) == []
        assert (await storage.quota.usage(user_id=0, since=0)).used == 0
    finally:
        await storage.close()


async def test_zero_width_characters_are_removed(emu, launch):
    case("zero_width_inside")
    bot = await launch()
    await (await emu.slash(emu.alice, "video", prompt="a\u200bcat\u200d walking\u2066 home\x07", duration=1)).wait_ack()
    result = await wait_result(emu)
    job = await bot.app.service.get(job_id_of(result))
    assert job.spec["subject"] == "acat walking home"
    shown = fields_of(result)["Prompt"]
    assert "acat walking home" in shown and not INVISIBLE.search(shown)
    assert not any(unicodedata.category(ch) == "Cc" for ch in shown)


MENTIONS = "@everyone @here <@&{role}> <@{admin}> <@!{admin}>"
MARKDOWN = "# Big ```py boom``` `tick` ||spoiler|| [link](http://x.example) **bold** ~~gone~~ __under__ > quote "


async def test_mentions_and_markdown_are_shown_as_text(emu, launch):
    case("mass_mentions"), case("markdown")
    bot = await launch()
    role = emu.add_role(emu.guild, "pingable", mentionable=True)
    mentions = MENTIONS.format(role=role.id, admin=emu.admin.id)
    prompts = [
        {"prompt": MARKDOWN + "W" * 600, "setting": mentions, "details": "||" + mentions + "||"},
        {"prompt": "> quoted " + mentions + " " + MARKDOWN, "lighting": "`neon` **" + mentions + "**"},
    ]
    await bot.app.worker.stop()  # hold the jobs in the queue so their status messages can be read
    handles = [await emu.slash(emu.alice, "video", duration=1, **options) for options in prompts]
    await emu.wait_until(lambda: all(h.original and h.original.embeds for h in handles), 30, "both statuses")
    shown = [h.original.embeds[0]["description"] for h in handles]
    jobs = await emu.slash(emu.alice, "jobs")
    shown.append(ours_removed((await jobs.wait_response()).embeds[0]["description"]))
    await bot.app.worker.start()
    for handle in handles:
        result = await wait_result(emu, after=handle.original.id)
        await wait_done(bot, job_id_of(result))
        assert sum(len(text) for text in texts_of(result)) <= 4000  # a card's text budget
        shown += list(fields_of(result).values())  # what the member wrote, as the card shows it
    history = await emu.slash(emu.alice, "history")
    shown.append(ours_removed((await history.wait_response()).embeds[0]["description"]))
    for text in shown:
        assert not live_markdown(text), (live_markdown(text), text[:300])
        assert "@everyone" not in text and "@here" not in text  # shown as "@\u200beveryone"
    for message in emu.messages():
        assert not message.pings.everyone and not message.pings.roles, message.content
        assert set(message.pings.users) <= {emu.alice.id}, (message.content, message.pings)


def test_a_very_long_word_is_wrapped_with_few_measurements():
    """The 600-letter word above reaches the storyboard card; splitting it must not be quadratic."""
    real = font(40)

    class Counting:
        calls = 0

        def getlength(self, text: str) -> float:
            Counting.calls += 1
            return real.getlength(text)

    lines = wrap("W" * 1000, Counting(), 600)  # type: ignore[arg-type]
    assert "".join(line.rstrip("-") for line in lines) == "W" * 1000
    assert all(real.getlength(line) <= 600 for line in lines)
    assert Counting.calls < 50 * len(lines), Counting.calls  # measuring one letter less at a time: ~25 000
