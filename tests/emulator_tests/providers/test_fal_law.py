"""fal's law (the vendored input schemas) and the TLS emulator's 422 as ``fal_client.AsyncClient`` sees it."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from emulators.providers import law

ROOT = Path(__file__).resolve().parents[3]
KLING_T2V = "fal-ai/kling-video/v2.1/master/text-to-video"
HAILUO_I2V = "fal-ai/minimax/hailuo-02/standard/image-to-video"
FRAMES = "fal-ai/pika/v2.2/pikaframes"
IMG = "https://example.com/a.png"


def test_a_correct_body_is_accepted():
    assert law.check("fal", KLING_T2V, {"prompt": "rain", "duration": "10", "aspect_ratio": "9:16"}) == []
    assert law.check("fal", HAILUO_I2V, {"prompt": "rain", "image_url": IMG, "duration": "6"}) == []
    frames = {"image_urls": [IMG, IMG], "transitions": [{"duration": 10}], "resolution": "720p"}
    assert law.check("fal", FRAMES, frames) == []


@pytest.mark.parametrize(
    ("endpoint", "body", "expected"),
    [
        (KLING_T2V, {"prompt": "rain", "seed": 7}, "seed: Extra inputs are not permitted"),
        (HAILUO_I2V, {"image_url": IMG}, "prompt: Field required"),
        (KLING_T2V, {"prompt": "rain", "cfg_scale": 1.5}, "cfg_scale: Input should be less than or equal to 1"),
        (KLING_T2V, {"prompt": "rain", "duration": 5}, "duration: Input should be '5' or '10'"),
        (
            HAILUO_I2V,
            {"prompt": "r", "image_url": IMG, "resolution": "1080P"},
            "resolution: Input should be '512P' or '768P'",
        ),
        (FRAMES, {"image_urls": [IMG]}, "image_urls: List should have at least 2 items after validation, not 1"),
        (
            FRAMES,
            {"image_urls": [IMG, IMG], "transitions": [{"duration": 26}]},
            "transitions: Value error, total duration of all transitions must not exceed 25 seconds",
        ),
    ],
)
def test_what_fal_refuses(endpoint, body, expected):
    assert law.check("fal", endpoint, body) == [expected]


CHILD = """
import asyncio, json, sys, fal_client

async def main():
    client = fal_client.AsyncClient(key=sys.argv[1])
    out = []
    for body in ({"prompt": "rain", "seed": 7}, {"duration": "5"}):
        try:
            await client.submit("fal-ai/kling-video/v2.1/master/text-to-video", body)
            out.append(None)
        except fal_client.FalClientHTTPError as exc:
            out.append({"status": exc.status_code, "detail": exc.message})
    handle = await client.submit("fal-ai/kling-video/v2.1/master/text-to-video", {"prompt": "rain", "duration": "5"})
    out.append(handle.request_id)
    print(json.dumps(out))

asyncio.run(main())
"""


async def test_the_refusal_reaches_fal_client_as_an_http_error(fal_emulator):
    env = {
        **os.environ,
        "FAL_QUEUE_RUN_HOST": fal_emulator.fal_host,
        "FAL_RUN_HOST": fal_emulator.fal_host,
        "SSL_CERT_FILE": str(fal_emulator.fal_ca_file),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("FAL_KEY", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        fal_emulator.fal.api_key,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    assert proc.returncode == 0, err.decode()
    extra, missing, accepted = json.loads(out)
    assert extra == {
        "status": 422,
        "detail": [{"loc": ["body", "seed"], "msg": "Extra inputs are not permitted", "type": "extra_forbidden"}],
    }
    assert missing == {
        "status": 422,
        "detail": [{"loc": ["body", "prompt"], "msg": "Field required", "type": "missing"}],
    }
    assert accepted in fal_emulator.fal.tasks and len(fal_emulator.fal.tasks) == 1


def test_topaz_takes_a_factor_up_to_four_and_rates_up_to_sixty():
    from emulators.providers.law import fal as fal_law

    topaz = "fal-ai/topaz/upscale/video"
    lawful = {"video_url": "https://example.test/a.mp4", "upscale_factor": 1.5, "target_fps": 60, "H264_output": True}
    assert fal_law.check(topaz, lawful) == []
    assert fal_law.check(topaz, {**lawful, "upscale_factor": 6})  # at most 4
    assert fal_law.check(topaz, {**lawful, "target_fps": 120})  # 16 to 60
    assert fal_law.check(topaz, {**lawful, "resolution": "4k"})  # asked by factor, never by size
    assert fal_law.check(topaz, {"upscale_factor": 2})  # video_url required


RIFE = "fal-ai/rife/video"
RIFE_CHILD = """
import asyncio, json, sys, fal_client

async def main():
    client = fal_client.AsyncClient(key=sys.argv[1])
    out = []
    for body in json.loads(sys.argv[2]):
        try:
            out.append((await client.submit("fal-ai/rife/video", body)).request_id)
        except fal_client.FalClientHTTPError as exc:
            out.append({"status": exc.status_code, "detail": exc.message})
    print(json.dumps(out))

asyncio.run(main())
"""


def test_rife_takes_one_to_four_frames_between_and_rates_up_to_sixty():
    lawful = {"video_url": "https://example.test/a.mp4", "num_frames": 1, "use_calculated_fps": False, "fps": 60}
    assert law.check("fal", RIFE, lawful) == []
    assert law.check("fal", RIFE, {**lawful, "use_scene_detection": True, "loop": False}) == []  # lawful, never sent
    assert law.check("fal", RIFE, {**lawful, "num_frames": 0}) == [
        "num_frames: Input should be greater than or equal to 1"
    ]
    assert law.check("fal", RIFE, {**lawful, "fps": 72}) == ["fps: Input should be less than or equal to 60"]
    assert law.check("fal", RIFE, {**lawful, "fps": 59.94}) == ["fps: Input should be a valid integer"]
    assert law.check("fal", RIFE, {"num_frames": 2}) == ["video_url: Field required"]


async def test_rife_refuses_too_many_frames_and_unknown_fields_through_fal_client(fal_emulator):
    lawful = {"video_url": "https://example.test/a.mp4", "num_frames": 2, "use_calculated_fps": False, "fps": 60}
    bodies = [{**lawful, "num_frames": 5}, {**lawful, "resolution": "4k"}, lawful]
    env = {
        **os.environ,
        "FAL_QUEUE_RUN_HOST": fal_emulator.fal_host,
        "FAL_RUN_HOST": fal_emulator.fal_host,
        "SSL_CERT_FILE": str(fal_emulator.fal_ca_file),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("FAL_KEY", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        RIFE_CHILD,
        fal_emulator.fal.api_key,
        json.dumps(bodies),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    assert proc.returncode == 0, err.decode()
    too_many, unknown, accepted = json.loads(out)
    assert too_many == {
        "status": 422,
        "detail": [
            {"loc": ["body", "num_frames"], "msg": "Input should be less than or equal to 4", "type": "less_than_equal"}
        ],
    }
    assert unknown == {
        "status": 422,
        "detail": [{"loc": ["body", "resolution"], "msg": "Extra inputs are not permitted", "type": "extra_forbidden"}],
    }
    assert list(fal_emulator.fal.tasks) == [accepted]  # only the lawful one was queued
    assert fal_emulator.fal.tasks[accepted].endpoint == RIFE
