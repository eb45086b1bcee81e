"""/remix end to end: offline with local:restyle and through the Runway emulator (aleph2), and every
refusal private, free and leaving nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulators.discord import Upload
from tests.support.discord import fields_of, job_id_of, mp4_of, png_bytes, results, wait_result
from tests.support.video import ffmpeg, make_clip

pytestmark = pytest.mark.timeout(150)
W, H = 160, 96


def rgb_frames(video: Path) -> list[bytes]:
    data = ffmpeg("-i", str(video), "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-")
    return [data[i : i + W * H * 3] for i in range(0, len(data), W * H * 3)]


def diff(a: bytes, b: bytes) -> float:
    return sum(abs(x - y) for x, y in zip(a[::11], b[::11], strict=True)) / len(a[::11])


@pytest.fixture
def clip(tmp_path) -> Path:
    return make_clip(tmp_path / "src.mp4", seconds=2, size=f"{W}x{H}", source="testsrc2")


async def _nothing_happened(emu, bot, before: int = 0) -> None:
    assert len(results(emu)) == before
    assert await bot.app.service.active_jobs(emu.alice.id) == []
    assert [j for j in await bot.app.service.recent() if j.kind == "remix"] == []
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == 0
    assert not [p for p in bot.settings.inputs_dir.glob("*") if p.name.startswith(("clip-", "upload-"))]


async def test_remix_an_attached_clip_offline(emu, launch, clip, tmp_path):
    bot = await launch()
    upload = Upload("dance.mp4", clip.read_bytes(), "video/mp4")
    handle = await emu.slash(emu.alice, "remix", style="anime", strength=1.0, attachments={"video": upload})
    assert await handle.wait_ack() == 5
    result = await wait_result(emu, timeout=90)
    job = await bot.app.service.get(job_id_of(result))
    assert job.kind == "remix" and job.model == "local:restyle" and job.spec["duration"] == 2
    assert job.cost_seconds == 2  # the output's seconds
    out = tmp_path / "out.mp4"
    out.write_bytes(mp4_of(result))
    source, styled = rgb_frames(clip), rgb_frames(out)
    assert abs(len(styled) - len(source)) <= 2  # the same clip, frame for frame
    assert diff(styled[12], source[12]) > 8  # visibly restyled
    # its motion is the source's: consecutive styled frames change where the source's do
    assert diff(styled[0], styled[-1]) > 3
    fields = fields_of(result)
    assert fields["Style"] == "anime"


async def test_remix_of_a_result_records_its_lineage(emu, launch):
    bot = await launch()
    await (await emu.slash(emu.alice, "video", prompt="a kite over a beach", duration=2)).wait_ack()
    first = await wait_result(emu)
    parent = job_id_of(first)
    handle = await emu.slash(emu.alice, "remix", job=parent, style="cinematic")
    assert await handle.wait_ack() == 5
    result = await wait_result(emu, after=first.id, timeout=90)
    job = await bot.app.service.get(job_id_of(result))
    assert job.parent_job_id == parent and job.kind == "remix"
    fields = fields_of(result)
    assert fields["From"] == f"remix of #{parent}"


async def test_a_long_clip_is_trimmed_to_the_model_and_the_user_is_told(emu, launch, tmp_path):
    bot = await launch()
    long = make_clip(tmp_path / "long.mp4", seconds=12, size="128x72", rate=12)
    handle = await emu.slash(
        emu.alice,
        "remix",
        style="documentary",
        attachments={"video": Upload("long.mp4", long.read_bytes(), "video/mp4")},
    )
    await handle.wait_ack()
    note = await emu.wait_for_message(lambda m: m.ephemeral and "first 10 s" in m.content, timeout=30)
    assert "12.0 s" in note.content
    result = await wait_result(emu, timeout=120)
    job = await bot.app.service.get(job_id_of(result))
    assert job.spec["duration"] == 10 and job.cost_seconds == 10


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("notes.mp4", b"#!/bin/sh\necho not a video\n" * 30, "not a video"),
        ("photo.mp4", png_bytes(), "not a video"),
    ],
)
async def test_a_file_that_is_not_a_video_is_refused(emu, launch, name, data, words):
    bot = await launch()
    handle = await emu.slash(emu.alice, "remix", attachments={"video": Upload(name, data, "video/mp4")})
    await handle.wait_ack()
    refusal = await emu.wait_for_message(lambda m: m.ephemeral and bool(m.content), timeout=20)
    assert words in refusal.content and "MP4, MOV or WebM" in refusal.content
    assert handle.original is None or handle.original.deleted
    await _nothing_happened(emu, bot)


async def test_a_file_with_no_video_stream_is_refused(emu, launch, tmp_path):
    bot = await launch()
    audio = tmp_path / "tone.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "aac", str(audio))
    handle = await emu.slash(
        emu.alice, "remix", attachments={"video": Upload("tone.mp4", audio.read_bytes(), "video/mp4")}
    )
    await handle.wait_ack()
    refusal = await emu.wait_for_message(lambda m: m.ephemeral and bool(m.content), timeout=20)
    assert "no video stream" in refusal.content
    await _nothing_happened(emu, bot)


async def test_a_clip_over_the_cap_is_refused_before_it_is_downloaded(emu, launch, clip):
    bot = await launch(max_video_bytes=2_000)
    handle = await emu.slash(emu.alice, "remix", attachments={"video": Upload("a.mp4", clip.read_bytes(), "video/mp4")})
    assert await handle.wait_ack() == 4
    refusal = await handle.wait_response()
    assert refusal.ephemeral and "MiB" in refusal.content
    assert emu.cdn_downloads == []
    await _nothing_happened(emu, bot)


async def test_both_or_neither_source_is_refused_at_once(emu, launch, clip):
    bot = await launch()
    neither = await emu.slash(emu.alice, "remix", style="anime")
    assert await neither.wait_ack() == 4
    assert "exactly one source" in (await neither.wait_response()).content
    both = await emu.slash(
        emu.alice, "remix", job=1, attachments={"video": Upload("a.mp4", clip.read_bytes(), "video/mp4")}
    )
    assert await both.wait_ack() == 4
    assert emu.cdn_downloads == []
    await _nothing_happened(emu, bot)


async def test_someone_elses_result_cannot_be_remixed(emu, launch):
    bot = await launch()
    bob = emu.add_user("bob")
    emu.add_member(emu.guild, bob)
    await (await emu.slash(bob, "video", prompt="a kite over a beach", duration=1)).wait_ack()
    theirs = job_id_of(await wait_result(emu))
    handle = await emu.slash(emu.alice, "remix", job=theirs, style="anime")
    await handle.wait_ack()
    refusal = await emu.wait_for_message(lambda m: m.ephemeral and bool(m.content), timeout=20)
    assert "someone else" in refusal.content
    await _nothing_happened(emu, bot, before=1)


async def test_remix_through_runway_aleph2_sends_the_users_clip(emu, launch, emulator, clip, tmp_path):
    bot = await launch(RUNWAYML_API_SECRET=emulator.runway.api_key, RUNWAYML_BASE_URL=emulator.runway_url)
    handle = await emu.slash(
        emu.alice,
        "remix",
        model="runway:aleph2",
        prompt="a watercolour painting",
        attachments={"video": Upload("a.mp4", clip.read_bytes(), "video/mp4")},
    )
    assert await handle.wait_ack() == 5
    result = await wait_result(emu, timeout=120)
    job = await bot.app.service.get(job_id_of(result))
    assert job.model == "runway:aleph2" and job.cost_seconds == pytest.approx(2.0)  # seconds of video, one for one
    task = next(iter(emulator.runway.tasks.values()))
    assert task.endpoint.endswith("video_to_video") and task.body["promptText"] == "a watercolour painting"
    sent = tmp_path / "sent.mp4"
    sent.write_bytes(emulator.runway.uploaded[task.body["videoUri"]])
    received, original = rgb_frames(sent), rgb_frames(clip)
    assert abs(len(received) - len(original)) <= 2
    assert diff(received[10], original[10]) < 6  # the user's own clip, decoded on the provider's side


async def test_remix_through_replicate_zeroscope_sends_the_users_clip_as_init_video(
    emu, launch, emulator, clip, tmp_path
):
    bot = await launch(REPLICATE_API_TOKEN=emulator.replicate.api_key, REPLICATE_BASE_URL=emulator.replicate_url)
    handle = await emu.slash(
        emu.alice,
        "remix",
        model="replicate:zeroscope",
        prompt="an oil painting",
        attachments={"video": Upload("a.mp4", clip.read_bytes(), "video/mp4")},
    )
    assert await handle.wait_ack() == 5
    result = await wait_result(emu, timeout=120)
    job = await bot.app.service.get(job_id_of(result))
    assert job.model == "replicate:zeroscope" and job.spec["duration"] == 2 and job.spec["aspect"] == "16:9"
    task = next(iter(emulator.replicate.tasks.values()))
    init = task.body["input"]["init_video"]
    file_id = init.rstrip("/").rsplit("/", 1)[1]
    sent = tmp_path / "sent.mp4"
    sent.write_bytes(emulator.replicate.file_data[file_id])
    received, original = rgb_frames(sent), rgb_frames(clip)
    assert abs(len(received) - len(original)) <= 2
    assert diff(received[10], original[10]) < 6  # the user's own clip, decoded on the provider's side
    assert task.body["input"]["prompt"] == "an oil painting" and task.body["input"]["num_frames"] == 16
