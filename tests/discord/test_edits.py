"""/stitch, /loop and /soundtrack end to end (offline, free of quota), with their lineage and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulators.discord import Upload
from tests.support.discord import fields_of, job_id_of, mp4_of, png_bytes, results, wait_result
from tests.support.video import ffmpeg

pytestmark = pytest.mark.timeout(180)


async def _make(emu, prompt: str, duration: int = 1, after: int = 0) -> tuple[int, int]:
    """A finished /video result of alice: (job id, message id)."""
    await (await emu.slash(emu.alice, "video", prompt=prompt, duration=duration)).wait_ack()
    result = await wait_result(emu, after=after, timeout=90)
    return job_id_of(result), result.id


async def _probe(bot, data: bytes, tmp_path: Path, name: str):
    path = tmp_path / name
    path.write_bytes(data)
    return await bot.app.media.probe(path)


async def _refused(emu, bot, handle, words: str, jobs_before: int) -> None:
    await handle.wait_ack()
    refusal = await emu.wait_for_message(lambda m: m.ephemeral and words in m.content, timeout=20)
    assert refusal.ephemeral
    assert handle.original is None or handle.original.deleted or handle.original.ephemeral  # nothing public
    assert len(await bot.app.service.recent(limit=50)) == jobs_before
    assert await bot.app.service.active_jobs(emu.alice.id) == []


async def test_stitch_loop_and_soundtrack(emu, launch, tmp_path):
    bot = await launch()
    first, m1 = await _make(emu, "a red kite")
    second, m2 = await _make(emu, "a blue boat", duration=2, after=m1)
    used = (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used

    handle = await emu.slash(emu.alice, "stitch", jobs=f"{first}, {second}", crossfade=0.5)
    assert await handle.wait_ack() == 5
    stitched = await wait_result(emu, after=m2, timeout=90)
    info = await _probe(bot, mp4_of(stitched), tmp_path, "s.mp4")
    assert abs(info.duration - 2.5) < 0.2
    fields = fields_of(stitched)
    assert fields["From"] == f"stitch of #{first} + #{second}"

    await (await emu.slash(emu.alice, "loop", job=second, times=3)).wait_ack()
    looped = await wait_result(emu, after=stitched.id, timeout=90)
    assert abs((await _probe(bot, mp4_of(looped), tmp_path, "l.mp4")).duration - 6.0) < 0.2
    assert fields_of(looped)["From"] == f"loop of #{second}"

    song = tmp_path / "song.ogg"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=500:duration=5", "-c:a", "libvorbis", str(song))
    await (
        await emu.slash(
            emu.alice,
            "soundtrack",
            job=second,
            volume=0.8,
            attachments={"audio": Upload("song.ogg", song.read_bytes(), "audio/ogg")},
        )
    ).wait_ack()
    scored = await wait_result(emu, after=looped.id, timeout=90)
    info = await _probe(bot, mp4_of(scored), tmp_path, "a.mp4")
    assert info.has_audio and abs(info.duration - 2.0) < 0.15
    assert fields_of(scored)["From"] == f"soundtrack on #{second}"
    # edits are free of quota
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == used
    assert len(results(emu)) == 5


async def test_edit_refusals_are_private_and_leave_nothing(emu, launch, tmp_path):
    bot = await launch(max_edit_seconds=4, max_audio_bytes=50_000)
    job, _ = await _make(emu, "a red kite", duration=2)
    before = len(await bot.app.service.recent(limit=50))
    cases = [
        (await emu.slash(emu.alice, "loop", job=job, times=3), "capped at 4 s"),
        (await emu.slash(emu.alice, "stitch", jobs="seven and eight"), "separated by spaces or commas"),
        (await emu.slash(emu.alice, "stitch", jobs=str(job)), "2 to 8"),
        (await emu.slash(emu.alice, "stitch", jobs=f"{job} {job}", crossfade=3.0), "longer than the shortest"),
        (await emu.slash(emu.alice, "loop", job=9999, times=2), "no job #9999"),
        (
            await emu.slash(
                emu.alice, "soundtrack", job=job, attachments={"audio": Upload("song.mp3", png_bytes(), "audio/mpeg")}
            ),
            "not audio",
        ),
        (
            await emu.slash(
                emu.alice,
                "soundtrack",
                job=job,
                attachments={"audio": Upload("song.mp3", b"\0" * 60_000, "audio/mpeg")},
            ),
            "MiB",
        ),
    ]
    for handle, words in cases:
        await _refused(emu, bot, handle, words, before)
    assert len(results(emu)) == 1


async def test_edits_are_rate_limited_per_user(emu, launch):
    bot = await launch(edits_per_hour=1)
    job, m1 = await _make(emu, "a red kite")
    await (await emu.slash(emu.alice, "loop", job=job, times=2)).wait_ack()
    await wait_result(emu, after=m1, timeout=90)
    before = len(await bot.app.service.recent(limit=50))
    await _refused(emu, bot, await emu.slash(emu.alice, "loop", job=job, times=2), "an hour", before)


async def test_history_of_a_job_shows_its_whole_chain(emu, launch):
    await launch()
    first, m1 = await _make(emu, "a red kite")
    second, m2 = await _make(emu, "a blue boat", after=m1)
    await (await emu.slash(emu.alice, "stitch", jobs=f"{first} {second}")).wait_ack()
    stitched = job_id_of(msg := await wait_result(emu, after=m2, timeout=90))
    await (await emu.slash(emu.alice, "loop", job=stitched, times=2)).wait_ack()
    looped = job_id_of(await wait_result(emu, after=msg.id, timeout=90))
    handle = await emu.slash(emu.alice, "history", job=stitched)
    await handle.wait_ack()
    answer = await emu.wait_for_message(lambda m: m.ephemeral and bool(m.embeds), timeout=20)
    text = answer.embeds[0]["description"]
    made_from, rest = text.split("**This one**")
    this_one, made_after = rest.split("**Made from it**")
    assert f"**#{first}**" in made_from and f"**#{second}**" in made_from
    assert f"stitch of #{first} + #{second}" in this_one
    assert f"**#{looped}**" in made_after and f"loop of #{stitched}" in made_after
    assert "/channels/" in this_one  # a link to the result message
    # someone else's job is not shown
    bob = emu.add_user("bob")
    emu.add_member(emu.guild, bob)
    other = await emu.slash(bob, "history", job=stitched)
    await other.wait_ack()
    refusal = await emu.wait_for_message(lambda m: m.ephemeral and "someone else" in m.content, timeout=20)
    assert refusal.ephemeral
