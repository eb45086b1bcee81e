"""Hostile uploads to /animate, end to end; byte caps in the core."""

from __future__ import annotations

import asyncio
import signal
import sys
import time

import pytest
from PIL import Image

from bot.errors import InvalidMedia
from bot.prompt import PromptSpec
from emulators.discord import Upload
from storage import SqliteStorage
from tests.support import hostile_corpus as corpus
from tests.support.cli import child_env
from tests.support.discord import job_id_of, wait_done, wait_result
from tests.support.hostile import TEST_WHO, assert_nothing_kept, private_answer
from tests.support.hostile_cases import case, cases

pytestmark = pytest.mark.timeout(60)

UPLOADS = {
    "not_an_image": lambda d, w: Upload("photo.png", corpus.not_an_image(), "image/png"),
    "svg": lambda d, w: Upload("photo.svg", corpus.svg(), "image/svg+xml"),
    "png_bomb": lambda d, w: Upload("bomb.png", corpus.png_bomb(), "image/png"),
    "truncated_jpeg": lambda d, w: Upload("cut.jpg", corpus.truncated_jpeg(), "image/jpeg"),
    "video_as_image": lambda d, w: Upload("clip.png", corpus.mp4_clip(d), "image/png"),
    "hls_as_image": lambda d, w: Upload("cat.png", corpus.hls_playlist(w["local"], w["url"]), "image/png"),
    "concat_as_image": lambda d, w: Upload("cat.jpg", corpus.concat_script(w["local"], w["url"]), "image/jpeg"),
}
REFUSED = [c for c in cases("upload", "e2e") if c.test == "test_refused_uploads"]


async def test_the_table_and_the_uploads_agree():
    assert sorted(UPLOADS) == sorted(c.name for c in REFUSED)


async def test_refused_uploads(emu, launch, tmp_path, wires):
    bot = await launch()
    for item in REFUSED:
        handle = await emu.slash(
            emu.alice, "animate", prompt="make it move", attachments={"image": UPLOADS[item.name](tmp_path, wires)}
        )
        text = await private_answer(emu, handle)
        assert item.says in text.lower(), (item.name, text)
        await assert_nothing_kept(bot, emu, emu.alice.id, handle)
    await asyncio.sleep(0.2)  # anything that was going to follow a script has had its chance
    assert not wires["touched"](), wires["recorder"].hits


async def test_a_100_mib_upload_is_refused_before_download(emu, launch):
    item = case("declared_100mb")
    bot = await launch()
    handle = await emu.slash(emu.alice, "animate", attachments={"image": Upload("big.png", corpus.declared_huge())})
    assert await handle.wait_ack() == 4  # answered at once, privately
    assert item.says in (await private_answer(emu, handle)).lower()
    assert emu.cdn_downloads == []
    await assert_nothing_kept(bot, emu, emu.alice.id, handle)


async def test_bytes_over_the_cap_are_refused_by_the_core(service_app):
    item = case("bytes_over_cap")
    app, _, _ = await service_app()
    spec = PromptSpec.create("make it move", model="scripted:v1", duration=1)
    with pytest.raises(InvalidMedia) as caught:
        await app.service.submit(TEST_WHO, spec, image=corpus.declared_huge(21 * corpus.MIB))
    assert item.says in caught.value.user_message.lower()
    assert await app.storage.jobs.search(limit=5) == []
    assert (await app.quota.status(TEST_WHO.user_id)).used == 0
    assert list(app.settings.inputs_dir.iterdir()) == []


async def test_a_valid_image_over_quota_leaves_no_file(emu, launch):
    item = case("image_over_quota")
    bot = await launch(daily_seconds=0)
    handle = await emu.slash(emu.alice, "animate", duration=1, attachments={"image": ("ok.png", corpus.png())})
    assert item.says in (await private_answer(emu, handle)).lower()
    await assert_nothing_kept(bot, emu, emu.alice.id, handle)


@pytest.fixture(scope="module")
def huge_jpeg() -> bytes:
    return corpus.big_noisy_jpeg()


@pytest.mark.slow  # a bot process of its own decoding 16 megapixels: its own generous bound, not the module's
@pytest.mark.timeout(300)
async def test_a_huge_image_does_not_stall_the_bot(emu, tmp_path, huge_jpeg):
    """Decoding and re-encoding 16 megapixels takes seconds; other users must still be answered at once.

    The bot runs as its own process (``videobot run``), so the emulator's clock sees it stall if it does."""
    item = case("huge_valid_image")
    env = child_env(
        tmp_path,
        DISCORD_TOKEN=emu.token,
        DISCORD_API_BASE=emu.base_url,
        DISCORD_GATEWAY_URL=emu.gateway_url,
        VIDEOBOT_GUILD_IDS=str(emu.guild.id),
        VIDEOBOT_LOG_LEVEL="WARNING",
        VIDEOBOT_DAILY_SECONDS="0",
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await emu.wait_until(lambda: emu.synced_commands(emu.guild), 30, "the bot to sync its commands")
        await emu.wait_connected(timeout=30)
        upload = await emu.slash(emu.alice, "animate", duration=1, attachments={"image": ("big.jpg", huge_jpeg)})
        async with asyncio.timeout(30):  # polled: a CDN read is not an emulator change that wait_until sees
            while not emu.cdn_downloads:
                await asyncio.sleep(0.01)
        started = time.monotonic()
        others = []
        for _ in range(6):  # while the image is being worked on
            others.append(await emu.slash(emu.admin, "quota"))
            await asyncio.sleep(0.3)
        latencies = [(await handle.wait_ack(timeout=30), handle.ack_latency) for handle in others]
        assert item.says in (await private_answer(emu, upload, timeout=60)).lower()
        busy = time.monotonic() - started  # how long the image kept the bot working
        # Acknowledged at all means within Discord's 3 s (the emulator refuses later ones); and far sooner than
        # the image work: a bot stalled by it would answer a command sent meanwhile only when the work is done.
        assert all(kind == 5 for kind, _ in latencies), latencies
        assert max(latency or 0.0 for _, latency in latencies) < max(1.0, busy / 2), (latencies, busy)
        assert upload.original is None or upload.original.deleted
        assert list((tmp_path / "data" / "inputs").iterdir()) == []
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    storage = await SqliteStorage.open(tmp_path / "data" / "videobot.sqlite3")
    try:
        assert await storage.jobs.search(limit=5) == []
    finally:
        await storage.close()


async def test_an_animated_gif_is_animated_from_its_first_frame(emu, launch):
    case("animated_gif")
    bot = await launch()
    handle = await emu.slash(
        emu.alice, "animate", duration=1, attachments={"image": ("anim.gif", corpus.animated_gif())}
    )
    await handle.wait_ack()
    note = await emu.wait_for_message(lambda m: m.interaction_id == handle.id and m.ephemeral, 10)
    assert case("animated_gif").says in note.content.lower()
    result = await wait_result(emu)
    job = await bot.app.service.get(job_id_of(result))
    await wait_done(bot, job.id)
    with Image.open(str(job.inputs.image)) as stored:  # the one picture the renderer was given
        assert stored.format == "PNG" and not getattr(stored, "is_animated", False)
        assert stored.convert("RGB").getpixel((32, 24)) == (255, 0, 0)  # the first (red) frame
