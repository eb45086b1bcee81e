"""Runway's law (the ``runwayml`` SDK's own param types) and the Runway emulator answering by it."""

from __future__ import annotations

import pytest
import runwayml

from emulators.providers import law
from emulators.providers.law import runway as runway_law

IMAGE = "https://media.example.test/start.png"
GEN45_IMAGE = {"model": "gen4.5", "promptImage": IMAGE, "promptText": "a fox", "ratio": "1280:720", "duration": 5}
# 500 emoji outside the BMP: 500 code points, 1000 UTF-16 code units; one more is over Runway's limit
EMOJI_1000 = "\N{FOX FACE}" * 500
EMOJI_1002 = "\N{FOX FACE}" * 501


def check(endpoint: str, body: dict) -> list[str]:
    return law.check("runway", endpoint, body)


def fields(problems: list[str]) -> list[str]:
    return [p.split(":", 1)[0] for p in problems]


def test_lawful_bodies_are_accepted():
    assert check("image_to_video", GEN45_IMAGE) == []
    assert check("image_to_video", {**GEN45_IMAGE, "promptText": EMOJI_1000, "seed": 4294967295}) == []
    veo = {"model": "veo3.1", "ratio": "1920:1080", "duration": 8, "promptText": "x"}
    frames = [{"uri": IMAGE, "position": "first"}, {"uri": IMAGE, "position": "last"}]
    assert check("image_to_video", {**veo, "promptImage": frames}) == []
    assert check("text_to_video", {"model": "gen4.5", "promptText": "x", "ratio": "720:1280", "duration": 2}) == []
    assert check("video_to_video", {"model": "aleph2", "videoUri": IMAGE, "promptText": "x"}) == []


def test_the_law_is_read_from_the_sdk():
    assert {"gen4.5", "gen4_turbo", "veo3.1", "veo3.1_fast"} <= runway_law.models("image_to_video")
    assert "gen4_turbo" not in runway_law.models("text_to_video")
    assert "aleph2" in runway_law.models("video_to_video")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"motion": 3}, "motion"),  # a made-up field
        ({"negativePrompt": "rain"}, "negativePrompt"),  # a field of veo3.1, not of gen4.5
        ({"prompt_text": "a fox"}, "prompt_text"),  # the SDK's Python name, not the wire name
        ({"duration": 11}, "duration"),  # "Must be an integer from 2 to 10."
        ({"duration": 1}, "duration"),
        ({"duration": "5"}, "duration"),  # a string where the SDK has an int
        ({"duration": 5.5}, "duration"),
        ({"seed": -1}, "seed"),
        ({"seed": 4294967296}, "seed"),
        ({"seed": True}, "seed"),
        ({"ratio": "1920:1080"}, "ratio"),  # a veo ratio, outside gen4.5's Literal
        ({"promptText": ""}, "promptText"),  # "A non-empty string"
        ({"promptText": EMOJI_1002}, "promptText"),  # 501 code points, 1002 UTF-16 code units
        ({"promptText": 7}, "promptText"),
        ({"promptImage": [{"uri": IMAGE, "position": "last"}]}, "promptImage[0].position"),  # gen4.5: first only
        ({"promptImage": [{"uri": IMAGE, "position": "first", "at": 0}]}, "promptImage[0].at"),
        ({"promptImage": [{"position": "first"}]}, "promptImage[0].uri"),
        ({"promptImage": {"uri": IMAGE}}, "promptImage"),
        ({"contentModeration": {"publicFigureThreshold": "off"}}, "contentModeration.publicFigureThreshold"),
        ({"model": "gen5"}, "model"),
    ],
)
def test_unlawful_image_to_video_is_refused(change, field):
    problems = check("image_to_video", {**GEN45_IMAGE, **change})
    assert fields(problems) == [field], problems


@pytest.mark.parametrize("missing", ["promptText", "promptImage", "ratio", "duration", "model"])
def test_gen45_image_to_video_requires_its_required_fields(missing):
    body = {k: v for k, v in GEN45_IMAGE.items() if k != missing}
    assert fields(check("image_to_video", body)) == [missing]


def test_the_emoji_prompt_is_measured_in_utf16_units():
    assert len(EMOJI_1002) == 501 < 1000
    assert check("image_to_video", {**GEN45_IMAGE, "promptText": EMOJI_1002}) == [
        "promptText: too long (1002 characters, at most 1000)"
    ]


def test_per_model_rules():
    turbo = {"model": "gen4_turbo", "promptImage": IMAGE, "ratio": "960:960"}
    assert check("image_to_video", turbo) == []  # gen4_turbo: promptText and duration optional
    assert fields(check("text_to_video", {**turbo, "promptText": "x"})) == ["model"]  # no text-to-video turbo
    veo = {"model": "veo3.1_fast", "promptImage": IMAGE, "ratio": "720:1280"}
    assert fields(check("image_to_video", {**veo, "duration": 5})) == ["duration"]  # Literal[4, 6, 8]
    assert fields(check("video_to_video", {"model": "aleph2", "promptText": "x"})) == ["videoUri"]
    assert fields(check("image_to_video", ["not", "an", "object"])) == ["body"]  # type: ignore[arg-type]


# --- through the real SDK (conftest.py), against the emulator ---------------------------------------------------------


