"""Issue 24's leftovers in other languages, through the Discord emulator: /admin usage, /admin gallery and
/admin status for an admin whose Discord speaks French or German, and a model's "cannot do" refusal and /sequence's
form for a Japanese member.  The expected words are read from the message catalogue (bot/locales/*.toml), and
each must differ from the English, so a reply left in English fails."""

from __future__ import annotations

import re

import pytest

from bot.i18n import in_language, phrase, text
from bot.providers.base import Capability
from bot.services.fallback.policy import provider_label
from bot.services.money.costs import dollars
from emulators.providers import Script
from tests.support.discord import free_port, job_id_of, refused_privately, runway_bot, wait_done, wait_result

pytestmark = pytest.mark.timeout(120)


def in_french_not_english(key: str, /, **params: object) -> str:
    """The message ``key`` in French, checked to differ from its English."""
    french = text("fr", key, **params)
    assert french != text("en", key, **params), key
    return french


async def test_admin_usage_and_gallery_in_french(emu, launch):
    port = free_port()
    bot = await launch(file_server_port=port, public_base_url=f"http://127.0.0.1:{port}")
    newest = max(emu.message_store, default=0)
    await (await emu.slash(emu.alice, "video", prompt="a lighthouse at dawn", duration=1, locale="fr")).wait_ack()
    await wait_done(bot, job_id_of(await wait_result(emu, after=newest)))

    answer = await (await emu.slash(emu.admin, "admin usage", days=7, locale="fr")).wait_response(timeout=30)
    assert answer.ephemeral
    embed = answer.embeds[0]
    assert embed["title"] == in_french_not_english("usage.title", days=7) == "Dépenses : 7 derniers jours"
    lines = str(embed["description"]).replace("\\", "").splitlines()
    summary = await bot.app.spend.usage(emu.guild.id, 7)
    report, here = summary.report, in_french_not_english("usage.scope.here")
    assert lines[0] == in_french_not_english("usage.total", scope=here, days=7, usd=dollars(report.usd), jobs=1)
    assert lines[1] == in_french_not_english(
        "usage.failures", refunded=0, billed=dollars(0), hits=0, saved=dollars(report.cache_saved_usd)
    )
    assert in_french_not_english("usage.by_model") in lines
    [model] = summary.report.by_model
    assert any(line.startswith(f"  {model.label} : 1 tâche(s), ") for line in lines), lines
    assert not [line for line in lines if "jobs" in line or "Spend of" in line]

    answer = await (await emu.slash(emu.admin, "admin gallery", locale="fr")).wait_response(timeout=30)
    url = re.search(r"http://\S+", answer.content).group(0)
    hours = max(1, round(bot.settings.gallery_link_ttl / 3600))
    assert answer.ephemeral and f"/g/{emu.guild.id}/all/" in url
    assert answer.content == in_french_not_english("gallery.link.server", url=url, hours=hours)
    answer = await (await emu.slash(emu.alice, "gallery", locale="fr")).wait_response(timeout=30)
    url = re.search(r"http://\S+", answer.content).group(0)
    assert answer.content == in_french_not_english("gallery.link.yours", url=url, hours=hours)


async def test_admin_status_in_german(emu, launch):
    bot = await launch()
    answer = await (await emu.slash(emu.admin, "admin status", locale="de")).wait_response(timeout=30)
    fields = {f["name"]: str(f["value"]) for f in answer.embeds[0]["fields"]}
    healthy = text("de", "health.healthy", provider=provider_label("local"))
    assert healthy != text("en", "health.healthy", provider=provider_label("local"))
    assert healthy in fields[text("de", "admin.status.providers")].splitlines()
    fallback = fields[text("de", "admin.status.fallback")].splitlines()
    report = await bot.app.health.report()
    assert fallback == [in_language("de", line) for line in report.fallback]
    assert fallback != [str(line) for line in report.fallback]  # the English lines, as `videobot models` prints them
    assert any(line.startswith(text("de", "health.kind.video") + ": ") for line in fallback)


async def test_a_model_that_cannot_do_it_is_refused_in_japanese(emu, launch, emulator):
    bot = await runway_bot(launch, emulator)
    handle = await emu.slash(emu.alice, "video", prompt="a lighthouse", model="runway:gen4_turbo", locale="ja")
    refusal = await refused_privately(emu, bot, handle, "runway:gen4_turbo", "runway:gen4.5")
    able = bot.app.registry.who_can(Capability.TEXT_TO_VIDEO)
    what = phrase("capability.text_to_video")
    japanese = text("ja", "model.cannot_do", model="runway:gen4_turbo", what=what, able=able)
    english = text("en", "model.cannot_do", model="runway:gen4_turbo", what=what, able=able)
    assert refusal == japanese != english
    assert english.startswith("runway:gen4_turbo cannot do text-to-video; try ")  # English as it always read
    assert text("ja", "capability.text_to_video") in refusal and "text-to-video" not in refusal
    assert emulator.runway.tasks == {}


async def test_the_film_form_and_its_example_are_in_japanese(emu, launch):
    await launch()
    opened = await emu.slash(emu.alice, "sequence", model="local:storyboard", locale="ja")
    assert await opened.wait_ack() == 9  # the modal
    modal = opened.modal
    boxes = {c["custom_id"]: c for row in modal["components"] for c in row["components"]}
    assert modal["title"] == text("ja", "form.film.title") != text("en", "form.film.title")
    assert boxes["sequence:title"]["label"] == text("ja", "form.film.name")
    assert boxes["sequence:shots"]["label"] == text("ja", "form.film.shots") != text("en", "form.film.shots")
    assert boxes["sequence:shots"]["placeholder"] == text("ja", "example.shots") != text("en", "example.shots")


async def test_a_cancelled_job_says_so_in_french(emu, launch, emulator):
    bot = await runway_bot(launch, emulator)
    emulator.runway.script_next(Script(outcome="hang"))  # the task runs until it is cancelled
    handle = await emu.slash(
        emu.alice, "video", prompt="a slow lantern", duration=5, model="runway:gen4.5", locale="fr"
    )
    await handle.wait_ack()
    working = lambda m: any((e.get("title") or "").startswith("⏳") for e in m.embeds)  # noqa: E731
    job_id = job_id_of(await emu.wait_for_message(working, timeout=30))  # its status message
    await (await emu.slash(emu.alice, "cancel", job=job_id, locale="fr")).wait_ack()
    notice = text("fr", "notice.cancelled")
    assert notice != text("en", "notice.cancelled") == "Cancelled; your quota was refunded."
    shown = await emu.wait_for_message(lambda m: any(e.get("description") == notice for e in m.embeds), timeout=60)
    [embed] = [e for e in shown.embeds if e.get("description") == notice]
    assert text("fr", "state.cancelled") in embed["title"]
    assert await bot.app.storage.quota.ledger_state(job_id) == "refunded"  # what the notice says
