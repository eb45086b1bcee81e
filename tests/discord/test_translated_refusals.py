"""The refusals a member meets most, in their own language through the Discord emulator: a prompt without words, an
upload that is no image or too large, an expired form, someone else's result (a button and a reaction), and the
status reply of a reaction-started job.  English stays as it was (the same text, byte for byte, where other tests pin
it); the words come from the message catalogue (bot/locales/*.toml)."""

from __future__ import annotations

import time

import pytest

from bot.i18n import text
from emulators.discord import Upload
from emulators.providers import Script
from tests.support.discord import (
    footers_of,
    job_id_of,
    png_bytes,
    refused_privately,
    results,
    runway_bot,
    wait_done,
    wait_result,
)

pytestmark = pytest.mark.timeout(120)


async def make_result(emu, bot, prompt: str, locale: str):
    newest = max(emu.message_store, default=0)
    await (await emu.slash(emu.alice, "video", prompt=prompt, duration=1, locale=locale)).wait_ack()
    result = await wait_result(emu, after=newest)
    await wait_done(bot, job_id_of(result))
    return result


async def test_prompt_and_upload_refusals_in_french_and_japanese(emu, launch):
    bot = await launch(max_image_bytes=20_000)
    handle = await emu.slash(emu.alice, "video", prompt="!!! ??? ...", locale="fr")
    await refused_privately(emu, bot, handle, "Le texte a besoin de mots, pas seulement de symboles")

    form = await emu.slash(emu.alice, "animate", locale="fr")
    assert await form.wait_ack() == 9
    notes = Upload("notes.txt", b"just some text, not a picture\n" * 10, "text/plain")
    submit = await emu.submit_modal(form, files={"image": [notes]})
    await refused_privately(emu, bot, submit, "Ce fichier (notes.txt) n'est pas une image : envoyez un PNG")

    form = await emu.slash(emu.alice, "animate", locale="ja")
    assert await form.wait_ack() == 9
    huge = Upload("huge.png", png_bytes((300, 300)) + b"\0" * 30_000, "image/png")
    submit = await emu.submit_modal(form, files={"image": [huge]})
    said = await refused_privately(emu, bot, submit, "そのファイルは", "MiB まで受け付けます")
    assert said == text("ja", "media.too_big.file", size=f"{len(huge.data) / 1_048_576:.1f}", cap="0")
    assert emu.cdn_downloads == []  # refused from what Discord declared, before reading it


async def test_an_expired_form_is_refused_in_german(emu, launch):
    bot = await launch()
    handle = await emu.slash(emu.alice, "video", locale="de")
    assert await handle.wait_ack() == 9
    bot.forms.ttl = 0.0  # the form was opened longer ago than forms last
    submit = await emu.submit_modal(handle, prompt="eine Katze")
    await refused_privately(emu, bot, submit, "Dieses Formular ist abgelaufen", "öffne es bitte neu")


async def test_someone_elses_result_is_refused_in_their_language_by_button_and_reaction(emu, launch):
    bot = await launch()
    stranger = emu.add_user("stranger")
    emu.add_member(emu.guild, stranger)
    first = await make_result(emu, bot, "un pissenlit dans le vent", "fr")
    job = job_id_of(first)

    click = await emu.click_button(stranger, first, f"videobot:delete:{job}", locale="fr")
    await click.wait_ack()
    refusal = await click.wait_response()
    assert refusal.ephemeral and refusal.content == text("fr", "delete.not_owner")
    assert refusal.content.startswith("Seul le propriétaire de la vidéo")

    click = await emu.click_button(stranger, first, f"videobot:extend:{job}", locale="pt-BR")
    await click.wait_ack()
    await emu.wait_until(lambda: any(m.ephemeral for m in click.responses), 30, "the private refusal")
    assert next(m for m in click.responses if m.ephemeral).content == f"A tarefa nº {job} é de outra pessoa."

    # a reaction carries no locale: a member the bot has no language for is answered in the server's (English)
    await emu.add_reaction(stranger, None, first, "❌")
    notice = await emu.wait_for_message(lambda m: stranger.mention in m.content and "owner" in m.content, timeout=30)
    assert notice.content.endswith("Only the video's owner or a member with Manage Messages can delete it.")
    assert not first.deleted


