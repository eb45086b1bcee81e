"""Luma's law (the ``lumaai`` SDK's own param types, plus Luma's documented refusals) and the Luma emulator."""

from __future__ import annotations

import lumaai
import pytest

from emulators.providers import law
from emulators.providers.law import luma as luma_law

IMAGE = "https://media.example.test/start.png"
TEXT = {"model": "ray-2", "prompt": "a lighthouse in a storm", "aspect_ratio": "21:9", "duration": "5s"}


def check(body: dict) -> list[str]:
    return law.check("luma", "generations", body)


def fields(problems: list[str]) -> list[str]:
    return [p.split(":", 1)[0] for p in problems]


def test_lawful_bodies_are_accepted():
    assert check(TEXT) == []
    full = {
        **TEXT,
        "model": "ray-flash-2",
        "duration": "9s",
        "resolution": "4k",
        "loop": True,
        "callback_url": "https://bot.example.test/cb",
        "generation_type": "video",
        "concepts": [{"key": "dolly_zoom"}],
        "keyframes": {"frame0": {"type": "image", "url": IMAGE}},
    }
    assert check(full) == []
    both = {"frame0": {"type": "generation", "id": "g1"}, "frame1": {"type": "image", "url": IMAGE}}
    assert check({"model": "ray-2", "prompt": "join", "keyframes": both}) == []
    assert check({"model": "ray-2", "keyframes": {"frame0": {"type": "image", "url": IMAGE}}}) == []  # image: no prompt


def test_the_law_is_read_from_the_sdk():
    assert luma_law.models() == {"ray-2", "ray-flash-2"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"seed": 3}, "seed"),  # a made-up field
        ({"model": "ray-1-6"}, "model"),  # dropped in lumaai 1.10
        ({"aspect_ratio": "2:1"}, "aspect_ratio"),
        ({"duration": "7s"}, "duration"),  # an open enum in the SDK; the service lists 5s and 9s
        ({"duration": 5}, "duration"),  # durations are strings
        ({"resolution": "8k"}, "resolution"),
        ({"loop": "true"}, "loop"),
        ({"generation_type": "image"}, "generation_type"),
        ({"callback_url": 1}, "callback_url"),
        ({"concepts": [{"key": "x", "name": "x"}]}, "concepts[0].name"),
        ({"concepts": [{}]}, "concepts[0].key"),
        ({"keyframes": {"frame2": {"type": "image", "url": IMAGE}}}, "keyframes.frame2"),
        ({"keyframes": {"frame0": {"type": "video", "url": IMAGE}}}, "keyframes.frame0.type"),
        ({"keyframes": {"frame0": {"type": "image"}}}, "keyframes.frame0.url"),
        ({"keyframes": {"frame0": {"type": "generation", "url": IMAGE, "id": "g"}}}, "keyframes.frame0.url"),
        ({"keyframes": {"frame0": None}}, "keyframes.frame0"),
        ({"prompt": "ab"}, "prompt"),  # Luma's errors page: at least 3 characters
        ({"prompt": "x" * 5001}, "prompt"),  # ... at most 5000
        ({"loop": True, "keyframes": {"frame1": {"type": "image", "url": IMAGE}}}, "loop"),
    ],
)
def test_unlawful_create_is_refused(change, field):
    problems = check({**TEXT, **change})
    assert fields(problems) == [field], problems


def test_missing_required_fields_are_refused():
    assert fields(check({k: v for k, v in TEXT.items() if k != "model"})) == ["model"]
    extend = {"model": "ray-2", "keyframes": {"frame0": {"type": "generation", "id": "g1"}}}
    assert check(extend) == ["prompt: Prompt is required"]  # no image keyframe: a prompt is needed


# --- through the real SDK (conftest.py), against the emulator ---------------------------------------------------------


async def test_sdk_refusal_reaches_the_client_as_lumas_400(luma_sdk, emulator):
    with pytest.raises(lumaai.BadRequestError) as caught:
        await luma_sdk.generations.create(
            model="ray-2", prompt="a lighthouse", duration="7s", resolution="720p", aspect_ratio="16:9"
        )  # the SDK types duration as Union[Literal["5s", "9s"], str]: only the server refuses "7s"
    assert caught.value.status_code == 400
    assert caught.value.body == {"detail": "duration: must be one of '5s', '9s', not '7s'"}
    assert emulator.luma.tasks == {}


async def test_sdk_lawful_create_is_accepted(luma_sdk, emulator):
    created = await luma_sdk.generations.create(
        model="ray-flash-2",
        prompt="a lighthouse",
        duration="9s",
        resolution="540p",
        loop=True,
        keyframes={"frame0": {"type": "image", "url": IMAGE}},
    )
    assert created.state == "queued"
    assert emulator.luma.tasks[created.id].body["keyframes"] == {"frame0": {"type": "image", "url": IMAGE}}


def test_upscale_takes_lumas_own_resolutions_only():
    from emulators.providers.law import luma as luma_law

    lawful = {"generation_type": "upscale_video", "resolution": "1080p", "callback_url": "https://x.invalid/"}
    assert luma_law.check("upscale", lawful) == []
    assert luma_law.check("upscale", {**lawful, "resolution": "2k"})[0].startswith("resolution")  # no 2k at Luma
    assert luma_law.check("upscale", {**lawful, "prompt": "sharper"})[0].startswith("prompt")  # unknown field
