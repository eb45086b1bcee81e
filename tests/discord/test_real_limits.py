"""What the real services would refuse never reaches them (issue 16): a model that needs a prompt to animate an
image gets the neutral motion prompt (and the member is told which), a model without a seed input is never sent
one, and seeds and prompt lengths beyond a model's own limits are refused privately before any charge."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import App
from bot.edge.client import start_bot
from bot.providers.fal import FalProvider
from emulators.discord import Upload
from tests.support.discord import png_bytes, refused_privately, runway_bot, texts_of

pytestmark = pytest.mark.timeout(120)

# /animate with camera "dolly in" and style "cinematic" and no prompt: what such a model is sent
NEUTRAL = (
    "Subtle natural motion, dolly in, camera moves slowly toward the subject, cinematic, film grain, "
    "shallow depth of field."
)


def _shown(emu: Any, text: str) -> bool:
    """Whether any message the member can see (the progress message, a private note) carries ``text``."""
    for message in emu.messages():
        if text in (message.content or ""):
            return True
        if any(text in str(embed.get("description") or "") for embed in message.embeds):
            return True
        if any(text in shown for shown in texts_of(message)):  # a result card
            return True
    return False


async def _animate_without_prompt(emu: Any, model: str, **options: Any) -> Any:
    image = Upload("a.png", png_bytes((96, 96)), "image/png")
    options = options or {"camera": "dolly_in", "style": "cinematic"}
    handle = await emu.slash(emu.alice, "animate", model=model, attachments={"image": image}, **options)
    assert await handle.wait_ack() == 5  # acknowledged publicly: nothing refused
    return handle


async def _replicate_bot(launch: Any, emulator: Any) -> Any:
    return await launch(REPLICATE_API_TOKEN=emulator.replicate.api_key, REPLICATE_BASE_URL=emulator.replicate_url)


class _FalBot:
    """A bot whose only cloud provider is fal, on the emulator's TLS listener (closed on exit)."""

    def __init__(self, bot_settings: Any, fal_emulator: Any):
        self.settings = bot_settings(FAL_KEY=fal_emulator.fal.api_key)
        self.fal = FalProvider(fal_emulator.fal.api_key, fal_emulator.fal_url)
        self.bot: Any = None

    async def __aenter__(self) -> Any:
        app = await App.create(self.settings, providers=[self.fal])
        self.bot = await start_bot(self.settings, app=app, ready_timeout=15, guild_ready_timeout=0.1)
        return self.bot

    async def __aexit__(self, *exc: object) -> None:
        if self.bot is not None and not self.bot.is_closed():
            await self.bot.close()


async def test_gen45_animate_without_a_prompt_sends_the_neutral_prompt_and_says_so(emu, launch, emulator):
    """The runwayml SDK's Gen4_5 image-to-video params mark promptText Required: Runway refused the bare image."""
    await runway_bot(launch, emulator)
    await _animate_without_prompt(emu, "runway:gen4.5", duration=5)  # no camera, no style: the bare neutral line
    await emu.wait_until(lambda: len(emulator.runway.tasks) == 1, 30, "the task to reach Runway")
    body = next(iter(emulator.runway.tasks.values())).body
    assert body["promptText"] == "Subtle natural motion."
    await emu.wait_until(lambda: _shown(emu, "“Subtle natural motion.”"), 30, "the member to see the prompt sent")


async def test_a_model_whose_prompt_is_optional_still_gets_none(emu, launch, emulator):
    """gen4_turbo takes an image alone (its SDK params leave promptText optional): nothing is invented."""
    await runway_bot(launch, emulator)
    image = Upload("a.png", png_bytes((96, 96)), "image/png")
    handle = await emu.slash(emu.alice, "animate", model="runway:gen4_turbo", attachments={"image": image})
    assert await handle.wait_ack() == 5
    await emu.wait_until(lambda: len(emulator.runway.tasks) == 1, 30, "the task to reach Runway")
    assert "promptText" not in next(iter(emulator.runway.tasks.values())).body


