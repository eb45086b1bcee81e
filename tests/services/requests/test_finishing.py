"""/finish in the service: the quote charges nothing, confirming queues a free local:finish job in the lineage,
and every bad input (not a finished video, someone else's job, a target below the source, a clip too long, a
stale quote) is refused before anything is stored or charged."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.app import App
from bot.errors import InvalidMedia, InvalidOption, JobStateError, NotJobOwner, StaleConfirmation
from bot.media import Media
from bot.prompt import PromptSpec
from bot.providers.fal import FalProvider
from bot.providers.local import LocalProvider
from bot.providers.runway import RunwayProvider
from bot.services.delivery.port import FileDelivery
from bot.services.requests import lineage
from bot.services.requests.generation import Requester
from storage import Job, JobInputs, JobState, NewJob
from tests.support.video import make_clip

pytestmark = pytest.mark.timeout(180)


def who(tmp_path: Path, user: int = 7) -> Requester:
    return Requester(user_id=user, delivery={"kind": "file", "path": str(tmp_path / f"out-{user}.mp4")})


@pytest.fixture
async def app(make_settings):
    app = await App.create(make_settings(daily_seconds=100))
    app.router.register(FileDelivery())
    yield app
    await app.close()


async def a_result(
    app: App, clip: Path, *, owner: int = 7, state: JobState = JobState.DONE, model: str = "local:storyboard"
) -> Job:
    """A result of ``owner`` whose video is ``clip`` (as the worker would have left it)."""
    new = NewJob(
        kind="generate",
        owner_id=owner,
        guild_id=None,
        channel_id=None,
        model=model,
        spec=PromptSpec.create("a kite over a beach", duration=1).to_dict(),
        cost_seconds=1.0,
        inputs=JobInputs(),
        state=state,
        result_path=str(clip),
    )
    return await app.storage.jobs.create(new, charge=None, now=time.time())


async def counts(app: App) -> tuple[int, float]:
    return len(await app.service.recent(limit=100)), (await app.quota.status(7)).used


async def test_quote_then_confirm_makes_a_free_finished_version(app, tmp_path):
    parent = await a_result(app, make_clip(tmp_path / "draft.mp4", seconds=1, size="320x180", rate=30))
    before = await counts(app)

    quote = await app.finisher.quote(who(tmp_path), parent.id, "1080p", 60)

    assert (quote.model, quote.width, quote.height, quote.out_fps) == ("local:finish", 1920, 1080, 60)
    assert (quote.source_width, quote.source_height, quote.source_fps) == (320, 180, 30)
    assert quote.free and quote.eta_seconds > 0
    assert await counts(app) == before  # a quote stores and charges nothing

    submitted = await app.finisher.confirm(who(tmp_path), parent.id, "1080p", 60, quote.model, quote.issued_at)
    job = submitted.job
    assert (job.kind, job.parent_job_id, job.model) == ("finish", parent.id, "local:finish")
    assert lineage.describe(job) == f"finished version of #{parent.id}"
    done = await app.worker.wait_for(job.id, timeout=150)
    assert done.state is JobState.DONE, done.error
    info = await app.media.probe(Path(str(done.result_path)))
    assert (info.width, info.height, info.fps) == (1920, 1080, 60)
    assert (await app.quota.status(7)).used == before[1]  # local:finish is free of quota
    cost = await app.storage.costs.job_cost(job.id)  # in the cost ledger like any job, at $0
    assert cost is not None and cost["model"] == "local:finish" and not cost["actual_usd"], cost


async def test_a_quote_older_than_ten_minutes_is_refused(app, tmp_path):
    parent = await a_result(app, make_clip(tmp_path / "draft.mp4", seconds=1, size="320x180", rate=30))
    quote = await app.finisher.quote(who(tmp_path), parent.id, "1080p", 60)
    before = await counts(app)
    with pytest.raises(StaleConfirmation):
        await app.finisher.confirm(who(tmp_path), parent.id, "1080p", 60, quote.model, quote.issued_at - 601)
    with pytest.raises(StaleConfirmation):  # a quote for another model than the one that would run now
        await app.finisher.confirm(who(tmp_path), parent.id, "1080p", 60, "runway:frame-rate", quote.issued_at)
    assert await counts(app) == before


async def test_bad_input_is_refused_before_anything_is_stored(app, tmp_path):
    small = make_clip(tmp_path / "small.mp4", seconds=1, size="320x180", rate=30)
    mine = await a_result(app, small)
    theirs = await a_result(app, small, owner=99)
    running = await a_result(app, small, state=JobState.RUNNING)
    big = await a_result(app, make_clip(tmp_path / "big.mp4", seconds=1, size="2560x1440", rate=30))
    smooth = await a_result(app, make_clip(tmp_path / "smooth.mp4", seconds=1, size="320x180", rate=60))
    long = await a_result(app, make_clip(tmp_path / "long.mp4", seconds=21, size="64x36", rate=10))
    before = await counts(app)
    cases = [
        (mine.id, "720p", None, InvalidOption, "one of 1080p, 2k, 4k"),
        (mine.id, None, 50, InvalidOption, "one of 30, 60"),
        (theirs.id, None, None, NotJobOwner, "someone else"),
        (running.id, None, None, JobStateError, "not a finished video"),
        (9999, None, None, Exception, "no job #9999"),
        (big.id, "1080p", None, InvalidOption, "larger than 1080p"),
        (smooth.id, None, 30, InvalidOption, "already plays at 60 fps"),
        (long.id, None, None, InvalidMedia, "up to 20 s"),
    ]
    for job_id, resolution, fps, error, words in cases:
        with pytest.raises(error, match=words):
            await app.finisher.quote(who(tmp_path), job_id, resolution, fps)
    with pytest.raises(NotJobOwner):  # confirming someone else's job, with a quote's values
        await app.finisher.confirm(who(tmp_path), theirs.id, "1080p", 60, "local:finish", time.time())
    assert await counts(app) == before
    # a larger size than its own is fine for the 2560x1440 clip, and quoted at the 4k size
    quote = await app.finisher.quote(who(tmp_path), big.id, "4k", None)
    assert (quote.width, quote.height, quote.out_fps) == (3840, 2160, 30)


async def test_runway_finishes_in_its_own_terms_and_charges_the_clips_seconds(make_settings, emulator, tmp_path):
    runway = RunwayProvider(emulator.runway.api_key, emulator.runway_url)
    local = LocalProvider(Media(timeout=60), tmp_path / "local")
    app = await App.create(make_settings(daily_seconds=100), providers=[runway, local])
    app.router.register(FileDelivery())
    try:
        draft = tmp_path / "draft.mp4"
        draft.write_bytes(await emulator.runway.videos.clip(2))
        parent = await a_result(app, draft, model="runway:gen4.5")
        # a size only: the first model of the order that makes it (cloud first, as for generation)
        assert (await app.finisher.quote(who(tmp_path), parent.id, "1080p", None)).model == "runway:magnific-upscale"
        # a frame rate only: the enhancer
        assert (await app.finisher.quote(who(tmp_path), parent.id, None, 60)).model == "runway:frame-rate"
        # both: only local:finish makes both; VIDEOBOT_FINISH_MODEL's upscaler keeps the frame rate, as the quote says
        assert (await app.finisher.quote(who(tmp_path), parent.id, "1080p", 60)).model == "local:finish"
        app.finisher.settings = app.settings.model_copy(update={"finish_model": "runway:magnific-upscale"})
        quote = await app.finisher.quote(who(tmp_path), parent.id, "1080p", 60)
        assert quote.model == "runway:magnific-upscale" and quote.height == 1080 and quote.width > 1080
        assert quote.out_fps == quote.source_fps and any("frame rate" in n for n in quote.notes)
        assert quote.quota_seconds == 2 and quote.price_usd > 0

        job = (await app.finisher.confirm(who(tmp_path), parent.id, "1080p", 60, quote.model, quote.issued_at)).job
        done = await app.worker.wait_for(job.id, timeout=60)
        assert done.state is JobState.DONE, done.error
        (task,) = emulator.runway.tasks.values()  # the emulator checked the body against the SDK's types
        assert task.body["model"] == "magnific_video_upscaler_creative" and task.body["resolution"] == "1k"
        assert "fpsBoost" not in task.body and "targetFramerate" not in task.body
        assert (await app.quota.status(7)).used == 2  # seconds of quota by the clip's length
        assert (await app.storage.costs.job_cost(job.id))["actual_units"] > 0  # Runway's own credits, in the ledger

    finally:
        await app.close()


async def test_a_model_asked_by_factor_says_what_it_can_make_of_a_small_clip(make_settings, tmp_path):
    # a fal key enables fal:topaz; only a quote is asked for, so nothing is ever sent to fal
    app = await App.create(make_settings(FAL_KEY="fal-key-not-used", finish_model="fal:topaz"))
    try:
        tiny = await a_result(app, make_clip(tmp_path / "tiny.mp4", seconds=1, size="480x270", rate=30))
        quote = await app.finisher.quote(who(tmp_path), tiny.id, "4k", None)
    finally:
        await app.close()
    # 270 lines x 4 = 1080: fal's Topaz enlarges at most 4x, so the quote says it makes 1080p, not 4k
    assert quote.model == "fal:topaz" and (quote.width, quote.height) == (1920, 1080)
    assert any("at most 4x" in n and "1080p, not 4k" in n for n in quote.notes)


async def test_rife_is_quoted_as_the_rate_it_makes_and_never_for_a_size(make_settings, tmp_path):
    # a fal key enables fal:rife; only quotes are asked for, so nothing is ever sent to fal
    app = await App.create(make_settings(FAL_KEY="fal-key-not-used", finish_model="fal:rife"))
    try:
        film = await a_result(app, make_clip(tmp_path / "film.mp4", seconds=1, size="320x180", rate=24))
        video = await a_result(app, make_clip(tmp_path / "video.mp4", seconds=1, size="640x360", rate=30))
        from_24 = await app.finisher.quote(who(tmp_path), film.id, "1080p", 60)
        from_30 = await app.finisher.quote(who(tmp_path), video.id, None, 60)
        size_only = await app.finisher.quote(who(tmp_path), video.id, "1080p", None)
    finally:
        await app.close()
    # 24 fps: one frame between each pair is 48 fps (72 played at 60 would run slow); the size is the clip's own
    assert from_24.model == "fal:rife" and (from_24.width, from_24.height, from_24.out_fps) == (320, 180, 48)
    assert from_24.fps == 60  # the confirm button asks again what the member asked
    assert any("48 fps, not 60" in n for n in from_24.notes) and any("keeps its own" in n for n in from_24.notes)
    assert from_30.model == "fal:rife" and from_30.out_fps == 60 and not from_30.notes
    assert from_24.price_usd > 0 and from_24.quota_seconds == 1
    # a size only: RIFE makes nothing of it, so another model quotes
    assert size_only.model != "fal:rife" and size_only.height == 1080


async def test_a_finish_through_rife_is_delivered_in_the_lineage(make_settings, fal_emulator, tmp_path):
    fal = FalProvider(fal_emulator.fal.api_key, fal_emulator.fal_url)
    local = LocalProvider(Media(timeout=60), tmp_path / "local")
    settings = make_settings(daily_seconds=100, FAL_KEY=fal_emulator.fal.api_key, finish_model="fal:rife")
    app = await App.create(settings, providers=[fal, local])
    app.router.register(FileDelivery())
    try:
        parent = await a_result(app, make_clip(tmp_path / "draft.mp4", seconds=2, size="320x180", rate=24))
        quote = await app.finisher.quote(who(tmp_path), parent.id, None, 60)
        assert (quote.model, quote.out_fps, quote.source_fps) == ("fal:rife", 48, 24)
        submitted = await app.finisher.confirm(who(tmp_path), parent.id, None, 60, quote.model, quote.issued_at)
        job = submitted.job
        assert lineage.describe(job) == f"finished version of #{parent.id}"
        done = await app.worker.wait_for(job.id, timeout=60)
        assert done.state is JobState.DONE, done.error
        assert done.parent_job_id == parent.id and Path(str(done.result_path)).is_file()
        (task,) = fal_emulator.fal.tasks.values()  # the emulator checked the body against the vendored schema
        assert task.endpoint == "fal-ai/rife/video"
        assert {k: v for k, v in task.body.items() if k != "video_url"} == {
            "num_frames": 1,
            "use_calculated_fps": False,
            "fps": 48,
        }
        assert task.body["video_url"].startswith("data:video/mp4;base64,")
        assert (await app.quota.status(7)).used == 2  # seconds of quota by the clip's length
        cost = await app.storage.costs.job_cost(job.id)  # fal reports no figure: GPU seconds from the table
        assert cost is not None and cost["model"] == "fal:rife" and cost["actual_usd"] > 0, cost
    finally:
        await app.close()
