"""/interpolate end to end: offline (a real transition, first frame like `first`, last like `last`) and through
Runway veo3.1 and Luma keyframes (the emulator receives both images, decoded: Luma's fetched from the bot's file
server); refusals private and free."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from emulators.discord import Upload
from tests.support.discord import free_port, is_mp4, job_id_of, mp4_of, png_bytes, results, wait_result
from tests.support.video import ffmpeg

pytestmark = pytest.mark.timeout(150)
RED, BLUE = (220, 40, 40), (30, 60, 220)


def rgb_frames(video: Path, w: int = 64, h: int = 36) -> list[bytes]:
    data = ffmpeg("-i", str(video), "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-")
    return [data[i : i + w * h * 3] for i in range(0, len(data), w * h * 3)]


def diff(a: bytes, b: bytes) -> float:
    return sum(abs(x - y) for x, y in zip(a[::5], b[::5], strict=True)) / len(a[::5])


def solid(colour: tuple[int, int, int]) -> bytes:
    return Image.new("RGB", (64, 36), colour).tobytes()


async def test_interpolate_offline_goes_from_first_to_last(emu, launch, tmp_path):
    bot = await launch()
    first = Upload("first.png", png_bytes((320, 180), RED), "image/png")
    last = Upload("last.png", png_bytes((320, 180), BLUE), "image/png")
    handle = await emu.slash(emu.alice, "interpolate", duration=2, attachments={"first": first, "last": last})
    assert await handle.wait_ack() == 5
    result = await wait_result(emu, timeout=90)
    job = await bot.app.service.get(job_id_of(result))
    assert job.model == "local:interpolate" and job.cost_seconds == 2
    out = tmp_path / "out.mp4"
    out.write_bytes(mp4_of(result))
    frames = rgb_frames(out)
    assert diff(frames[0], solid(RED)) < 10 and diff(frames[-1], solid(BLUE)) < 10
    middle = frames[len(frames) // 2]
    assert diff(middle, solid(RED)) > 30 and diff(middle, solid(BLUE)) > 30  # in between: not a cut


async def test_interpolate_through_runway_veo_sends_both_images(emu, launch, emulator):
    await launch(RUNWAYML_API_SECRET=emulator.runway.api_key, RUNWAYML_BASE_URL=emulator.runway_url)
    first = Upload("first.png", png_bytes((128, 72), RED), "image/png")
    last = Upload("last.png", png_bytes((128, 72), BLUE), "image/png")
    handle = await emu.slash(
        emu.alice,
        "interpolate",
        model="runway:veo3.1",
        duration=4,
        prompt="a sunset",
        attachments={"first": first, "last": last},
    )
    assert await handle.wait_ack() == 5
    await wait_result(emu, timeout=120)
    task = next(iter(emulator.runway.tasks.values()))
    frames = {f["position"]: f["uri"] for f in task.body["promptImage"]}
    for position, colour in (("first", RED), ("last", BLUE)):
        uri = frames[position]
        data = base64.b64decode(uri.split(",", 1)[1]) if uri.startswith("data:") else emulator.runway.uploaded[uri]
        pixel = Image.open(io.BytesIO(data)).convert("RGB").getpixel((5, 5))
        assert all(abs(a - b) < 8 for a, b in zip(pixel, colour, strict=True)), (position, pixel)


async def test_interpolate_through_luma_keyframes_fetches_both_images_from_the_file_server(emu, launch, emulator):
    """Luma gets ``frame0``/``frame1`` as URLs of the bot's own file server; the emulator fetches them as Luma
    does, and what it fetched decodes to the two images the user attached, in order."""
    port = free_port()
    bot = await launch(
        LUMAAI_API_KEY=emulator.luma.api_key,
        LUMAAI_BASE_URL=emulator.luma_url,
        file_server_port=port,
        public_base_url=f"http://127.0.0.1:{port}",
    )
    first = Upload("first.png", png_bytes((160, 90), RED), "image/png")
    last = Upload("last.png", png_bytes((160, 90), BLUE), "image/png")
    handle = await emu.slash(
        emu.alice,
        "interpolate",
        model="luma:ray-2",
        duration=5,
        prompt="red turns blue",
        attachments={"first": first, "last": last},
    )
    assert await handle.wait_ack() == 5
    result = await wait_result(emu, timeout=120)
    job = await bot.app.service.get(job_id_of(result))
    assert job.model == "luma:ray-2" and job.inputs.end_image and job.cost_seconds == 5
    task = emulator.luma.tasks[job.provider_task_id]
    frames = task.body["keyframes"]
    for name, colour in (("frame0", RED), ("frame1", BLUE)):
        url = frames[name]["url"]
        assert frames[name]["type"] == "image" and url.startswith(f"http://127.0.0.1:{port}/i/"), url
        fetched = emulator.luma.fetched[url]  # what Luma received from the bot's file server
        image = Image.open(io.BytesIO(fetched)).convert("RGB")
        assert image.size == (160, 90)
        pixel = image.getpixel((80, 45))
        assert all(abs(a - b) < 8 for a, b in zip(pixel, colour, strict=True)), (name, pixel)
    assert is_mp4(mp4_of(result))


async def test_interpolate_on_a_model_that_cannot_is_refused_privately(emu, launch, emulator):
    bot = await launch(RUNWAYML_API_SECRET=emulator.runway.api_key, RUNWAYML_BASE_URL=emulator.runway_url)
    first, last = Upload("a.png", png_bytes(), "image/png"), Upload("b.png", png_bytes(), "image/png")
    handle = await emu.slash(
        emu.alice, "interpolate", model="runway:gen4.5", attachments={"first": first, "last": last}
    )
    assert await handle.wait_ack() == 4
    refusal = await handle.wait_response()
    assert refusal.ephemeral and "cannot do interpolate" in refusal.content and "runway:veo3.1" in refusal.content
    assert emu.cdn_downloads == [] and not results(emu) and emulator.runway.tasks == {}
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 0
