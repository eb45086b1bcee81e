"""Replicate's law (the vendored input schemas) and the emulator's 422 as the real ``replicate`` client sees it."""

from __future__ import annotations

import pytest
import replicate
from replicate.exceptions import ReplicateError

from emulators.providers import law
from emulators.providers.replicate import MODELS

ANIMATE = "lucataco/animate-diff"
KLING = "kwaivgi/kling-v2.1"
KLING_OK = {"prompt": "a kite", "start_image": "https://example.com/a.png", "mode": "standard", "duration": 5}


def test_a_correct_input_is_accepted():
    assert law.check("replicate", ANIMATE, {"prompt": "a fox", "seed": 2147483647, "steps": 25}) == []
    assert law.check("replicate", KLING, KLING_OK) == []


@pytest.mark.parametrize(
    ("model", "body", "expected"),
    [
        (ANIMATE, {"prompt": "a fox", "colour": "red"}, "input: Additional property colour is not allowed"),
        (KLING, {k: v for k, v in KLING_OK.items() if k != "prompt"}, "input: prompt is required"),
        (ANIMATE, {"prompt": "a fox", "seed": 2**32 - 1}, "input.seed: Must be less than or equal to 2147483647"),
        (ANIMATE, {"prompt": "a fox", "steps": 0}, "input.steps: Must be greater than or equal to 1"),
        (KLING, {**KLING_OK, "mode": "turbo"}, 'input.mode: mode must be one of the following: "standard", "pro"'),
        (KLING, {**KLING_OK, "duration": "5"}, "input.duration: Invalid type. Expected: integer, given: string"),
        (KLING, {**KLING_OK, "end_image": "https://example.com/b.png"}, 'input.mode: mode does not match: "pro"'),
        (KLING, {**KLING_OK, "seed": 3}, "input: Additional property seed is not allowed"),
    ],
)
def test_what_replicate_refuses(model, body, expected):
    assert law.check("replicate", model, body) == [expected]


async def test_the_refusal_reaches_the_replicate_client_as_replicate_error(emulator):
    client = replicate.Client(api_token=emulator.replicate.api_key, base_url=emulator.replicate_url)
    version = MODELS[ANIMATE].version
    with pytest.raises(ReplicateError) as info:
        await client.predictions.async_create(version=version, input={"prompt": "a fox", "seed": 2**32 - 1})
    err = info.value
    assert (err.status, err.title) == (422, "Input validation failed")
    assert err.detail == "- input.seed: Must be less than or equal to 2147483647\n"
    with pytest.raises(ReplicateError) as info:
        await client.models.predictions.async_create(model=KLING, input={"start_image": "https://example.com/a.png"})
    assert info.value.status == 422 and info.value.detail == "- input: prompt is required\n"
    assert emulator.replicate.tasks == {}  # nothing was queued

    ok = await client.predictions.async_create(version=version, input={"prompt": "a fox", "seed": 2147483647})
    assert ok.status == "starting" and ok.input["seed"] == 2147483647


async def test_the_422_body_lists_invalid_fields(emulator):
    import httpx

    headers = {"Authorization": f"Bearer {emulator.replicate.api_key}"}
    body = {"version": MODELS[ANIMATE].version, "input": {"prompt": "a fox", "seed": 2**32 - 1, "colour": "red"}}
    async with httpx.AsyncClient(timeout=10) as http:
        resp = await http.post(f"{emulator.replicate_url}/v1/predictions", json=body, headers=headers)
    assert resp.status_code == 422
    assert resp.json()["invalid_fields"] == [
        {
            "type": "additional_property_not_allowed",
            "field": "input",
            "description": "Additional property colour is not allowed",
        },
        {"type": "number_lte", "field": "input.seed", "description": "Must be less than or equal to 2147483647"},
    ]


async def test_the_version_serves_the_vendored_input_schema(emulator):
    client = replicate.Client(api_token=emulator.replicate.api_key, base_url=emulator.replicate_url)
    model = await client.models.async_get(ANIMATE)
    served = model.latest_version.openapi_schema["components"]["schemas"]["Input"]
    assert served["properties"]["seed"] == {"type": "integer", "maximum": 2147483647}


def test_topaz_video_takes_its_own_resolutions_and_rates_only():
    from emulators.providers.law import replicate as replicate_law

    lawful = {"video": "https://example.test/a.mp4", "target_resolution": "4k", "target_fps": 60}
    assert replicate_law.check("topazlabs/video-upscale", lawful) == []
    assert replicate_law.check("topazlabs/video-upscale", {**lawful, "target_resolution": "2k"})  # no 2k
    assert replicate_law.check("topazlabs/video-upscale", {**lawful, "target_fps": 240})  # 15 to 120
    assert replicate_law.check("topazlabs/video-upscale", {**lawful, "target_fps": "60"})  # an integer
    assert replicate_law.check("topazlabs/video-upscale", {"target_fps": 60})  # video is required