async def test_sdk_refusal_reaches_the_client_as_runways_400(runway_sdk, emulator):
    with pytest.raises(runwayml.BadRequestError) as caught:
        await runway_sdk.image_to_video.create(
            model="gen4.5", prompt_image=IMAGE, ratio="1280:720", duration=5, seed=-1
        )  # the SDK's overloads let this through without prompt_text: only the server can refuse it
    assert caught.value.status_code == 400
    body = caught.value.body
    assert isinstance(body, dict) and set(body) == {"error"}
    assert sorted(body["error"].split("; ")) == [
        "promptText: required",
        "seed: must be from 0 to 4294967295, not -1",
    ]
    assert emulator.runway.tasks == {}


async def test_sdk_emoji_prompt_over_1000_utf16_units_is_refused(runway_sdk, emulator):
    with pytest.raises(runwayml.BadRequestError) as caught:
        await runway_sdk.text_to_video.create(model="gen4.5", prompt_text=EMOJI_1002, ratio="1280:720", duration=5)
    assert caught.value.body == {"error": "promptText: too long (1002 characters, at most 1000)"}
    assert emulator.runway.tasks == {}


async def test_sdk_lawful_create_is_accepted_as_sent(runway_sdk, emulator):
    frames = [{"uri": IMAGE, "position": "first"}, {"uri": IMAGE, "position": "last"}]
    created = await runway_sdk.image_to_video.create(
        model="veo3.1", prompt_image=frames, prompt_text=EMOJI_1000, ratio="1080:1920", duration=4, seed=0
    )
    body = emulator.runway.tasks[created.id].body
    assert body["promptImage"] == frames and body["promptText"] == EMOJI_1000 and body["seed"] == 0
    assert "prompt_text" not in body and "prompt_image" not in body  # the wire is camelCase


async def test_sdk_wrong_model_for_the_endpoint_is_refused(runway_sdk, emulator):
    with pytest.raises(runwayml.BadRequestError) as caught:
        await runway_sdk.text_to_video.create(model="gen4_turbo", prompt_text="x", ratio="1280:720")  # type: ignore[call-overload]
    assert caught.value.body["error"].startswith("model: must be one of 'gen4.5'")  # type: ignore[index]
    assert emulator.runway.creates == {"text_to_video": 1} and emulator.runway.tasks == {}


def test_video_upscale_takes_runways_own_terms_only():
    assert runway_law.models("video_upscale") == {"magnific_video_upscaler_creative", "enhance_frame_rate"}
    magnific = {"model": "magnific_video_upscaler_creative", "videoUri": IMAGE}
    assert check("video_upscale", {**magnific, "resolution": "1k", "fpsBoost": False}) == []
    assert fields(check("video_upscale", {**magnific, "resolution": "1080p"})) == ["resolution"]  # Runway says 1k
    assert fields(check("video_upscale", {**magnific, "targetFramerate": "60"})) == ["targetFramerate"]
    rate = {"model": "enhance_frame_rate", "videoUri": IMAGE}
    assert check("video_upscale", {**rate, "targetFramerate": "60"}) == []
    assert fields(check("video_upscale", {**rate, "targetFramerate": 60})) == ["targetFramerate"]  # a string
    assert fields(check("video_upscale", rate)) == ["targetFramerate"]  # required


def test_sound_fields_and_the_sound_endpoints():
    sounding = {"model": "veo3.1", "promptText": "a bell", "ratio": "1280:720", "duration": 4, "audio": True}
    assert check("text_to_video", sounding) == []
    assert check("text_to_video", {**sounding, "model": "wan3", "duration": 5}) == []
    silent_model = {"model": "gen4.5", "promptText": "x", "ratio": "1280:720", "duration": 5, "audio": False}
    assert fields(check("text_to_video", silent_model)) == ["audio"]  # a model without the field: unknown
    assert fields(check("text_to_video", {**sounding, "audio": "yes"})) == ["audio"]
    v2a = {"model": "mirelo_sfx_2_0", "videoUri": "https://media.example.test/clip.mp4", "duration": 4.37}
    assert check("video_to_audio", v2a) == [] and check("video_to_audio", {**v2a, "promptText": "rain"}) == []
    assert fields(check("video_to_audio", {k: v for k, v in v2a.items() if k != "duration"})) == ["duration"]
    sfx = {"model": "eleven_text_to_sound_v2", "promptText": "rain", "duration": 4.5, "loop": True}
    assert check("sound_effect", sfx) == []
    assert check("sound_effect", {**sfx, "duration": 30.5}) == ["duration: must be from 0.5 to 30, not 30.5"]
    assert fields(check("sound_effect", {**sfx, "promptText": None})) == ["promptText"]


def test_kling_3_multi_prompt_segments_add_up_to_3_to_15_seconds():
    body = {"model": "kling3.0_pro", "ratio": "1920:1080", "duration": 10}
    ok = body | {"providerSettings": {"multiPrompt": [{"prompt": "a", "duration": 5}, {"prompt": "b", "duration": 5}]}}
    assert law.check("runway", "text_to_video", ok) == []
    refused = {
        "16 s in all": [{"prompt": "a", "duration": 8}, {"prompt": "b", "duration": 8}],
        "2 s in all": [{"prompt": "a", "duration": 1}, {"prompt": "b", "duration": 1}],
        "a segment of 0 s": [{"prompt": "a", "duration": 0}, {"prompt": "b", "duration": 5}],
        "a segment without its duration": [{"prompt": "a"}, {"prompt": "b", "duration": 5}],
    }
    for name, segments in refused.items():
        assert law.check("runway", "text_to_video", body | {"providerSettings": {"multiPrompt": segments}}), name
    assert law.check("runway", "text_to_video", body | {"providerSettings": {"multi_prompt": []}})  # the wire name
    assert law.check("runway", "text_to_video", body | {"providerSettings": {"shotType": "auto"}})  # its Literal
