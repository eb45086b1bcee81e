"""A server's cast (/cast add|list|show|delete, the `cast` option and @Name) through the held emulators: each
reference model receives the members' photos (decoded and compared with the uploads) in its own field and order and
the prompt in its own syntax; refusals are private and free; a re-roll after a deletion still uses the original
photos."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest
from PIL import Image

from emulators.discord import Upload
from tests.support.discord import fields_of, job_id_of, refused_privately, runway_bot, wait_result
from tests.support.video import make_voice

pytestmark = pytest.mark.timeout(180)

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "result-page.png"  # a real picture to crop photos from


def photo(n: int, fmt: str = "PNG") -> bytes:
    """A distinct real photo: a crop of the docs screenshot (JPEG or PNG)."""
    with Image.open(SCREENSHOT) as img:
        crop = img.convert("RGB").crop((40 * n, 30 * n, 40 * n + 200 + 8 * n, 30 * n + 150))
    buf = io.BytesIO()
    crop.save(buf, format=fmt)
    return buf.getvalue()


def pixels(data: bytes) -> tuple[tuple[int, int], bytes]:
    with Image.open(io.BytesIO(data)) as img:
        rgb = img.convert("RGB")
        return rgb.size, rgb.tobytes()


def from_data_uri(uri: str) -> bytes:
    assert uri.startswith("data:image/png;base64,"), uri[:40]
    return base64.b64decode(uri.split(",", 1)[1])


async def private(emu, user, command: str, words: str, **options) -> str:
    """Run ``command`` and wait for its private answer holding ``words`` (not an earlier one)."""
    seen = {m.id for m in emu.messages(ephemeral=True)}
    handle = await emu.slash(user, command, **options)
    await handle.wait_ack()
    message = await emu.wait_for_message(
        lambda m: m.ephemeral and m.id not in seen and words.lower() in m.content.lower(), timeout=30
    )
    return str(message.content)


async def add_member(emu, user, name: str, photos: list[bytes], *, voice: bytes | None = None, **options) -> None:
    attachments = {
        key: Upload(f"{name}-{n}.png", data, "image/png")
        for n, (key, data) in enumerate(zip(("image", "image2", "image3"), photos, strict=False))
    }
    if voice is not None:
        attachments["voice"] = Upload(f"{name}.wav", voice, "audio/wav")
    await private(emu, user, "cast add", "joined this server's cast", name=name, attachments=attachments, **options)


@pytest.fixture
def voice(tmp_path) -> bytes:
    return make_voice(tmp_path / "voice.wav", seconds=3.0).read_bytes()


async def test_add_list_show_and_delete_with_permissions(emu, launch):
    bot = await launch()
    mara = [photo(1), photo(2, "JPEG")]
    await add_member(emu, emu.alice, "Mara", mara, description="a red fox in a blue scarf")
    [member] = await bot.app.storage.cast.members(emu.guild.id)
    assert member.name == "Mara" and member.added_by == emu.alice.id and member.description.startswith("a red fox")
    for stored, uploaded in zip(member.photos, mara, strict=True):  # stored like other media: clean PNGs by hash
        path = bot.app.settings.cast_dir / f"{stored}.png"
        assert pixels(path.read_bytes()) == pixels(uploaded)

    listed = await private(emu, emu.alice, "cast list", "Mara")
    assert "2 photo(s)" in listed and "alice" in listed
    shown = await private(emu, emu.alice, "cast show", "No results with Mara", name="mara")
    assert "red fox" in shown

    bob = emu.add_user("bob")
    emu.add_member(emu.guild, bob)
    refused = await private(emu, bob, "cast delete", "added by someone else", name="Mara")
    assert "Manage Server" in refused
    assert await bot.app.storage.cast.get(emu.guild.id, "Mara") is not None
    await private(emu, emu.admin, "cast delete", "Deleted **Mara**", name="MARA")
    assert await bot.app.storage.cast.members(emu.guild.id) == []
    assert not emu.messages(ephemeral=False)  # everything about the cast was private


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("taken", "already has a member called mara"),
        ("malformed", "one word of 2 to 32"),
        ("not an image", "not an image"),
        ("oversized", "MiB"),
        ("voice too long", "up to 15 s"),
        ("voice not audio", "not audio"),
    ],
)
async def test_bad_input_is_refused_privately_and_stores_nothing(emu, launch, tmp_path, case, words):
    bot = await launch(max_image_bytes=200_000)
    await add_member(emu, emu.alice, "Mara", [photo(1)])
    before = sorted(p.name for p in bot.app.settings.cast_dir.iterdir())
    good = Upload("p.png", photo(3), "image/png")
    attachments: dict[str, Upload] = {"image": good}
    name = "Teo"
    if case == "taken":
        name = "mara"
    elif case == "malformed":
        name = "two words"
    elif case == "not an image":
        attachments["image2"] = Upload("x.png", b"#!/bin/sh\necho hi\n" * 40, "image/png")
    elif case == "oversized":
        attachments["image2"] = Upload("big.png", photo(3) + b"\0" * 250_000, "image/png")
    elif case == "voice too long":
        attachments["voice"] = Upload("v.wav", make_voice(tmp_path / "long.wav", seconds=16).read_bytes(), "audio/wav")
    else:
        attachments["voice"] = Upload("v.wav", photo(4), "audio/wav")
    handle = await emu.slash(emu.alice, "cast add", name=name, attachments=attachments)
    await handle.wait_ack()
    refusal = await emu.wait_for_message(lambda m: m.ephemeral and words.lower() in m.content.lower(), timeout=30)
    assert refusal.ephemeral
    assert [m.name for m in await bot.app.storage.cast.members(emu.guild.id)] == ["Mara"]
    after = sorted(p.name for p in bot.app.settings.cast_dir.iterdir())
    assert after == before  # refused before any file was written (a voice refused is never placed)
    assert await bot.app.service.recent() == []


async def test_runway_seedance_gets_the_photos_as_reference_images_and_the_prompt_in_its_syntax(
    emu, launch, emulator, voice
):
    bot = await runway_bot(launch, emulator)
    mara, teo = [photo(1), photo(2, "JPEG")], [photo(3)]
    await add_member(emu, emu.alice, "Mara", mara, voice=voice, description="a red fox in a blue scarf")
    await add_member(emu, emu.alice, "Teo", teo)
    handle = await emu.slash(
        emu.alice, "video", prompt="@Mara hands a lantern to @teo at dusk", model="runway:seedance2", duration=5
    )
    assert await handle.wait_ack() == 5
    result = await wait_result(emu)
    [task] = emulator.runway.tasks.values()
    assert task.endpoint == "image_to_video" and task.body["model"] == "seedance2"
    refs = task.body["promptImage"]
    assert all(set(r) == {"uri"} for r in refs)  # reference images: no position
    assert [pixels(from_data_uri(r["uri"])) for r in refs] == [pixels(p) for p in mara + teo]
    [audio] = task.body["referenceAudio"]
    assert audio["type"] == "audio" and base64.b64decode(audio["uri"].split(",", 1)[1]) == voice
    prompt = task.body["promptText"]
    assert prompt.startswith("Mara (@Image1 @Image2) hands a lantern to Teo (@Image3) at dusk")
    assert "Mara: a red fox in a blue scarf." in prompt and "Mara's voice: @Audio1." in prompt
    job = await bot.app.service.get(job_id_of(result))
    assert [c.name for c in job.inputs.cast] == ["Mara", "Teo"]
    assert fields_of(result)["Cast"] == "with Mara and Teo"


async def test_kling_o3_takes_the_cast_as_references_beside_the_animated_image(emu, launch, emulator):
    await runway_bot(launch, emulator)
    mara = [photo(1), photo(2)]
    await add_member(emu, emu.alice, "Mara", mara)
    start = photo(5)
    handle = await emu.slash(
        emu.alice,
        "animate",
        prompt="the fox waves",
        cast="Mara",
        model="runway:klingo3_standard",
        duration=5,
        attachments={"image": Upload("start.png", start, "image/png")},
    )
    assert await handle.wait_ack() == 5
    await wait_result(emu)
    [task] = emulator.runway.tasks.values()
    assert task.body["model"] == "klingO3_standard"
    assert pixels(from_data_uri(task.body["promptImage"])) == pixels(start)  # the first frame
    assert [pixels(from_data_uri(r["uri"])) for r in task.body["references"]] == [pixels(p) for p in mara]
    assert task.body["promptText"] == "the fox waves Featuring Mara (@Image1 @Image2)."


async def test_replicate_seedance_gets_reference_images_in_order_and_bracket_tags(emu, launch, emulator, voice):
    bot = await launch(REPLICATE_API_TOKEN=emulator.replicate.api_key, REPLICATE_BASE_URL=emulator.replicate_url)
    mara, teo = [photo(2)], [photo(3), photo(4)]
    await add_member(emu, emu.alice, "Teo", teo)
    await add_member(emu, emu.alice, "Mara", mara, voice=voice)
    handle = await emu.slash(emu.alice, "video", prompt="@Mara and @Teo dance", cast="Teo", duration=5)
    assert await handle.wait_ack() == 5
    result = await wait_result(emu)
    job = await bot.app.service.get(job_id_of(result))
    assert job.model == "replicate:seedance-2.0"  # the default for a cast: a reference model
    [task] = emulator.replicate.tasks.values()
    data = task.body["input"]
    files = [emulator.replicate.file_data[url.rsplit("/", 1)[1]] for url in data["reference_images"]]
    assert [pixels(f) for f in files] == [pixels(p) for p in teo + mara]  # the option's member first
    [sample] = data["reference_audios"]
    assert emulator.replicate.file_data[sample.rsplit("/", 1)[1]] == voice
    assert data["prompt"].startswith("Mara ([Image3]) and Teo ([Image1] [Image2]) dance")
    assert "Mara's voice: [Audio1]." in data["prompt"]


async def test_a_model_without_references_is_refused_before_any_charge_naming_those_that_do(emu, launch, emulator):
    bot = await runway_bot(launch, emulator)
    await add_member(emu, emu.alice, "Mara", [photo(1)])
    handle = await emu.slash(emu.alice, "video", prompt="@Mara waves", model="runway:gen4.5", duration=5)
    text = await refused_privately(emu, bot, handle, "references", "runway:seedance2")
    assert "runway:gen4.5" in text
    handle = await emu.slash(emu.alice, "video", prompt="a fox", cast="Nobody")
    await refused_privately(emu, bot, handle, "no 'Nobody'", "/cast list")
    handle = await emu.slash(emu.alice, "video", prompt="@Mara waves", model="runway:klingo3_pro", duration=5)
    await refused_privately(emu, bot, handle, "only with a start image")
    assert emulator.runway.tasks == {}


async def test_an_unknown_at_word_stays_text(emu, launch):
    bot = await launch()
    handle = await emu.slash(emu.alice, "video", prompt="a sign that says @Nobody waves", duration=1)
    assert await handle.wait_ack() == 5
    job = await bot.app.service.get(job_id_of(await wait_result(emu)))
    assert job.inputs.cast == () and job.model == "local:storyboard"
    assert "@Nobody" in job.spec["subject"]


async def test_offline_the_storyboard_shows_the_names_and_motion_animates_the_first_photo(emu, launch):
    bot = await launch()
    await add_member(emu, emu.alice, "Mara", [photo(1)])
    await (await emu.slash(emu.alice, "video", prompt="@Mara bows", duration=1)).wait_ack()
    first = await wait_result(emu)
    job = await bot.app.service.get(job_id_of(first))
    assert job.model == "local:storyboard" and [c.name for c in job.inputs.cast] == ["Mara"]
    await (await emu.slash(emu.alice, "video", prompt="@Mara bows", model="local:motion", duration=1)).wait_ack()
    second = await bot.app.service.get(job_id_of(await wait_result(emu, after=first.id)))
    assert second.model == "local:motion" and second.result_path


async def test_a_reroll_after_the_member_is_deleted_uses_the_original_photos(emu, launch, emulator):
    bot = await runway_bot(launch, emulator)
    mara = [photo(1), photo(2)]
    await add_member(emu, emu.alice, "Mara", mara)
    await (await emu.slash(emu.alice, "video", prompt="@Mara sings", duration=5)).wait_ack()
    first = await wait_result(emu)
    await private(emu, emu.alice, "cast delete", "Deleted", name="Mara")
    await add_member(emu, emu.alice, "Mara", [photo(6)])  # a new Mara with another face
    click = await emu.click_button(emu.alice, first, f"videobot:reroll:{job_id_of(first)}")
    assert await click.wait_ack() == 5
    rerolled = await bot.app.service.get(job_id_of(await wait_result(emu, after=first.id)))
    tasks = list(emulator.runway.tasks.values())
    assert len(tasks) == 2 and tasks[1].body["model"] == "seedance2_fast"  # the default cast model on Runway
    assert [pixels(from_data_uri(r["uri"])) for r in tasks[1].body["promptImage"]] == [pixels(p) for p in mara]
    assert (
        rerolled.kind == "reroll" and rerolled.inputs.cast == (await bot.app.service.get(job_id_of(first))).inputs.cast
    )
    await (await emu.slash(emu.alice, "history")).wait_ack()
    listing = await emu.wait_for_message(lambda m: m.ephemeral and m.embeds and "Your recent" in str(m.embeds[0]))
    lines = listing.embeds[0]["description"].splitlines()
    assert len(lines) == 2 and all(re.search(r"#\d+\*\* .*Mara sings · with Mara", line) for line in lines)


async def test_the_cast_option_autocompletes_names_one_after_another_in_every_command(emu, launch):
    await launch()
    for name, n in (("Mara", 1), ("Marek", 2), ("Teo", 3)):
        await add_member(emu, emu.alice, name, [photo(n)])
    for command in ("video", "animate", "variations"):
        choices = await (await emu.autocomplete(emu.alice, command, "cast", "mar")).wait_choices()
        assert [c["value"] for c in choices] == ["Mara", "Marek"], command
    second = await (await emu.autocomplete(emu.alice, "video", "cast", "Mara, t")).wait_choices()
    assert [c["value"] for c in second] == ["Mara, Teo"]
    named = await (await emu.autocomplete(emu.alice, "cast delete", "name", "te")).wait_choices()
    assert [c["value"] for c in named] == ["Teo"]


async def test_a_preset_saved_from_a_result_with_a_cast_holds_the_cast(emu, launch):
    bot = await launch()
    await add_member(emu, emu.alice, "Mara", [photo(1)])
    await (await emu.slash(emu.alice, "video", prompt="a fox bows", cast="Mara", style="anime", duration=1)).wait_ack()
    first = await wait_result(emu)
    saved = await private(emu, emu.alice, "preset save", "Saved preset", name="with-mara")
    assert "cast Mara" in saved
    await (await emu.slash(emu.alice, "video", prompt="a fox jumps", preset="with-mara", duration=1)).wait_ack()
    job = await bot.app.service.get(job_id_of(await wait_result(emu, after=first.id)))
    assert [c.name for c in job.inputs.cast] == ["Mara"] and job.spec["style"] == "anime"


async def test_hailuo3_gets_the_photos_without_position_and_the_prompt_names_them_in_words(
    emu, launch, emulator, voice
):
    await runway_bot(launch, emulator)
    mara = [photo(1), photo(2)]
    await add_member(emu, emu.alice, "Mara", mara, voice=voice)
    handle = await emu.slash(emu.alice, "video", prompt="@Mara sings", model="runway:hailuo3", duration=6)
    assert await handle.wait_ack() == 5
    await wait_result(emu)
    [task] = emulator.runway.tasks.values()
    assert task.body["model"] == "hailuo3" and task.body["ratio"] == "16:9"
    assert [pixels(from_data_uri(r["uri"])) for r in task.body["promptImage"]] == [pixels(p) for p in mara]
    assert len(task.body["referenceAudio"]) == 1
    assert task.body["promptText"] == "Mara (image 1, image 2) sings Mara's voice: audio 1."
