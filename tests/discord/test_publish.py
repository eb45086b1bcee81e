"""The delivery ladder's decisions (real ffmpeg re-encodes), the file server's tokens, and message text safety."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from bot.edge.embeds import clip, progress_bar
from bot.edge.record import DEFAULT_UPLOAD_LIMIT
from bot.media import Media
from bot.services.delivery.ladder import Publisher, Rung
from bot.web.server import KEY_FILE, FileServer
from storage import Job, JobInputs, JobState
from tests.support.discord import free_port
from tests.support.video import make_mp4

pytestmark = pytest.mark.timeout(60)


def job(**fields) -> Job:
    base = dict(
        id=7,
        kind="generate",
        state=JobState.DELIVERING,
        owner_id=1,
        guild_id=2,
        channel_id=3,
        model="local:motion",
        spec={"subject": "x", "duration": 2},
        inputs=JobInputs(),
        delivery={},
        parent_job_id=None,
        provider_task_id="t",
        progress=1.0,
        cost_seconds=2.0,
        raw_path=None,
        result_path=None,
        result_url=None,
        error=None,
        error_detail=None,
        attempts=0,
        cancel_requested=False,
        message_id=None,
        delivered_at=None,
        lease_owner=None,
        lease_expires=None,
        next_attempt_at=None,
        created_at=time.time(),
        updated_at=time.time(),
        started_at=None,
        finished_at=None,
    )
    base.update(fields)
    return Job(**base)


class Links:
    def link_for(self, job_id: int) -> str:
        return f"https://videos.example/v/{job_id}/token.mp4"


@pytest.fixture(scope="module")
def clip_mp4(tmp_path_factory) -> Path:
    return make_mp4(tmp_path_factory.mktemp("ladder") / "clip.mp4", seconds=2.0, size="640x360", source="testsrc2")


async def test_the_ladder_goes_down_one_rung_per_refusal_and_never_repeats_a_size(make_settings, clip_mp4):
    settings = make_settings()
    size = clip_mp4.stat().st_size
    plan = Publisher(Media(), settings, Links()).plan(job(), clip_mp4, size + 1000)
    first = await plan.first()
    assert first.rung is Rung.ATTACH and first.path == clip_mp4
    second = await plan.after_refusal(first)  # the server's real limit was lower than it said
    assert second.rung is Rung.REENCODE and second.size_bytes < size
    third = await plan.after_refusal(second)
    assert third.rung is Rung.LINK and third.url == "https://videos.example/v/7/token.mp4"
    assert (await plan.after_refusal(third)).rung is Rung.NONE
    sizes = [o.size_bytes for o in plan.tried if o.attaches]
    assert len(sizes) == len(set(sizes))


async def test_reencode_fits_under_the_limit_and_tiny_limits_go_straight_to_a_link(make_settings, clip_mp4):
    settings = make_settings()
    size = clip_mp4.stat().st_size
    publisher = Publisher(Media(), settings, Links())
    offer = await publisher.plan(job(), clip_mp4, size // 2).first()
    assert offer.rung is Rung.REENCODE and offer.size_bytes <= size // 2 and offer.path is not None
    assert offer.path.read_bytes()[4:8] == b"ftyp"
    assert (await publisher.plan(job(), clip_mp4, 1500).first()).rung is Rung.LINK
    assert (await Publisher(Media(), settings, None).plan(job(), clip_mp4, 1500).first()).rung is Rung.NONE


async def test_no_permission_to_attach_skips_to_the_link(make_settings, clip_mp4):
    plan = Publisher(Media(), make_settings(), Links()).plan(job(), clip_mp4, DEFAULT_UPLOAD_LIMIT)
    first = await plan.first()
    assert first.rung is Rung.ATTACH
    assert (await plan.after_failure(first)).rung is Rung.LINK


def test_provider_links_state_their_expiry_and_local_files_are_never_linked(make_settings):
    publisher = Publisher(Media(), make_settings(), None)
    finished = time.time() - 60
    url, expires = publisher.link(
        job(model="replicate:x/y", result_url="https://cdn.example/a.mp4", finished_at=finished)
    ) or ("", None)
    assert url == "https://cdn.example/a.mp4" and expires == pytest.approx(finished + 3600)
    assert publisher.link(job(result_url="file:///data/media/local/local-7.mp4")) is None


async def test_file_server_tokens_are_per_job_stable_and_private(make_settings):
    """Serving (Range, 404s, 410s) is tested in tests/web/; here: the key and the tokens."""
    settings = make_settings(file_server_port=free_port())
    server = FileServer(settings)
    assert server.link_for(7) is None  # not running yet
    key = settings.data_dir / KEY_FILE
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert FileServer(settings).token(7) == server.token(7) != server.token(8)
    assert len(server.token(7)) == 32 and server.token(7) not in server.image_token("7")


def test_user_text_is_escaped_and_cut_to_fit():
    text = clip("**bold** _it_ @everyone " + "x" * 5000, 100)
    assert len(text) <= 100 and text.endswith("…")
    assert "\\*\\*bold\\*\\*" in text and "@everyone" not in text
    assert clip("a" * 98 + "**", 100) == "a" * 98 + "…"  # never half an escape sequence
    assert progress_bar(0.5).endswith("50%") and progress_bar(2.0).endswith("100%")
