"""/sound, /finish and the Apps menus where the app is installed on a member's account (a DM between members, the
bot not part of it): registered for user installs and every context, and what they make comes back through the
interaction tokens only (no channel message, no reaction), in the member's language.  Admin commands, /gallery,
/variations, /sequence and a server's /cast stay server-only (docs/commands.md says why)."""

from __future__ import annotations

import pytest

from emulators.discord.interactions import CommandNotPermitted
from tests.support.discord import is_mp4, job_id_of, mp4_of, wait_done, wait_result

pytestmark = pytest.mark.timeout(150)


async def user_install_bot(emu, launch, **settings):
    """Global commands (user-installable commands are global on Discord), a DM between alice and carol, and the
    app installed on alice's account."""
    bot = await launch(guild_ids=[], **settings)
    carol = emu.add_user("carol")
    dm = emu.add_private_channel(emu.alice, carol)
    emu.install_on_user(emu.alice)
    return bot, dm, carol


def only_tokens(emu, dm, *handles) -> None:
    """Everything the bot made in ``dm`` came through these interactions' tokens; the channel was never tried."""
    made = [m for m in emu.messages(dm) if m.author.id == emu.bot.id]
    assert made and all(m.interaction_id in {h.id for h in handles} for m in made)
    assert all(not m.reactions for m in made)
    assert not [r for r in emu.rest.log if r.path.startswith(f"/channels/{dm.id}/")]


async def test_finish_and_the_menus_are_user_installable_and_the_server_things_are_not(emu, launch, emulator):
    await launch(
        guild_ids=[], RUNWAYML_API_SECRET=emulator.runway.api_key, RUNWAYML_BASE_URL=emulator.runway_url
    )  # a sound model: /sound and "Add sound" are registered
    synced = {(c["name"], c.get("type", 1)): c for c in emu.synced_commands()}
    for key in [("sound", 1), ("finish", 1), *((m, 3) for m in ("Animate this image", "Remix this video", "Extend"))]:
        assert sorted(synced[key]["integration_types"]) == [0, 1], key
        assert sorted(synced[key]["contexts"]) == [0, 1, 2], key
    assert ("Add sound", 3) in synced and sorted(synced[("Add sound", 3)]["integration_types"]) == [0, 1]
    for server_only in ("admin", "cast", "gallery", "variations", "sequence"):  # left out: a guild install only
        assert 1 not in (synced[(server_only, 1)].get("integration_types") or [0]), server_only


@pytest.mark.timeout(300)
async def test_finish_in_a_dm_comes_through_the_tokens_in_french(emu, launch):
    bot, dm, carol = await user_install_bot(emu, launch)
    made = await emu.slash(emu.alice, "video", prompt="un bateau en papier", duration=1, in_channel=dm, locale="fr")
    assert await made.wait_ack() == 5
    result = await wait_result(emu)
    job = job_id_of(result)
    await wait_done(bot, job)

    quote = await emu.slash(emu.alice, "finish", job=job, fps=30, in_channel=dm, locale="fr")
    await emu.wait_until(lambda: any(m.ephemeral and m.embeds for m in quote.responses), 30, "the private quote")
    shown = next(m for m in quote.responses if m.ephemeral and m.embeds)
    assert shown.embeds[0]["title"] == f"⬆️ Finaliser le n° {job} ?"
    assert "Rien n'est facturé avant que vous appuyiez sur **Finaliser**" in shown.embeds[0]["description"]
    assert {b["label"] for b in shown.buttons()} == {"Finaliser", "Annuler"}

    go = await emu.click_button(emu.alice, shown, label="Finaliser", locale="fr")
    assert await go.wait_ack() == 5
    finished = await wait_result(emu, after=result.id, timeout=200)  # an upscale to 1080p at 30 fps
    assert finished.channel_id == dm.id and is_mp4(mp4_of(finished))
    assert (await bot.app.service.get(job_id_of(finished))).delivery["token_only"]
    only_tokens(emu, dm, made, quote, go)
    with pytest.raises(CommandNotPermitted):  # carol has not installed the app
        await emu.slash(carol, "finish", job=job, in_channel=dm)


async def test_the_extend_menu_in_a_dm_opens_its_form_and_extends_through_the_token(emu, launch):
    bot, dm, _ = await user_install_bot(emu, launch)
    made = await emu.slash(emu.alice, "video", prompt="a kite on a string", duration=1, in_channel=dm, locale="de")
    assert await made.wait_ack() == 5
    result = await wait_result(emu)
    await wait_done(bot, job_id_of(result))

    menu = await emu.message_command(emu.alice, "Extend", result, locale="de")
    assert await menu.wait_ack() == 9  # the form
    modal = menu.modal
    assert modal["title"] == f"Nr. {job_id_of(result)} verlängern"
    submit = await emu.submit_modal(menu, prompt="der Drachen steigt höher")
    assert await submit.wait_ack() == 5
    extended = await wait_result(emu, after=result.id)
    job = await bot.app.service.get(job_id_of(extended))
    assert job.kind == "extend" and job.delivery["token_only"] and job.delivery["locale"] == "de"
    assert extended.channel_id == dm.id
    only_tokens(emu, dm, made, submit)
