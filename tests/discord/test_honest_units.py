"""Quota seconds are seconds of video, one for one, whatever the model; model names users know (issue 10, part 4)."""

from __future__ import annotations

import pytest

from tests.support.discord import is_mp4, mp4_of, wait_result

pytestmark = pytest.mark.timeout(90)


async def test_five_seconds_of_quota_buy_a_five_second_luma_clip(emu, launch, emulator):
    bot = await launch(LUMAAI_API_KEY=emulator.luma.api_key, LUMAAI_BASE_URL=emulator.luma_url)
    answer = await (await emu.slash(emu.admin, "admin quota", user=emu.alice, seconds=5)).wait_response(timeout=10)
    assert "5 s" in answer.content

    handle = await emu.slash(emu.alice, "video", prompt="a lighthouse in a storm", duration=5, model="luma:ray-2")
    await handle.wait_ack()
    result = await wait_result(emu)
    assert is_mp4(mp4_of(result)) and emulator.luma.create_count == 1
    status = await bot.app.quota.status(emu.alice.id, emu.guild.id)
    assert (status.used, status.limit, status.remaining) == (5, 5, 0)

    again = await emu.slash(emu.alice, "video", prompt="the storm clears", duration=5, model="luma:ray-2")
    await again.wait_ack()
    message = await emu.wait_for_message(lambda m: m.ephemeral and "quota" in m.content.lower(), timeout=10)
    assert "0 s of video left (limit 5 s per 24 h) and this needs 5 s" in message.content
    assert emulator.luma.create_count == 1


async def test_a_mistyped_model_option_is_refused_privately_with_close_matches(emu, launch):
    bot = await launch()
    handle = await emu.slash(emu.alice, "video", prompt="a lighthouse in a storm", model="local:storybord")
    assert await handle.wait_ack() == 4
    message = await handle.wait_response()
    assert message.ephemeral and "Did you mean local:storyboard" in message.content
    assert await bot.app.service.active_jobs(emu.alice.id) == []
