"""What a provider hands back is the only video the bot takes in: scripts posing as videos are refused
unread, a two-hour video is refused from its header, a file:// link is never fetched."""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from bot.errors import ProviderTaskFailed
from bot.prompt import PromptSpec
from bot.providers._download import download
from storage import JobState
from tests.support import hostile_corpus as corpus
from tests.support.hostile import TEST_WHO
from tests.support.hostile_cases import case
from tests.support.video import BUNDLED_FFMPEG as FFMPEG

pytestmark = pytest.mark.timeout(60)

SCRIPTS = {
    "hls_as_output": corpus.hls_playlist,
    "concat_as_output": corpus.concat_script,
    "mp4_magic_playlist_output": corpus.mp4_magic_playlist,
}
PERMISSIVE = {  # how a careless caller would open each: the wires must notice that
    "hls_as_output": ["-f", "hls", "-protocol_whitelist", "file,http,tcp"],
    "concat_as_output": ["-f", "concat", "-safe", "0", "-protocol_whitelist", "file,http,tcp"],
}


async def run_job(app, text: str = "a red kite over a hill"):
    spec = PromptSpec.create(text, model="scripted:v1", duration=2)
    job = (await app.service.submit(TEST_WHO, spec)).job
    return await app.worker.wait_for(job.id, timeout=30)


async def assert_failed_and_refunded(app, final, says: str) -> None:
    assert final.state is JobState.FAILED and says in (final.error or "").lower(), final.error
    assert await app.storage.quota.ledger_state(final.id) == "refunded"
    assert (await app.quota.status(TEST_WHO.user_id, TEST_WHO.guild_id)).used == 0
    assert not (app.settings.media_dir / "results" / f"{final.id}.mp4").exists()


@pytest.mark.parametrize("first", ["local", "url"])
@pytest.mark.parametrize("name", sorted(PERMISSIVE))
async def test_the_wires_detect_a_permissive_ffmpeg(tmp_path, wires, name, first):
    """ffmpeg stops at the first entry it cannot use, so each wire gets a file where it comes first."""
    evil = tmp_path / "evil.mp4"
    second = "url" if first == "local" else "local"
    evil.write_bytes(SCRIPTS[name](wires[first], wires[second]))
    args = [FFMPEG, "-hide_banner", "-nostdin", *PERMISSIVE[name], "-i", str(evil), "-f", "null", "-"]
    await asyncio.to_thread(subprocess.run, args, capture_output=True, timeout=20, check=False)
    if first == "local":
        assert wires["opened"].wait(5)
    else:
        assert wires["recorder"].hits[:1] == ["/secret.ts"]


@pytest.mark.parametrize("name", sorted(SCRIPTS))
async def test_script_outputs_are_refused_unread(service_app, tmp_path, wires, name):
    item = case(name)
    evil = tmp_path / "output.mp4"
    evil.write_bytes(SCRIPTS[name](wires["local"], wires["url"]))
    app, _, target = await service_app(video=evil)
    final = await run_job(app)
    await assert_failed_and_refunded(app, final, item.says)
    assert target.failures and target.delivered == []
    await asyncio.sleep(0.2)
    assert not wires["touched"](), wires["recorder"].hits


@pytest.fixture(scope="module")
def two_hours(tmp_path_factory) -> object:
    """A real 7200 s H.264 MP4 (tiny picture, 1 fps: cheap to make, but two hours long)."""
    path = tmp_path_factory.mktemp("long") / "two-hours.mp4"
    subprocess.run(
        [
            FFMPEG,
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=c=navy:size=32x32:rate=1:duration=7200",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        check=True,
        timeout=60,
    )
    return path


async def test_a_two_hour_video_is_refused_cheaply(service_app, tmp_path, two_hours):
    item = case("two_hour_output")
    log = tmp_path / "ffmpeg-runs.log"
    app, _, _ = await service_app(video=two_hours, ffmpeg=str(corpus.ffmpeg_spy(tmp_path, log)))
    final = await run_job(app)
    await assert_failed_and_refunded(app, final, item.says)
    raw = str(app.settings.media_dir / "raw" / f"{final.id}.mp4")
    runs = [line for line in log.read_text().splitlines() if raw in line]
    assert runs, "the output was never looked at"
    assert all(line.endswith(f"-i {raw}") for line in runs), runs  # header reads only: no output, no decode


async def test_a_file_url_is_never_fetched(tmp_path):
    item = case("file_url_output")
    dest = tmp_path / "raw.mp4"
    with pytest.raises(ProviderTaskFailed) as refused:
        await download("file:///etc/passwd", dest, max_bytes=1_000_000, timeout=5)
    assert item.says in refused.value.user_message.lower()
    assert list(tmp_path.iterdir()) == []
