"""ReplicateProvider with the real ``replicate`` client against the loopback Replicate emulator."""

from __future__ import annotations

import pytest

from bot.errors import InvalidOption, ProviderRejected, ProviderUnavailable, SubmitUncertain
from bot.providers._common import job_seed
from bot.providers.base import TaskState
from emulators.providers import Fault, Script
from tests.support.providers import ROW, drive, is_mp4, only_task, provider_fixture, run_task

REPLICATE = ROW["replicate"]  # its row of the providers' table; the shared contract: test_provider_contract.py
make, req = REPLICATE.make, REPLICATE.req
replicate = provider_fixture("replicate")


# model, request options, media role -> expected input field, other expected input values
CASES = [
    (
        "stable-video-diffusion",
        {"duration": 4, "aspect": "1:1"},
        {"image": "input_image"},
        {"video_length": "25_frames_with_svd_xt", "sizing_strategy": "maintain_aspect_ratio"},
    ),
    (
        "animate-diff",
        {"duration": 2, "aspect": "1:1", "negative_prompt": "blurry"},
        {},
        {"prompt": "a paper boat on a river", "n_prompt": "blurry", "motion_module": "mm_sd_v14"},
    ),
    ("zeroscope", {"duration": 3, "aspect": "9:16"}, {}, {"num_frames": 24, "width": 320, "height": 576}),
    ("zeroscope", {"duration": 2}, {"video": "init_video"}, {"num_frames": 16, "width": 576}),
    (
        "kling-v2.1",
        {"duration": 10, "negative_prompt": "text"},
        {"image": "start_image"},
        {"duration": 10, "mode": "standard", "negative_prompt": "text"},
    ),
    ("wan-2.2-i2v", {"duration": 5}, {"image": "image"}, {"num_frames": 81, "resolution": "480p"}),
    ("minimax-video-01", {}, {}, {"prompt_optimizer": True}),
    ("minimax-video-01", {"aspect": "9:16"}, {"image": "first_frame_image"}, {"prompt": "a paper boat on a river"}),
    ("veo-3", {"duration": 8, "aspect": "9:16"}, {}, {"aspect_ratio": "9:16", "resolution": "720p"}),
    ("veo-3", {"duration": 8}, {"image": "image"}, {"aspect_ratio": "16:9"}),
]


@pytest.mark.parametrize(("model", "options", "media", "expected"), CASES, ids=[f"{c[0]}-{list(c[2])}" for c in CASES])
async def test_every_input_style_runs_to_a_video(
    replicate, emulator, png_image, tmp_path, model, options, media, expected
):
    files = {"image": png_image}
    if "video" in media:
        files["video"] = tmp_path / "source.mp4"
        files["video"].write_bytes(await emulator.replicate.videos.clip(1))
    request = req(f"replicate:{model}", **options, **{role: files[role] for role in media})
    _, seen, path = await drive(replicate, request, tmp_path / "out.mp4")
    assert is_mp4(path) and seen[-1].state is TaskState.SUCCEEDED
    task = only_task(emulator.replicate)
    sent = task.body["input"]
    assert expected.items() <= sent.items()
    for field in media.values():  # media went up through the files endpoint, the input names its URL
        assert sent[field] in {f["urls"]["get"] for f in emulator.replicate.files.values()}
    assert emulator.replicate.uploads == len(media) and emulator.replicate.create_count == 1
    official = model in {"kling-v2.1", "wan-2.2-i2v", "minimax-video-01", "veo-3"}
    assert emulator.replicate.creates == {"models" if official else "predictions": 1}


async def test_progress_comes_from_the_logs(replicate, emulator):
    emulator.replicate.script_next(Script(queued=1, running=2, progress=[0.3, 0.8]))
    _, seen = await run_task(replicate, await replicate.submit(req()))
    assert [s.state for s in seen] == [TaskState.PENDING, TaskState.RUNNING, TaskState.RUNNING, TaskState.SUCCEEDED]
    assert [s.progress for s in seen[1:3]] == [0.3, 0.8]


async def test_seed_is_derived_from_the_job_unless_given(replicate, emulator):
    await replicate.submit(req("replicate:veo-3", duration=8))
    await replicate.submit(req("replicate:veo-3", duration=8, seed=5, job_id=8))
    seeds = [t.body["input"]["seed"] for t in emulator.replicate.tasks.values()]
    assert sorted(seeds) == sorted([job_seed(7), 5])


async def test_missing_capability_is_refused_before_any_request(replicate, emulator):
    with pytest.raises(InvalidOption):
        await replicate.submit(req("replicate:kling-v2.1", duration=5))  # needs a start image
    with pytest.raises(InvalidOption):
        await replicate.submit(req(aspect="9:16"))  # minimax text-only is 16:9
    assert emulator.replicate.requests == []


