"""/preset save|list|delete and the `preset` option: explicit options win, refusals are private and free."""

from __future__ import annotations

import pytest

from tests.support.discord import job_id_of, results, wait_result

pytestmark = pytest.mark.timeout(180)


async def _private(emu, handle, words: str) -> str:
    await handle.wait_ack()
    message = await emu.wait_for_message(lambda m: m.ephemeral and words in m.content, timeout=20)
    return message.content


async def test_save_use_list_and_delete_a_preset(emu, launch):
    bot = await launch()
    await (
        await emu.slash(
            emu.alice, "video", prompt="a fox in snow", camera="orbit", style="anime", lighting="neon", duration=2
        )
    ).wait_ack()
    first = await wait_result(emu)
    saved = await _private(emu, await emu.slash(emu.alice, "preset save", name="moody"), "Saved preset")
    assert "camera orbit" in saved and "style anime" in saved and "lighting neon" in saved
    handle = await emu.slash(emu.alice, "video", prompt="a cat on a roof", preset="moody", duration=1)
    assert await handle.wait_ack() == 5
    result = await wait_result(emu, after=first.id)
    job = await bot.app.service.get(job_id_of(result))
    assert job.spec["camera"] == "orbit" and job.spec["style"] == "anime" and job.spec["lighting"] == "neon"
    assert job.spec["duration"] == 1  # given explicitly: it wins over the preset's 2
    listed = await _private(emu, await emu.slash(emu.alice, "preset list"), "moody")
    assert "style anime" in listed
    await _private(emu, await emu.slash(emu.alice, "preset delete", name="moody"), "Deleted preset")
    assert await bot.app.storage.presets.names(emu.alice.id, emu.guild.id) == []


async def test_an_unknown_preset_is_refused_before_anything_is_public(emu, launch):
    bot = await launch()
    handle = await emu.slash(emu.alice, "video", prompt="a cat", preset="nothing-here")
    assert await handle.wait_ack() == 4
    assert "no preset named" in (await handle.wait_response()).content
    assert await bot.app.service.recent() == [] and not results(emu)


async def test_at_most_25_presets_per_user_and_names_up_to_32(emu, launch):
    bot = await launch()
    await (await emu.slash(emu.alice, "video", prompt="a fox in snow", duration=1)).wait_ack()
    await wait_result(emu)
    for n in range(25):
        await bot.app.storage.presets.put(emu.alice.id, emu.guild.id, f"p{n}", {"style": "anime"}, now=0.0)
    refused = await _private(emu, await emu.slash(emu.alice, "preset save", name="one more"), "25 presets")
    assert "/preset delete" in refused
    assert await bot.app.storage.presets.count(emu.alice.id) == 25
    # presets are per server: another guild's list is empty
    assert await bot.app.storage.presets.names(emu.alice.id, emu.guild.id + 1) == []


async def test_the_preset_option_autocompletes_the_members_own_presets_in_every_command(emu, launch):
    bot = await launch()
    await bot.app.storage.presets.put(emu.alice.id, emu.guild.id, "moody", {"style": "noir"}, now=0.0)
    await bot.app.storage.presets.put(emu.alice.id, emu.guild.id, "sunny", {"style": "anime"}, now=0.0)
    await bot.app.storage.presets.put(emu.admin.id, emu.guild.id, "admins-own", {"style": "anime"}, now=0.0)
    for command, option in (
        ("video", "preset"),
        ("animate", "preset"),
        ("variations", "preset"),
        ("preset delete", "name"),
    ):
        choices = await (await emu.autocomplete(emu.alice, command, option, "mo")).wait_choices()
        assert [c["value"] for c in choices] == ["moody"], command
    everything = await (await emu.autocomplete(emu.alice, "video", "preset", "")).wait_choices()
    assert sorted(c["value"] for c in everything) == ["moody", "sunny"]  # never another member's
