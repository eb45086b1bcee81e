"""Other languages end to end: the registration payload carries every command, option and choice in every shipped
language (checked by the emulator against Discord's rules and the OpenAPI description), and a French member sees
French commands and French messages (status, result, a refusal)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.i18n import FALLBACK, catalogue
from tests.support.discord import fields_of, job_id_of, results, text_of, texts_of, wait_result

pytestmark = pytest.mark.timeout(90)

LOCALES = [locale for locale in catalogue().locales if locale != FALLBACK]


def untranslated(item: dict[str, Any], where: str) -> list[str]:
    """What ``item`` (a command, option or choice of the payload) and everything under it lack, per language."""
    missing = []
    for locale in LOCALES:
        if locale not in (item.get("name_localizations") or {}):
            missing.append(f"{where} name in {locale}")
        described = item.get("description_localizations") or {}
        if item.get("description") and locale not in described:
            missing.append(f"{where} description in {locale}")
    for option in item.get("options") or []:
        missing += untranslated(option, f"{where} {option['name']}")
    for choice in item.get("choices") or []:
        missing += untranslated(choice, f"{where} choice {choice['name']!r}")
    return missing


async def test_every_command_option_and_choice_is_registered_in_every_language(emu, launch):
    await launch()
    synced = emu.synced_commands(emu.guild)
    assert len(synced) > 10
    missing = [gap for command in synced for gap in untranslated(command, "/" + command["name"])]
    assert not missing, "add these to bot/locales/*.toml:\n" + "\n".join(missing)
    video = next(c for c in synced if c["name"] == "video")
    assert video["name_localizations"]["fr"] == "vidéo" and video["name_localizations"]["ja"] == "動画"
    german = "Ein Video aus einer Textbeschreibung machen (ohne Text: ein Formular öffnet sich)."
    assert video["description_localizations"]["de"] == german
    camera = next(o for o in video["options"] if o["name"] == "camera")
    assert camera["name_localizations"]["pt-BR"] == "câmera"
    pan = next(c for c in camera["choices"] if c["value"] == "pan_left")
    assert pan["name_localizations"]["es-ES"] == "paneo izquierda"
    assert "en-US" not in video["name_localizations"]  # English is the name itself


async def test_a_french_member_sees_french_commands_and_messages(emu, launch):
    bot = await launch()
    video = next(c for c in emu.synced_commands(emu.guild) if c["name"] == "video")
    assert video["name_localizations"]["fr"] == "vidéo"
    french = "Créer une vidéo à partir d'un texte (sans texte : un formulaire s'ouvre)."
    assert video["description_localizations"]["fr"] == french
    prompt = next(o for o in video["options"] if o["name"] == "prompt")
    assert prompt["name_localizations"]["fr"] == "texte"

    # a refusal, privately and in French; nothing started, nothing charged
    refused = await emu.slash(emu.alice, "extend", locale="fr")
    assert await refused.wait_ack() == 5
    await emu.wait_until(lambda: any(m.ephemeral for m in refused.responses), 15, "the private refusal")
    private = next(m for m in refused.responses if m.ephemeral)
    assert "Vous n'avez pas encore de vidéo terminée" in private.content
    placeholder = refused.original  # the public "thinking…" is deleted (or says, in French, that nothing started)
    assert placeholder is None or placeholder.deleted or "Pas lancé" in placeholder.content
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 0 and not results(emu)

    # the status message and the result, in French
    handle = await emu.slash(
        emu.alice, "video", prompt="un renard roux dans la neige", duration=1, camera="pan_left", locale="fr"
    )
    assert await handle.wait_ack() == 5
    result = await wait_result(emu)
    assert "votre vidéo est prête" in text_of(result)  # the card: a Components V2 message, in French
    fields = fields_of(result)
    assert fields["Caméra"] == "panoramique gauche"
    assert {"Modèle", "Graine", "Durée", "Coût"} <= set(fields) and texts_of(result)[0].startswith("### 🎬 Vidéo n°")
    job_id = job_id_of(result)
    status = handle.original
    assert status is not None
    await emu.wait_until(lambda: "terminé" in status.embeds[0]["title"], 30, "the status to say terminé")
    assert status.embeds[0]["title"] == f"✅ Vidéo n° {job_id} — terminé"
    assert "[Aller au résultat]" in status.embeds[0]["description"]

    # an English member in the same channel still reads English
    english = await emu.slash(emu.admin, "video", prompt="a red fox in the snow", duration=1, locale="en-GB")
    assert await english.wait_ack() == 5
    second = await wait_result(emu, after=result.id)
    assert "your video is ready" in text_of(second)


async def test_a_french_member_over_quota_is_refused_in_french_and_nothing_is_charged(emu, launch):
    bot = await launch(daily_seconds=1)
    first = await emu.slash(emu.alice, "video", prompt="un phare", duration=1, locale="fr")
    assert await first.wait_ack() == 5
    await wait_result(emu)
    second = await emu.slash(emu.alice, "video", prompt="un autre phare", duration=1, locale="fr")
    await emu.wait_until(lambda: any(m.ephemeral for m in second.responses), 30, "the private refusal")
    refusal = next(m for m in second.responses if m.ephemeral)
    assert refusal.content.startswith("Quota insuffisant : il vous reste 0 s de vidéo (limite 1 s par 24 h)")
    assert len(results(emu)) == 1 and (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 1