async def test_aborted_prediction_is_a_failure_not_a_crash(replicate, emulator):
    emulator.replicate.script_next(Script(queued=1, running=0, outcome="abort"))
    final, _ = await run_task(replicate, await replicate.submit(req()))
    assert final.state is TaskState.FAILED and final.error_code == "aborted"


async def test_invalid_input_is_rejected(emulator):
    from bot.providers.catalogue import CATALOGUE

    broken = [CATALOGUE["replicate:minimax-video-01"]]
    provider = make(emulator, models=[type(broken[0])(**{**broken[0].__dict__, "fixed": {"not_a_field": 1}})])
    try:
        with pytest.raises(ProviderRejected) as info:
            await provider.submit(req())
        assert "not_a_field" in info.value.detail
    finally:
        await provider.aclose()


async def test_dropped_connection_while_polling_is_not_retried(replicate, emulator):
    task_id = await replicate.submit(req())
    emulator.replicate.fail_polls(Fault(kind="reset"))
    with pytest.raises(ProviderUnavailable):
        await replicate.poll(task_id)
    assert len([r for r in emulator.replicate.requests if r[0] == "GET"]) == 1  # the RetryTransport did not retry
    final, _ = await run_task(replicate, task_id)
    assert final.state is TaskState.SUCCEEDED


async def test_a_restarted_bot_finds_a_lost_create(emulator, png_image):
    first = make(emulator)
    await first.submit(req("replicate:wan-2.2-i2v", duration=5, image=png_image))
    await first.submit(req(job_id=8))
    await first.aclose()
    second = make(emulator)  # knows nothing of what was sent, nor the uploaded file's URL
    try:
        ids = {t.body["input"]["prompt"] + str(t.extra["model"]): t.id for t in emulator.replicate.tasks.values()}
        found = await second.find_task(req("replicate:wan-2.2-i2v", duration=5, image=png_image))
        assert found == ids["a paper boat on a riverwan-video/wan-2.2-i2v-a14b"]
        assert await second.find_task(req(job_id=8)) == ids["a paper boat on a riverminimax/video-01"]
        assert await second.find_task(req(job_id=99, prompt="never sent")) is None
    finally:
        await second.aclose()


async def test_ambiguous_matches_are_not_guessed(replicate, emulator):
    await replicate.submit(req(job_id=1))  # minimax has no seed: the same prompt twice looks the same
    await replicate.submit(req(job_id=2))
    fresh = make(emulator)
    try:
        with pytest.raises(SubmitUncertain):  # neither "found" nor "absent": never guessed, never resubmitted
            await fresh.find_task(req(job_id=1))
    finally:
        await fresh.aclose()


async def test_create_timeout_not_found_is_uncertain(replicate, emulator):
    emulator.replicate.fail_creates(Fault(kind="hang", seconds=30.0))  # held before any prediction is made
    with pytest.raises(SubmitUncertain):
        await replicate.submit(req())
    assert emulator.replicate.create_count == 1 and not emulator.replicate.tasks


async def test_find_task_pages_through_listings(replicate, emulator):
    emulator.replicate.page_size = 2
    target = await replicate.submit(req("replicate:veo-3", duration=8, job_id=50))
    for job in range(51, 55):
        await replicate.submit(req(job_id=job, prompt=f"other {job}"))
    fresh = make(emulator)
    try:
        assert await fresh.find_task(req("replicate:veo-3", duration=8, job_id=50)) == target
    finally:
        await fresh.aclose()


@pytest.mark.parametrize(
    ("size", "fps", "expected"),
    [
        (("1920", "1080"), "60", {"target_resolution": "1080p", "target_fps": 60}),
        (("3840", "2160"), "30", {"target_resolution": "4k", "target_fps": 30}),
        (("1280", "720"), "60", {"target_fps": 60}),  # the size kept: no target_resolution sent
    ],
)
async def test_topaz_finishes_in_its_own_terms(replicate, emulator, tmp_path, size, fps, expected):
    source = tmp_path / "draft.mp4"
    source.write_bytes(await emulator.replicate.videos.clip(2))
    assert "replicate:topaz-video" in {m.name for m in replicate.models()}
    extra = {"width": size[0], "height": size[1], "fps": fps}
    request = req("replicate:topaz-video", prompt="", video=source, duration=2, extra=extra)
    _, _, path = await drive(replicate, request, tmp_path / "out.mp4")  # the emulator holds it to the schema
    sent = only_task(emulator.replicate).body["input"]
    assert sent == {"video": sent["video"], **expected}
    assert sent["video"] in {f["urls"]["get"] for f in emulator.replicate.files.values()}
    assert emulator.replicate.creates == {"models": 1} and is_mp4(path)  # an official model, by its path
