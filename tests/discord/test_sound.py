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
from tests.support.discord import (
    ephemeral_text,
    job_id_of,
    mp4_of,
    png_bytes,
    refused_privately,
    runway_bot,
    wait_result,
)
from tests.support.video import audio_codec, band_level, make_clip, stream_seconds, video_stream_md5

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


# --- sound for a finished clip: 🔊 Add sound, /sound, /soundtrack prompt: ------------------------------------------


def saved(data: bytes, path: Path) -> Path:
    path.write_bytes(data)
    return path


def buttons_of(message) -> list[str]:
    """The custom ids of a message's buttons, wherever they sit (a result card's are inside its container)."""
    return [b["custom_id"] for b in message.buttons()]


async def finished_clip(emu, bot, after: int = 0, **options) -> tuple[Any, Any]:
    """Make one clip with /video; (its result message, newer than message ``after``; its job)."""
    handle = await emu.slash(emu.alice, "video", **options)
    assert await handle.wait_ack() == 5
    message = await wait_result(emu, after=after)
    return message, await bot.app.service.get(job_id_of(message))


async def test_add_sound_on_a_silent_clip_keeps_its_picture_bit_for_bit(emu, launch, emulator, tmp_path):
    bot = await runway_bot(launch, emulator)
    first, clip = await finished_clip(emu, bot, prompt="a kettle on a stove", model="runway:gen4.5", duration=5)
    assert clip.result_audio is False
    assert f"videobot:sound:{clip.id}" in buttons_of(first)  # silent, and a sound model is enabled
    click = await emu.click_button(emu.alice, first, f"videobot:sound:{clip.id}")
    assert await click.wait_ack() == 5
    second = await wait_result(emu, after=first.id)
    sound_job = (await bot.app.service.recent())[0]
    assert (sound_job.kind, sound_job.parent_job_id, sound_job.model) == ("sound", clip.id, "runway:mirelo-sfx")
    (task,) = [t for t in emulator.runway.tasks.values() if t.endpoint == "video_to_audio"]
    original = saved(mp4_of(first), tmp_path / "original.mp4")
    assert task.body["model"] == "mirelo_sfx_2_0" and abs(task.body["duration"] - stream_seconds(original, "v")) < 0.01
    made = saved(mp4_of(second), tmp_path / "made.mp4")
    assert video_stream_md5(made) == video_stream_md5(original)  # the picture copied, not re-encoded
    assert audio_codec(made) == "aac" and abs(stream_seconds(made, "a") - stream_seconds(original, "v")) < 0.1
    assert f"videobot:sound:{sound_job.id}" not in buttons_of(second)  # it has sound now
    # priced and in the ledger, free of the seconds quota
    row = await bot.app.storage.costs.job_cost(sound_job.id)
    assert row is not None and row["state"] == "settled"
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 5  # the clip's seconds only
    usage = await emu.slash(emu.admin, "admin usage", days=7)
    assert await usage.wait_ack() == 5
    text = str((await usage.wait_response(timeout=30)).embeds[0]["description"])
    assert "runway:mirelo-sfx: 1 jobs" in text.replace("\\", "")


async def test_a_clip_with_sound_gets_no_button_and_sound_is_refused_privately(emu, launch, emulator):
    bot = await runway_bot(launch, emulator)
    first, clip = await finished_clip(emu, bot, prompt="a bell", model="runway:veo3.1", duration=4, audio="on")
    assert clip.result_audio is True and not any(b.startswith("videobot:sound:") for b in buttons_of(first))
    handle = await emu.slash(emu.alice, "sound", job=clip.id)
    assert await handle.wait_ack() == 5  # looked up after acknowledging: the refusal replaces the status privately
    await emu.wait_until(
        lambda: any("already has sound" in t for t in ephemeral_text(emu, emu.alice.id)), 30, "the refusal"
    )
    assert [t.endpoint for t in emulator.runway.tasks.values()] == ["text_to_video"]
    assert len(await bot.app.service.recent()) == 1


async def test_sound_command_sends_the_description(emu, launch, emulator, tmp_path):
    bot = await runway_bot(launch, emulator)
    first, clip = await finished_clip(emu, bot, prompt="a tin roof", model="runway:gen4.5", duration=5)
    handle = await emu.slash(emu.alice, "sound", job=clip.id, prompt="rain on a tin roof, distant thunder")
    assert await handle.wait_ack() == 5
    second = await wait_result(emu, after=first.id)
    (task,) = [t for t in emulator.runway.tasks.values() if t.endpoint == "video_to_audio"]
    assert task.body["promptText"] == "rain on a tin roof, distant thunder"
    assert audio_codec(saved(mp4_of(second), tmp_path / "made.mp4")) == "aac"


async def test_someone_elses_clip_is_refused_privately(emu, launch, emulator):
    bot = await runway_bot(launch, emulator)
    _, clip = await finished_clip(emu, bot, prompt="a kite", model="runway:gen4.5", duration=5)
    bob = emu.add_user("bob")
    emu.add_member(emu.guild, bob)
    handle = await emu.slash(bob, "sound", job=clip.id)
    await handle.wait_ack()
    await emu.wait_until(lambda: any("someone else" in t for t in ephemeral_text(emu, bob.id)), 30, "the refusal")
    assert [t.endpoint for t in emulator.runway.tasks.values()] == ["text_to_video"]


