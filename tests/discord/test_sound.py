"""Videos with sound, end to end through the real SDK clients and the held emulators: ``audio:on`` reaches each
native-audio model as its own field and the delivered MP4 has an AAC track as long as the picture; ``audio:off``
and ``VIDEOBOT_AUDIO_DEFAULT=off`` make silent clips; a silent model hears nothing about sound, and an explicit
``audio:on`` on one is refused privately, before any charge, naming the models that can."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.edge.client import start_bot
from bot.providers.fal import FalProvider
from emulators.discord import Upload
from tests.support.discord import mp4_of, png_bytes, refused_privately, runway_bot, wait_result
from tests.support.video import audio_codec, stream_seconds

pytestmark = pytest.mark.timeout(120)


def sound_of(data: bytes, tmp: Path) -> tuple[float, float, str | None]:
    """(picture seconds, sound seconds, audio codec) of a delivered clip."""
    path = tmp / "delivered.mp4"
    path.write_bytes(data)
    return stream_seconds(path, "v"), stream_seconds(path, "a"), audio_codec(path)


def only_body(api: Any) -> dict[str, Any]:
    (task,) = api.tasks.values()
    return dict(task.body)


@pytest.mark.parametrize("model", ["runway:veo3.1", "runway:veo3.1_fast", "runway:kling3.0_pro", "runway:seedance2"])
async def test_audio_on_reaches_the_model_as_its_own_field_and_the_clip_has_sound(
    emu, launch, emulator, tmp_path, model
):
    bot = await runway_bot(launch, emulator)
    duration = 4 if "veo" in model else 5
    handle = await emu.slash(
        emu.alice, "video", prompt="rain on a tin roof", model=model, duration=duration, audio="on"
    )
    assert await handle.wait_ack() == 5
    message = await wait_result(emu)
    body = only_body(emulator.runway)
    assert body["audio"] is True and body["model"] == model.split(":", 1)[1]
    picture, sound, codec = sound_of(mp4_of(message), tmp_path)
    assert codec == "aac" and sound > 0
    assert abs(sound - picture) < 0.15, (picture, sound)
    job = (await bot.app.service.recent())[0]
    assert job.spec["audio"] is True


async def test_wan3_takes_audio_from_text(emu, launch, emulator, tmp_path):
    await runway_bot(launch, emulator)
    handle = await emu.slash(emu.alice, "video", prompt="waves on a pebble beach", model="runway:wan3", audio="on")
    assert await handle.wait_ack() == 5
    message = await wait_result(emu)
    assert only_body(emulator.runway)["audio"] is True
    picture, sound, codec = sound_of(mp4_of(message), tmp_path)
    assert codec == "aac" and abs(sound - picture) < 0.15


async def test_audio_off_asks_for_a_silent_clip(emu, launch, emulator, tmp_path):
    bot = await runway_bot(launch, emulator)
    handle = await emu.slash(
        emu.alice, "video", prompt="a quiet library", model="runway:veo3.1", duration=4, audio="off"
    )
    assert await handle.wait_ack() == 5
    message = await wait_result(emu)
    assert only_body(emulator.runway)["audio"] is False
    assert sound_of(mp4_of(message), tmp_path)[1:] == (0.0, None)
    assert (await bot.app.service.recent())[0].spec["audio"] is False


async def test_the_default_is_on_where_the_model_makes_sound_and_the_owner_can_turn_it_off(
    emu, launch, emulator, tmp_path
):
    await launch(
        RUNWAYML_API_SECRET=emulator.runway.api_key, RUNWAYML_BASE_URL=emulator.runway_url, audio_default=False
    )
    handle = await emu.slash(emu.alice, "video", prompt="a quiet harbour", model="runway:veo3.1", duration=4)
    assert await handle.wait_ack() == 5
    message = await wait_result(emu)
    assert only_body(emulator.runway)["audio"] is False and sound_of(mp4_of(message), tmp_path)[2] is None


async def test_a_silent_model_hears_nothing_about_sound(emu, launch, emulator):
    bot = await runway_bot(launch, emulator)  # VIDEOBOT_AUDIO_DEFAULT: on
    handle = await emu.slash(emu.alice, "video", prompt="a red kite", model="runway:gen4.5", duration=5)
    assert await handle.wait_ack() == 5
    await wait_result(emu)
    assert "audio" not in only_body(emulator.runway)
    assert "audio" not in (await bot.app.service.recent())[0].spec


async def test_audio_on_a_silent_model_is_refused_privately_naming_the_models_that_can(emu, launch, emulator):
    bot = await runway_bot(launch, emulator)
    handle = await emu.slash(emu.alice, "video", prompt="a red kite", model="runway:gen4.5", duration=5, audio="on")
    text = await refused_privately(emu, bot, handle, "runway:gen4.5", "silent", "runway:veo3.1", "runway:seedance2")
    assert "runway:gen4_turbo" not in text
    assert emulator.runway.tasks == {}


async def test_animate_with_audio_on_and_no_model_picks_one_that_makes_sound(emu, launch, emulator, tmp_path):
    await runway_bot(launch, emulator)
    image = Upload("a.png", png_bytes((96, 64)), "image/png")
    handle = await emu.slash(
        emu.alice, "animate", prompt="the kettle whistles", audio="on", attachments={"image": image}
    )
    assert await handle.wait_ack() == 5
    message = await wait_result(emu)
    body = only_body(emulator.runway)
    assert body["audio"] is True and body["model"] in {"veo3.1_fast", "kling3.0_pro", "veo3.1", "seedance2"}
    picture, sound, codec = sound_of(mp4_of(message), tmp_path)
    assert codec == "aac" and abs(sound - picture) < 0.15


async def test_variations_with_audio_on_each_have_sound(emu, launch, emulator, tmp_path):
    bot = await runway_bot(launch, emulator)
    handle = await emu.slash(
        emu.alice, "variations", prompt="a bell tower", count=2, model="runway:veo3.1_fast", duration=4, audio="on"
    )
    assert await handle.wait_ack() == 5
    message = await wait_result(emu)
    assert [t.body["audio"] for t in emulator.runway.tasks.values()] == [True, True]
    for n, attachment in enumerate(a for a in message.attachments if a.filename.endswith(".mp4")):
        (tmp_path / str(n)).mkdir()
        picture, sound, codec = sound_of(attachment.data, tmp_path / str(n))
        assert codec == "aac" and abs(sound - picture) < 0.15
    assert all(j.spec["audio"] is True for j in await bot.app.service.recent())


async def test_fal_kling_3_gets_generate_audio(emu, bot_settings, fal_emulator, tmp_path):
    settings = bot_settings(FAL_KEY=fal_emulator.fal.api_key)
    app = await App.create(settings, providers=[FalProvider(fal_emulator.fal.api_key, fal_emulator.fal_url)])
    bot = await start_bot(settings, app=app, ready_timeout=15, guild_ready_timeout=0.1)
    try:
        handle = await emu.slash(emu.alice, "video", prompt="a jazz trio", model="fal:kling-3", audio="on")
        assert await handle.wait_ack() == 5
        message = await wait_result(emu)
        (task,) = fal_emulator.fal.tasks.values()
        assert task.endpoint == "fal-ai/kling-video/v3/standard/text-to-video" and task.body["generate_audio"] is True
        picture, sound, codec = sound_of(mp4_of(message), tmp_path)
        assert codec == "aac" and abs(sound - picture) < 0.15
        silent = await emu.slash(emu.alice, "video", prompt="a jazz trio", model="fal:kling-3", audio="off")
        assert await silent.wait_ack() == 5
        later = await wait_result(emu, after=message.id)
        assert [t.body["generate_audio"] for t in fal_emulator.fal.tasks.values()] == [True, False]
        assert sound_of(mp4_of(later), tmp_path)[2] is None
    finally:
        await bot.close()
