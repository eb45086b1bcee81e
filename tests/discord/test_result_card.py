"""The result card: a Components V2 message (flag 1 << 15, no content, no embeds) holding the clip and its first
and last frame in a media gallery, the prompt parts, the facts, the lineage and the result buttons; the
deferred response stays plain.  Every body is checked against Discord's OpenAPI description (emu fixture)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from emulators.discord.openapi import check_request, find_operation
from tests.support.discord import fields_of, job_id_of, mp4_of, texts_of, wait_result
from tests.support.video import ffmpeg

pytestmark = pytest.mark.timeout(120)
V2 = 1 << 15


def frame(video: Path, *, last: bool) -> Image.Image:
    seek = ["-sseof", "-0.3"] if last else []
    data = ffmpeg(*seek, "-i", str(video), "-update", "1", "-f", "image2", "-vcodec", "png", "-")
    return Image.open(io.BytesIO(data)).convert("RGB").resize((32, 18))


def distance(a: Image.Image, b: Image.Image) -> float:
    pairs = zip(a.tobytes(), b.tobytes(), strict=True)
    return sum(abs(x - y) for x, y in pairs) / (32 * 18 * 3)


async def test_the_result_is_a_v2_card(emu, launch, tmp_path):
    bot = await launch()
    handle = await emu.slash(
        emu.alice, "video", prompt="a red fox in snow", setting="a pine forest", camera="orbit", duration=2
    )
    assert await handle.wait_ack() == 5
    result = await wait_result(emu)
    job_id = job_id_of(result)
    assert result.flags & V2 and result.content == "" and result.embeds == []
    [container] = result.components
    assert container["type"] == 17
    kinds = [c["type"] for c in container["components"]]
    assert kinds[:2] == [10, 12] and kinds[-1] == 1  # header, media gallery, …, the buttons
    gallery = container["components"][1]["items"]
    by_id = {str(a.id): a for a in result.attachments}
    shown = [by_id[item["media"]["attachment_id"]].filename for item in gallery]
    assert shown == [f"videobot-{job_id}.mp4", f"videobot-{job_id}-first.jpg", f"videobot-{job_id}-last.jpg"]
    assert all(item["media"]["url"] == by_id[item["media"]["attachment_id"]].url for item in gallery)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(mp4_of(result))
    first, last = (Image.open(io.BytesIO(by_id[i["media"]["attachment_id"]].data)) for i in gallery[1:])
    assert first.format == last.format == "JPEG"
    first, last = first.convert("RGB").resize((32, 18)), last.convert("RGB").resize((32, 18))
    assert distance(first, frame(clip, last=False)) < distance(first, frame(clip, last=True))
    assert distance(last, frame(clip, last=True)) < distance(last, frame(clip, last=False))
    fields = fields_of(result)
    assert fields["Prompt"] == "a red fox in snow" and fields["Setting"] == "a pine forest"
    assert fields["Camera"] == "orbit" and fields["Model"] == "local:storyboard"
    assert fields["Duration"] == "2 s" and fields["Cost"] == "2 s" and "From" not in fields
    assert texts_of(result)[0].startswith(f"### 🎬 Video #{job_id}\n<@{emu.alice.id}> your video is ready.")
    assert result.pings.users == []  # a quick result names its owner but pings no one (tests/discord/test_ping.py)
    assert {b["custom_id"] for b in result.buttons()} == {
        f"videobot:{a}:{job_id}" for a in ("extend", "reroll", "refine", "delete", "finish")
    }  # no 🔊: the offline renderer has no sound model
    status = handle.original
    assert status is not None and status.id != result.id and not status.flags & V2 and status.embeds
    posted = [r for r in emu.rest.log if r.method == "POST" and r.payload and r.payload.get("flags", 0) & V2]
    assert posted and all(find_operation("POST", r.path) is not None for r in posted)  # a known operation
    assert all(check_request("POST", r.path, r.payload) == [] for r in posted)  # whose body the spec accepts
    emu.assert_lawful()

    # its lineage: an extension says where it came from
    await (await emu.click_button(emu.alice, result, f"videobot:extend:{job_id}")).wait_ack()
    extended = await wait_result(emu, after=result.id)
    assert fields_of(extended)["From"] == f"extend of #{job_id}"
    assert (await bot.app.service.get(job_id_of(extended))).parent_job_id == job_id