async def test_a_reaction_job_speaks_the_language_its_member_asked_in(emu, launch):
    bot = await launch()
    first = await make_result(emu, bot, "une bouilloire qui commence à bouillir", "fr")
    await emu.add_reaction(emu.alice, None, first, "⏩")
    extended = await wait_result(emu, after=first.id)
    job = await bot.app.service.get(job_id_of(extended))
    assert job.kind == "extend" and job.delivery["locale"] == "fr"  # its status and result are French too
    status = next(m for m in emu.messages(ephemeral=False) if m.reference and m.content.startswith("⏳"))
    assert status.content == f"⏳ Prolongation du travail n° {job_id_of(first)} pour {emu.alice.mention}…"
    await emu.wait_until(lambda: status.embeds and "terminé" in status.embeds[0]["title"], 30, "status terminé")


async def test_a_french_members_buttons_forms_and_confirmations_are_french(emu, launch):
    bot = await launch()
    first = await make_result(emu, bot, "un phare au crépuscule", "fr")
    job = job_id_of(first)
    labels = {b["custom_id"]: b["label"] for b in first.buttons()}
    assert labels[f"videobot:extend:{job}"] == "Prolonger" and labels[f"videobot:delete:{job}"] == "Supprimer"
    assert labels[f"videobot:finish:{job}"] == "Finaliser" and labels[f"videobot:reroll:{job}"] == "Refaire"
    assert footers_of(first) == [f"job #{job} · ⏩ prolonger · 🔁 refaire · ✏️ retoucher · ❌ supprimer"]

    click = await emu.click_button(emu.alice, first, f"videobot:refine:{job}", locale="fr")
    assert await click.wait_ack() == 9
    assert click.modal["title"] == f"Retoucher n° {job}"
    assert [f["label"] for f in click.modal["components"]] == ["Ce qu'il faut changer"]

    form = await emu.slash(emu.alice, "video", locale="fr")
    assert await form.wait_ack() == 9
    assert form.modal["title"] == "Décrivez votre vidéo"
    assert [f["label"] for f in form.modal["components"]] == ["Texte", "Décor", "Éclairage", "Détails"]

    delete = await emu.click_button(emu.alice, first, f"videobot:delete:{job}", locale="fr")
    await delete.wait_ack()
    await emu.wait_until(lambda: any(m.ephemeral for m in delete.responses), 30, "the private confirmation")
    assert (
        next(m for m in delete.responses if m.ephemeral).content == f"Le résultat du travail n° {job} a été supprimé."
    )
    assert first.deleted


async def test_a_film_a_finish_quote_and_an_image_are_refused_in_the_members_language(emu, launch):
    bot = await launch()
    opened = await emu.slash(emu.alice, "sequence", model="local:storyboard", locale="fr")
    assert await opened.wait_ack() == 9
    submitted = await emu.submit_modal(opened, {"sequence:shots": "un cerf-volant seul"})
    said = await refused_privately(emu, bot, submitted, "Un film a besoin d'au moins 2 plans")
    assert said == text("fr", "sequence.too_few") != text("en", "sequence.too_few")

    form = await emu.slash(emu.alice, "animate", locale="ja")
    assert await form.wait_ack() == 9
    tiny = Upload("tiny.png", png_bytes((4, 4)), "image/png")
    submit = await emu.submit_modal(form, files={"image": [tiny]})
    await submit.wait_ack()  # the picture is read after the acknowledgement
    small = text("ja", "image.too_small", width=4, height=4, min=8)
    await emu.wait_for_message(lambda m: m.ephemeral and small in m.content, timeout=30)
    assert small.startswith("画像は 4×4 ピクセルしかありません") and not results(emu)

    job_id = job_id_of(await make_result(emu, bot, "ein Drachen über dem Strand", "de"))
    await (await emu.slash(emu.alice, "finish", job=job_id, resolution="2k", fps=30, locale="de")).wait_ack()
    quote = await emu.wait_for_message(lambda m: m.ephemeral and m.embeds and f"{job_id}" in m.embeds[0]["title"])
    go = next(b["custom_id"] for b in quote.buttons() if b["custom_id"].startswith("videobot:finish-go:"))
    bot.app.finisher.clock = lambda: time.time() + 601  # ten minutes and a second later
    await (await emu.click_button(emu.alice, quote, go, locale="de")).wait_ack()
    stale = text("de", "finish.stale_quote")
    fresh = await emu.wait_for_message(lambda m: m.ephemeral and stale in m.content, timeout=30)
    assert fresh.id != quote.id and stale.startswith("Dieses Angebot ist älter als 10 Minuten")