@pytest.mark.parametrize("mix", ["replace", "under"])
async def test_soundtrack_prompt_makes_a_sound_as_long_as_the_clip(emu, launch, emulator, tmp_path, mix):
    bot = await runway_bot(launch, emulator)
    first, clip = await finished_clip(emu, bot, prompt="a bell", model="runway:veo3.1", duration=4, audio="on")
    handle = await emu.slash(emu.alice, "soundtrack", job=clip.id, prompt="a low drone", mix=mix, loop=True)
    assert await handle.wait_ack() == 5
    second = await wait_result(emu, after=first.id)
    (task,) = [t for t in emulator.runway.tasks.values() if t.endpoint == "sound_effect"]
    original = saved(mp4_of(first), tmp_path / "original.mp4")
    assert task.body["model"] == "eleven_text_to_sound_v2" and task.body["loop"] is True
    assert abs(task.body["duration"] - stream_seconds(original, "v")) < 0.01
    made = saved(mp4_of(second), tmp_path / "made.mp4")
    assert video_stream_md5(made) == video_stream_md5(original)
    assert abs(stream_seconds(made, "a") - stream_seconds(original, "v")) < 0.1
    # the clip's own sound is a 440 Hz tone (the emulator's native audio), the new one 220 Hz
    own, new, before = band_level(made, 440), band_level(made, 220), band_level(original, 440)
    assert new > before - 6  # the new sound is there at full level
    if mix == "under":
        assert before - 15 < own < before - 3  # still audible, ducked (0.35: about 9 dB down)
    else:
        assert own < before - 20  # replaced: only the new tone's leak into the band is left
    job = (await bot.app.service.recent())[0]
    assert (job.kind, job.parent_job_id, job.inputs.mix) == ("soundtrack", clip.id, mix)


async def test_soundtrack_prompt_offline_is_refused_privately(emu, launch):
    bot = await launch()  # the local renderer only: no sound model
    first, clip = await finished_clip(emu, bot, prompt="a paper boat", duration=2)
    handle = await emu.slash(emu.alice, "soundtrack", job=clip.id, prompt="waves")
    assert await handle.wait_ack() == 4
    refusal = await handle.wait_response()
    assert refusal.ephemeral and "no offline sound generator" in refusal.content
    assert len(await bot.app.service.recent()) == 1
    assert f"videobot:sound:{clip.id}" not in buttons_of(first)  # no 🔊 offline


async def test_a_description_over_the_limit_is_refused_before_anything(emu, launch, emulator):
    bot = await runway_bot(launch, emulator)
    _, clip = await finished_clip(emu, bot, prompt="a bell", model="runway:gen4.5", duration=5)
    handle = await emu.slash(emu.alice, "sound", job=clip.id, prompt="🔔" * 501)  # 1002 UTF-16 code units
    assert await handle.wait_ack() == 4
    assert "at most 1000" in (await handle.wait_response()).content
    assert len(await bot.app.service.recent()) == 1


# --- sound survives what comes after ------------------------------------------------------------------------------


async def test_stitch_of_a_silent_and_a_sounding_clip_and_a_loop_keep_the_sound(emu, launch, emulator, tmp_path):
    bot = await runway_bot(launch, emulator)
    first, silent = await finished_clip(emu, bot, prompt="a kite", model="runway:gen4.5", duration=5)
    second, sounding = await finished_clip(
        emu, bot, first.id, prompt="a bell", model="runway:veo3.1", duration=4, audio="on"
    )
    stitch = await emu.slash(emu.alice, "stitch", jobs=f"{silent.id} {sounding.id}", crossfade=0.5)
    assert await stitch.wait_ack() == 5
    joined = saved(mp4_of(await wait_result(emu, after=second.id)), tmp_path / "joined.mp4")
    picture, sound = stream_seconds(joined, "v"), stream_seconds(joined, "a")
    assert audio_codec(joined) == "aac" and abs(picture - 8.5) < 0.3 and abs(sound - picture) < 0.15
    stitched = (await bot.app.service.recent())[0]
    assert stitched.result_audio is True
    loop = await emu.slash(emu.alice, "loop", job=sounding.id, times=2)
    assert await loop.wait_ack() == 5
    looped = saved(
        mp4_of(await wait_result(emu, after=max(m.id for m in emu.messages(ephemeral=False)))), tmp_path / "x2.mp4"
    )
    assert abs(stream_seconds(looped, "a") - 8.0) < 0.15 and abs(stream_seconds(looped, "v") - 8.0) < 0.15