@pytest.mark.parametrize("model", ["fal:hailuo-02", "fal:kling-2.1", "fal:pika-2.2"])
async def test_fal_models_that_need_a_prompt_to_animate_get_the_neutral_one(emu, bot_settings, fal_emulator, model):
    async with _FalBot(bot_settings, fal_emulator):
        await _animate_without_prompt(emu, model)
        await emu.wait_until(lambda: len(fal_emulator.fal.tasks) == 1, 30, "the request to reach fal")
        task = next(iter(fal_emulator.fal.tasks.values()))
        assert task.endpoint.endswith("image-to-video")
        assert task.body["prompt"] == NEUTRAL
        await emu.wait_until(lambda: _shown(emu, NEUTRAL), 30, "the member to see which prompt was sent")


async def test_replicate_kling_animate_without_a_prompt_gets_the_neutral_one(emu, launch, emulator):
    await _replicate_bot(launch, emulator)
    await _animate_without_prompt(emu, "replicate:kling-v2.1")
    await emu.wait_until(lambda: len(emulator.replicate.tasks) == 1, 30, "the prediction to reach Replicate")
    sent = next(iter(emulator.replicate.tasks.values())).body["input"]
    assert sent["prompt"] == NEUTRAL and "start_image" in sent
    await emu.wait_until(lambda: _shown(emu, NEUTRAL), 30, "the member to see which prompt was sent")


async def test_fal_kling_is_never_sent_a_seed(emu, bot_settings, fal_emulator):
    """Kling 2.1 Master on fal has no seed input (its llms.txt): neither the bot's own seed nor a member's."""
    async with _FalBot(bot_settings, fal_emulator) as bot:
        handle = await emu.slash(emu.alice, "video", prompt="a paper boat on a pond", model="fal:kling-2.1")
        assert await handle.wait_ack() == 5
        await emu.wait_until(lambda: len(fal_emulator.fal.tasks) == 1, 30, "the request to reach fal")
        assert "seed" not in next(iter(fal_emulator.fal.tasks.values())).body
        jobs = await bot.app.service.recent()
        used = (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used
        handle = await emu.slash(emu.alice, "video", prompt="a paper boat", model="fal:kling-2.1", seed=42)
        assert await handle.wait_ack() == 4
        refusal = await handle.wait_response()
        assert refusal.ephemeral and "takes no seed" in refusal.content, refusal.content
        assert len(await bot.app.service.recent()) == len(jobs) and len(fal_emulator.fal.tasks) == 1
        assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == used


async def test_a_seed_past_animate_diffs_range_is_refused_before_any_charge(emu, launch, emulator):
    """lucataco/animate-diff's schema stops at 2147483647; Discord's option allows up to 2**32-1."""
    bot = await _replicate_bot(launch, emulator)
    handle = await emu.slash(
        emu.alice, "video", prompt="a dancing robot", model="replicate:animate-diff", seed=2**32 - 1
    )
    await refused_privately(emu, bot, handle, "2147483647", "replicate:animate-diff")
    assert emulator.replicate.tasks == {} and sum(emulator.replicate.creates.values()) == 0


async def test_an_emoji_prompt_over_runways_utf16_limit_is_refused_before_any_charge(emu, launch, emulator):
    """Runway counts its 1000 in UTF-16 code units: 600 characters of emoji are 1196 of them."""
    bot = await runway_bot(launch, emulator)
    prompt = "sea " + "🌊" * 596
    assert len(prompt) == 600 and len(prompt.encode("utf-16-le")) // 2 == 1196
    handle = await emu.slash(emu.alice, "video", prompt=prompt, model="runway:gen4.5", duration=5)
    await refused_privately(emu, bot, handle, "1000", "UTF-16")
    assert emulator.runway.tasks == {}


async def test_a_prompt_shorter_than_lumas_minimum_is_refused_before_any_charge(emu, launch, emulator):
    """Luma refuses a prompt under 3 characters (docs.lumalabs.ai/docs/errors)."""
    bot = await launch(LUMAAI_API_KEY=emulator.luma.api_key, LUMAAI_BASE_URL=emulator.luma_url)
    handle = await emu.slash(emu.alice, "video", prompt="ox", model="luma:ray-2")
    await refused_privately(emu, bot, handle, "at least 3", "luma:ray-2")
    assert emulator.luma.tasks == {}