async def test_a_films_failed_shot_is_asked_about_in_french(emu, launch, emulator):
    emulator.runway.rule("tempête", Script(outcome="fail", failure="blocked", failure_code="SAFETY.OUTPUT"))
    bot = await runway_bot(launch, emulator)
    opened = await emu.slash(emu.alice, "sequence", model="runway:gen4.5", duration=2, locale="fr")
    assert await opened.wait_ack() == 9
    shots = "un navire quitte le port\nle navire affronte une tempête"
    await (await emu.submit_modal(opened, {"sequence:shots": shots})).wait_ack()
    question = await emu.wait_for_message(lambda m: m.ephemeral and "a échoué deux fois" in m.content, timeout=60)
    film = int(question.content.split("du film n° ")[1].split(" ")[0])
    assert question.content.startswith(f"Le plan 2 sur 2 du film n° {film} a échoué deux fois (")
    labels = [c["label"] for row in question.components for c in row["components"]]
    assert labels == ["Terminer sans le plan 2", "Annuler le reste"]
    clicked = await emu.click_button(emu.alice, question, label="Terminer sans le plan 2", locale="fr")
    await clicked.wait_ack()
    done = text("fr", "film.finish_done", film=film, shot=2)
    await emu.wait_until(lambda: emu.get_message(question.id).content == done, 30, "the answer in French")
    await wait_done(bot, job_id_of(await wait_result(emu, timeout=120)))


async def test_a_jobs_notes_and_the_preset_confirmations_are_in_the_members_language(emu, launch):
    bot = await launch()
    first = await make_result(emu, bot, "un renard dans la neige", "fr")
    await (await emu.slash(emu.alice, "variations", prompt="une lanterne", count=2, duration=1, locale="fr")).wait_ack()
    note = await emu.wait_for_message(lambda m: m.ephemeral and m.content.startswith("Réalisation de 2 variantes"))
    assert "arrivent ensemble dans un seul message" in note.content

    save = await emu.slash(emu.alice, "preset save", name="nuit", job=job_id_of(first), locale="de")
    await save.wait_ack()
    saved = await emu.wait_for_message(lambda m: m.ephemeral and "Vorlage **nuit** gespeichert: " in m.content)
    assert saved.content.endswith(".") and "Saved" not in saved.content
    delete = await emu.slash(emu.alice, "preset delete", name="nuit", locale="ja")
    await delete.wait_ack()
    await emu.wait_for_message(lambda m: m.ephemeral and m.content == "プリセット **nuit** を削除しました。")
    await emu.wait_until(lambda: len(results(emu)) >= 2, 60, "the variations")  # nothing left running


async def test_the_cast_answers_in_the_members_language(emu, launch):
    await launch()
    listing = await emu.slash(emu.alice, "cast list", locale="fr")
    await listing.wait_ack()
    none = text("fr", "cast.none")
    await emu.wait_for_message(lambda m: m.ephemeral and m.content == none, timeout=30)
    assert none.startswith("Pas encore de distribution") and "/cast add" in none

    delete = await emu.slash(emu.alice, "cast delete", name="Niemand", locale="de")
    await delete.wait_ack()
    unknown = text("de", "cast.unknown", name="'Niemand'")
    await emu.wait_for_message(lambda m: m.ephemeral and m.content == unknown, timeout=30)
    assert unknown == "Die Besetzung dieses Servers hat kein 'Niemand'; siehe /cast list."


async def test_an_admins_answers_are_in_their_language(emu, launch):
    await launch()
    answer = await (await emu.slash(emu.admin, "admin budget", seconds=100, locale="es-ES")).wait_response(timeout=30)
    assert answer.ephemeral and answer.content.startswith("Este servidor puede hacer ahora 1")
    assert "cada 24 h en total" in answer.content
    answer = await (await emu.slash(emu.admin, "admin status", locale="ja")).wait_response(timeout=30)
    assert answer.embeds[0]["title"] == "ボットの状態"
    assert [f["name"] for f in answer.embeds[0]["fields"]][:3] == ["プロバイダー", "フォールバック", "キュー"]