async def test_extend_keeps_the_first_parts_sound(emu, launch, emulator, tmp_path):
    bot = await runway_bot(launch, emulator)
    first, clip = await finished_clip(emu, bot, prompt="a bell", model="runway:veo3.1", duration=4, audio="on")
    click = await emu.click_button(emu.alice, first, f"videobot:extend:{clip.id}")
    assert await click.wait_ack() == 5
    whole = saved(mp4_of(await wait_result(emu, after=first.id)), tmp_path / "whole.mp4")
    assert [t.body["audio"] for t in emulator.runway.tasks.values()] == [True, True]  # the continuation too
    picture, sound = stream_seconds(whole, "v"), stream_seconds(whole, "a")
    assert abs(picture - 8.0) < 0.2 and abs(sound - picture) < 0.15 and audio_codec(whole) == "aac"


async def test_a_preset_keeps_audio_off_and_an_explicit_option_wins(emu, launch, emulator):
    bot = await runway_bot(launch, emulator)
    first, _ = await finished_clip(emu, bot, prompt="a quiet pond", model="runway:veo3.1", duration=4, audio="off")
    save = await emu.slash(emu.alice, "preset save", name="hush")
    await save.wait_ack()
    saved = await emu.wait_for_message(lambda m: m.ephemeral and "Saved preset" in m.content, timeout=20)
    assert "audio" in saved.content
    second, quiet = await finished_clip(emu, bot, first.id, prompt="a lake at dawn", preset="hush")
    assert quiet.model == "runway:veo3.1" and quiet.spec["audio"] is False
    _, loud = await finished_clip(emu, bot, second.id, prompt="a lake at noon", preset="hush", audio="on")
    assert loud.spec["audio"] is True
    assert [t.body["audio"] for t in emulator.runway.tasks.values()] == [False, False, True]


async def test_a_clip_longer_than_the_sound_model_takes_is_refused_with_the_limit(emu, launch, emulator):
    bot = await runway_bot(launch, emulator)
    first, clip = await finished_clip(emu, bot, prompt="a windmill", model="runway:gen4.5", duration=5)
    loop = await emu.slash(emu.alice, "loop", job=clip.id, times=7)  # 35 s: over Mirelo's 30
    assert await loop.wait_ack() == 5
    long = await bot.app.service.get(job_id_of(await wait_result(emu, after=first.id)))
    handle = await emu.slash(emu.alice, "sound", job=long.id)
    await handle.wait_ack()
    await emu.wait_until(
        lambda: any("up to 30 s" in t for t in ephemeral_text(emu, emu.alice.id)), 30, "the refusal with the limit"
    )
    assert [t.endpoint for t in emulator.runway.tasks.values()] == ["text_to_video"]  # nothing sent, nothing charged
    assert [j.kind for j in await bot.app.service.recent()] == ["loop", "generate"]


@pytest.mark.parametrize("with_sound", [True, False])
async def test_a_remix_keeps_its_source_clips_sound(emu, launch, tmp_path, with_sound):
    bot = await launch()
    source = make_clip(tmp_path / "source.mp4", seconds=2, size="320x240", audio=with_sound)
    upload = Upload("source.mp4", source.read_bytes(), "video/mp4")
    handle = await emu.slash(emu.alice, "remix", style="anime", model="local:restyle", attachments={"video": upload})
    assert await handle.wait_ack() == 5
    made = saved(mp4_of(await wait_result(emu)), tmp_path / "made.mp4")
    job = (await bot.app.service.recent())[0]
    assert job.kind == "remix" and job.result_audio is with_sound
    if with_sound:  # the model saw the picture alone; the source's sound is laid under its result
        assert audio_codec(made) == "aac" and abs(stream_seconds(made, "a") - stream_seconds(made, "v")) < 0.1
        assert band_level(made, 330) > -40  # make_clip's 330 Hz tone
    else:
        assert audio_codec(made) is None


async def test_add_sound_from_the_apps_menu_asks_what_to_hear_then_makes_it(emu, launch, emulator, tmp_path):
    bot = await runway_bot(launch, emulator)
    first, clip = await finished_clip(emu, bot, prompt="a tin roof", model="runway:gen4.5", duration=5)
    assert "Add sound" in {c["name"] for c in emu.synced_commands(emu.guild)}
    handle = await emu.message_command(emu.alice, "Add sound", first)  # right-click → Apps → Add sound
    assert await handle.wait_ack() == 9  # a form: what to hear (optional)
    submit = await emu.submit_modal(handle, prompt="rain on a tin roof, distant thunder")
    assert await submit.wait_ack() == 5
    second = await wait_result(emu, after=first.id)
    (task,) = [t for t in emulator.runway.tasks.values() if t.endpoint == "video_to_audio"]
    assert task.body["promptText"] == "rain on a tin roof, distant thunder"
    sound_job = (await bot.app.service.recent())[0]
    assert (sound_job.kind, sound_job.parent_job_id) == ("sound", clip.id)
    made = saved(mp4_of(second), tmp_path / "made.mp4")
    assert audio_codec(made) == "aac"
    # someone else's result: refused privately, nothing made
    emu.add_member(emu.guild, emu.admin)
    stranger = await emu.message_command(emu.admin, "Add sound", second)
    await stranger.wait_ack()
    await emu.wait_until(
        lambda: any("someone else" in t for t in ephemeral_text(emu, emu.admin.id)), 30, "the private refusal"
    )
    assert len([t for t in emulator.runway.tasks.values() if t.endpoint == "video_to_audio"]) == 1
