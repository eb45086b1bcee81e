"""Forms (Discord modals): /video with no prompt and /animate with no image open one; the /animate form's two
uploaded frames reach the provider as sent (decoded and compared); refusals private, free, leaving nothing."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from emulators.discord import Upload
from tests.support.discord import free_port, is_mp4, job_id_of, mp4_of, png_bytes, refused_privately, wait_result

pytestmark = pytest.mark.timeout(150)
RED, BLUE = (220, 40, 40), (30, 60, 220)


def labels(modal: dict) -> list[str]:
    return [c["label"] for c in modal["components"]]


async def test_video_with_no_prompt_opens_a_form_that_makes_the_video(emu, launch):
    bot = await launch()
    synced = {c["name"]: c for c in emu.synced_commands(emu.guild)}
    prompt = next(o for o in synced["video"]["options"] if o["name"] == "prompt")
    assert not prompt.get("required") and "form" in prompt["description"]
    handle = await emu.slash(emu.alice, "video", camera="orbit", duration=1, lighting="neon")
    assert await handle.wait_ack() == 9
    modal = handle.modal
    assert modal is not None and labels(modal) == ["Prompt", "Setting", "Lighting", "Details"]
    prompt_box = modal["components"][0]["component"]
    assert prompt_box["style"] == 2 and prompt_box["required"]  # multi-line, must be filled in
    assert modal["components"][2]["component"]["value"] == "neon"  # prefilled from the command's option
    submit = await emu.submit_modal(handle, prompt="a lighthouse in a storm\nwaves crashing", setting="a cliff")
    assert await submit.wait_ack() == 5
    result = await wait_result(emu)
    job = await bot.app.service.get(job_id_of(result))
    assert job.spec["subject"] == "a lighthouse in a storm waves crashing"  # one line, as prompts are kept
    assert (job.spec["setting"], job.spec["lighting"], job.spec["camera"]) == ("a cliff", "neon", "orbit")
    assert job.spec["duration"] == 1 and is_mp4(mp4_of(result))


async def test_animate_form_takes_start_and_end_frames_as_uploads(emu, launch, emulator):
    port = free_port()
    bot = await launch(
        LUMAAI_API_KEY=emulator.luma.api_key,
        LUMAAI_BASE_URL=emulator.luma_url,
        file_server_port=port,
        public_base_url=f"http://127.0.0.1:{port}",
    )
    handle = await emu.slash(emu.alice, "animate", model="luma:ray-2", duration=5)
    assert await handle.wait_ack() == 9
    modal = handle.modal
    assert modal is not None and labels(modal) == ["Start frame", "End frame", "Prompt"]
    assert [c["component"]["type"] for c in modal["components"]] == [19, 19, 4]
    first = Upload("first.png", png_bytes((160, 90), RED), "image/png")
    last = Upload("last.png", png_bytes((160, 90), BLUE), "image/png")
    submit = await emu.submit_modal(handle, prompt="red turns blue", files={"image": [first], "end_image": [last]})
    assert await submit.wait_ack() == 5
    result = await wait_result(emu, timeout=120)
    job = await bot.app.service.get(job_id_of(result))
    assert job.model == "luma:ray-2" and job.inputs.end_image and job.spec["subject"] == "red turns blue"
    frames = emulator.luma.tasks[job.provider_task_id].body["keyframes"]
    for name, colour in (("frame0", RED), ("frame1", BLUE)):
        fetched = emulator.luma.fetched[frames[name]["url"]]  # what Luma received, decoded
        image = Image.open(io.BytesIO(fetched)).convert("RGB")
        assert image.size == (160, 90)
        pixel = image.getpixel((80, 45))
        assert all(abs(a - b) < 8 for a, b in zip(pixel, colour, strict=True)), (name, pixel)
    assert len(emu.cdn_downloads) == 2  # each upload read once, from Discord's CDN


@pytest.mark.parametrize(
    ("upload", "words"),
    [
        (Upload("notes.txt", b"just some text, not a picture\n" * 10, "text/plain"), ("not an image",)),
        (Upload("huge.png", png_bytes((300, 300)) + b"\0" * 30_000, "image/png"), ("MiB",)),
    ],
)
async def test_an_upload_that_is_not_an_image_or_too_large_is_refused(emu, launch, upload, words):
    bot = await launch(max_image_bytes=20_000)
    handle = await emu.slash(emu.alice, "animate")
    assert await handle.wait_ack() == 9
    submit = await emu.submit_modal(handle, files={"image": [upload]})
    await refused_privately(emu, bot, submit, *words)
    assert emu.cdn_downloads == []  # refused from what Discord declared, before reading it


async def test_an_expired_form_is_refused_privately(emu, launch):
    bot = await launch()
    handle = await emu.slash(emu.alice, "video")
    assert await handle.wait_ack() == 9
    bot.forms.ttl = 0.0  # the form was opened longer ago than forms last
    submit = await emu.submit_modal(handle, prompt="a cat")
    await refused_privately(emu, bot, submit, "expired", "open it again")
