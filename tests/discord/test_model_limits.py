"""One source of truth for what a model can do: every model-dependent refusal (aspect for text-only
clips, duration, input kind, loop, end image) is private, immediate and free; autocomplete offers only
what the chosen model can do."""

from __future__ import annotations

import pytest

from bot.providers.base import Capability
from emulators.discord import Upload
from tests.support.discord import png_bytes, refused_privately, runway_bot

pytestmark = pytest.mark.timeout(90)


async def test_a_text_only_aspect_the_model_lacks_is_refused_before_anything_is_public(emu, launch, emulator):
    """The bug of issue 9: gen4.5 lists 1:1 for image input only; text to video in 1:1 used to be charged,
    shown as queued and then fail in the worker."""
    bot = await runway_bot(launch, emulator)
    handle = await emu.slash(
        emu.alice, "video", prompt="a lighthouse in a storm", model="runway:gen4.5", aspect="1:1", duration=5
    )
    text = await refused_privately(emu, bot, handle, "16:9", "9:16", "1:1")
    assert "pick one" in text
    assert emulator.runway.tasks == {}  # the provider never heard of it


async def test_a_duration_the_model_lacks_isrefused_privately(emu, launch, emulator):
    bot = await runway_bot(launch, emulator)
    handle = await emu.slash(emu.alice, "video", prompt="a lighthouse in a storm", model="runway:veo3.1", duration=5)
    await refused_privately(emu, bot, handle, "4, 6 or 8")
    assert emulator.runway.tasks == {}


async def test_an_input_kind_the_model_lacks_isrefused_privately(emu, launch, emulator):
    bot = await runway_bot(launch, emulator)
    handle = await emu.slash(emu.alice, "video", prompt="a lighthouse", model="runway:gen4_turbo")
    await refused_privately(emu, bot, handle, "cannot do text-to-video", "runway:gen4.5")


async def test_loop_on_a_model_that_cannot_loop_isrefused_privately(emu, launch):
    bot = await launch()
    handle = await emu.slash(emu.alice, "video", prompt="waves rolling onto a beach", loop=True, duration=1)
    await refused_privately(emu, bot, handle, "loop")


async def test_an_end_image_on_a_model_that_cannot_interpolate_is_refused_before_any_download(emu, launch):
    bot = await launch()
    first, last = Upload("a.png", png_bytes(), "image/png"), Upload("b.png", png_bytes(colour=(0, 0, 200)), "image/png")
    handle = await emu.slash(
        emu.alice, "animate", model="local:motion", duration=1, attachments={"image": first, "end_image": last}
    )
    await refused_privately(emu, bot, handle, "interpolate")
    assert emu.cdn_downloads == []


async def test_the_same_aspect_is_accepted_with_an_image(emu, launch, emulator):
    """1:1 is fine for gen4.5 from an image: the rule depends on the input kind, not just the model."""
    await runway_bot(launch, emulator)
    image = Upload("a.png", png_bytes((96, 96)), "image/png")
    handle = await emu.slash(
        emu.alice, "animate", model="runway:gen4.5", aspect="1:1", duration=5, attachments={"image": image}
    )
    assert await handle.wait_ack() == 5
    await emu.wait_until(lambda: len(emulator.runway.tasks) == 1, 30, "the task to reach Runway")
    body = next(iter(emulator.runway.tasks.values()))
    assert body.body["ratio"] == "960:960"


async def _choices(emu, command: str, focused: str, **options) -> list:
    handle = await emu.autocomplete(emu.alice, command, focused, options.pop("value", ""), options)
    await emu.wait_until(lambda: handle.choices is not None, 10, "autocomplete choices")
    return [c["value"] for c in handle.choices or []]


async def test_autocomplete_offers_only_what_the_chosen_model_can_do(emu, launch, emulator):
    await runway_bot(launch, emulator)
    video_models = await _choices(emu, "video", "model", aspect="1:1")
    assert "runway:gen4.5" not in video_models and "runway:gen4_turbo" not in video_models
    assert "local:storyboard" in video_models
    assert "runway:gen4.5" in await _choices(emu, "video", "model", aspect="16:9")
    assert "runway:gen4.5" in await _choices(emu, "animate", "model", aspect="1:1")
    assert "runway:veo3.1" not in await _choices(emu, "video", "model", duration=5)
    assert await _choices(emu, "video", "duration", model="runway:veo3.1") == [4, 6, 8]
    assert "local:storyboard" not in await _choices(emu, "video", "model", loop=True)


async def test_the_aspect_autocomplete_offers_what_the_chosen_model_can_make(emu, launch, emulator):
    bot = await runway_bot(launch, emulator)
    gen45 = bot.app.registry.model("runway:gen4.5")
    text_only, with_image = gen45.aspects_for(has_media=False), gen45.aspects_for(has_media=True)
    assert set(text_only) == {"16:9", "9:16"} and "1:1" in with_image  # what the catalogue says of gen4.5
    for command in ("video", "variations"):
        assert await _choices(emu, command, "aspect", model="runway:gen4.5") == list(text_only), command
    assert await _choices(emu, "animate", "aspect", model="runway:gen4.5") == list(with_image)
    assert await _choices(emu, "video", "aspect", model="runway:gen4.5", value="9") == ["16:9", "9:16"]
    # no model typed: the default for the command (here Runway's first text-to-video model, gen4.5)
    default = bot.app.registry.choose(None, Capability.TEXT_TO_VIDEO)
    assert await _choices(emu, "video", "aspect") == list(default.aspects_for(has_media=False))
    # the offline renderer makes every ratio; an unknown model offers nothing (the command refuses it)
    every = ["16:9", "9:16", "1:1", "4:3", "3:4", "21:9"]
    assert await _choices(emu, "variations", "aspect", model="local:storyboard") == every
    assert await _choices(emu, "video", "aspect", model="nope:nothing") == []


async def test_a_typed_aspect_that_is_no_ratio_isrefused_privately(emu, launch):
    bot = await launch()
    handle = await emu.slash(emu.alice, "video", prompt="a lighthouse", aspect="5:4", duration=1)
    await refused_privately(emu, bot, handle, "Unknown aspect ratio", "16:9")
    handle = await emu.slash(emu.alice, "variations", prompt="a lighthouse", count=2, aspect="wide", duration=1)
    await refused_privately(emu, bot, handle, "Unknown aspect ratio")
