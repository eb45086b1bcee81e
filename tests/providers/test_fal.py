"""FalProvider (fal_client's handles and types, our own single submit POST) against the TLS fal emulator."""

from __future__ import annotations

import base64

import pytest

from bot.errors import ProviderRejected, ProviderTaskFailed
from bot.providers.base import Capability, TaskState
from emulators.providers import Script
from tests.support.providers import ROW, drive, is_mp4, provider_fixture, run_task

FAL = ROW["fal"]  # its row of the providers' table; the shared contract: test_provider_contract.py
make, req = FAL.make, FAL.req
fal = provider_fixture("fal")


def body(server, task_id: str) -> dict:
    return server.fal.tasks[task_id.rpartition("#")[2]].body


async def test_text_to_video_over_tls(fal, fal_emulator, tmp_path):
    task_id, _, path = await drive(fal, req(duration=10, negative_prompt="blur", seed=7), tmp_path / "o.mp4")
    assert fal_emulator.fal_url.startswith("https://127.0.0.1:")
    assert task_id.startswith("fal-ai/pika/v2.2/text-to-video#")
    assert is_mp4(path) and path.read_bytes() == await fal_emulator.fal.videos.clip(10)
    assert body(fal_emulator, task_id) == {
        "prompt": "a paper boat on a river",
        "negative_prompt": "blur",
        "seed": 7,
        "duration": 10,
        "aspect_ratio": "9:16",
        "resolution": "720p",
    }
    assert fal_emulator.fal.creates == {"fal-ai/pika/v2.2/text-to-video": 1}


async def test_queue_positions_count_down_then_running(fal, fal_emulator):
    fal_emulator.fal.script_next(Script(queued=3, running=1))
    final, seen = await run_task(fal, await fal.submit(req()))
    assert [(s.state, s.queue_position) for s in seen] == [
        (TaskState.PENDING, 3),
        (TaskState.PENDING, 2),
        (TaskState.PENDING, 1),
        (TaskState.RUNNING, None),
        (TaskState.SUCCEEDED, None),
    ]
    assert final.output_url and final.output_url.startswith("https://127.0.0.1:")


async def test_image_to_video_sends_a_data_uri_and_no_aspect(fal, fal_emulator, png_image, tmp_path):
    task_id, _, _ = await drive(fal, req(image=png_image), tmp_path / "o.mp4")
    assert task_id.startswith("fal-ai/pika/v2.2/image-to-video#")
    sent = body(fal_emulator, task_id)
    assert "aspect_ratio" not in sent and sent["image_url"].startswith("data:image/png;base64,")
    assert base64.b64decode(sent["image_url"].split(",", 1)[1]) == png_image.read_bytes()


async def test_pikaframes_interpolates_two_keyframes(fal, fal_emulator, png_image, tmp_path):
    end = tmp_path / "end.png"
    end.write_bytes(png_image.read_bytes())
    task_id, _, path = await drive(
        fal, req("fal:pikaframes", image=png_image, end_image=end, duration=7), tmp_path / "o.mp4"
    )
    sent = body(fal_emulator, task_id)
    assert task_id.startswith("fal-ai/pika/v2.2/pikaframes#") and sent["transitions"] == [{"duration": 7}]
    assert len(sent["image_urls"]) == 2 and all(u.startswith("data:image/png") for u in sent["image_urls"])
    assert path.read_bytes() == await fal_emulator.fal.videos.clip(7)


@pytest.mark.parametrize(
    ("model", "duration", "endpoint", "expected"),
    [
        (
            "fal:kling-2.1",
            10,
            "fal-ai/kling-video/v2.1/master/text-to-video",
            {"duration": "10", "aspect_ratio": "9:16"},
        ),
        (
            "fal:hailuo-02",
            6,
            "fal-ai/minimax/hailuo-02/standard/text-to-video",
            {"duration": "6", "prompt_optimizer": True},
        ),
    ],
)
async def test_kling_and_hailuo_text(fal, fal_emulator, tmp_path, model, duration, endpoint, expected):
    aspect = "16:9" if model == "fal:hailuo-02" else "9:16"
    task_id, _, _ = await drive(fal, req(model, duration=duration, aspect=aspect), tmp_path / "o.mp4")
    assert task_id.startswith(endpoint + "#") and expected.items() <= body(fal_emulator, task_id).items()


async def test_kling_image_to_video(fal, fal_emulator, png_image, tmp_path):
    task_id, _, _ = await drive(fal, req("fal:kling-2.1", image=png_image), tmp_path / "o.mp4")
    assert task_id.startswith("fal-ai/kling-video/v2.1/master/image-to-video#")
    assert {m.name: m for m in fal.models()}["fal:kling-2.1"].can(Capability.IMAGE_TO_VIDEO)


async def test_cancel_while_queued_then_again_and_after_done(fal, fal_emulator):
    fal_emulator.fal.script_next(Script(queued=5))
    task_id = await fal.submit(req())
    assert (await fal.poll(task_id)).queue_position == 5
    await fal.cancel(task_id)
    await fal.cancel(task_id)  # already finished (cancelled): fine
    final = await fal.poll(task_id)
    assert final.state is TaskState.CANCELLED and "request_cancelled" in (final.error_code or "")
    await fal.cancel("fal-ai/pika/v2.2/text-to-video#no-such-request")  # unknown: fine
    assert [m for m, p in fal_emulator.fal.requests if p.endswith("/cancel")] == ["PUT"] * 3


async def test_invalid_input_is_refused_by_the_emulator_422(fal_emulator):
    from dataclasses import replace

    from bot.providers.catalogue import CATALOGUE

    wrong = replace(CATALOGUE["fal:pika-2.2"], durations={7: {"duration": 7}})  # pika makes 5 or 10 s only
    provider = make(fal_emulator, models=[wrong])
    try:
        with pytest.raises(ProviderRejected) as info:
            await provider.submit(req(duration=7))
        assert "Input should be '5' or '10'" in (info.value.detail or "")  # pydantic's enum message
    finally:
        await provider.aclose()


async def test_failed_request_says_so_plainly(fal, fal_emulator):
    fal_emulator.fal.script_next(Script(outcome="fail", failure="CUDA out of memory"))
    failed, _ = await run_task(fal, await fal.submit(req()))
    assert failed.state is TaskState.FAILED and failed.error == "fal could not make this video."


async def test_polling_unknown_or_malformed_ids(fal):
    with pytest.raises(ProviderTaskFailed):
        await fal.poll("fal-ai/pika/v2.2/text-to-video#gone")
    with pytest.raises(ProviderTaskFailed):
        await fal.poll("not-a-fal-task-id")


class ProgressLog:
    """A delivery target that keeps every progress notice (and the label the Discord edge would show)."""

    kind = "test"

    def __init__(self):
        self.labels: list[str] = []
        self.failures: list[str] = []

    async def progress(self, update):
        from bot.services.delivery.ladder import state_label

        self.labels.append(state_label(update.job, update.queue_position, update.provider_queue))

    async def deliver(self, job, video):
        from bot.services.delivery.port import Receipt

        return Receipt(message_id=1)

    async def failed(self, job, message):
        self.failures.append(message)


async def test_the_queue_position_reaches_the_progress_message(fal_emulator, make_settings):
    from bot.app import App
    from bot.prompt import PromptSpec
    from bot.services.requests.generation import Requester
    from storage import JobState

    fal_emulator.fal.script_next(Script(queued=3, running=1))
    app = await App.create(make_settings(), providers=[make(fal_emulator)])
    log = ProgressLog()
    app.router.register(log)
    try:
        spec = PromptSpec.create("a paper boat", model="fal:pika-2.2", duration=5)
        job = (
            await app.service.submit(
                Requester(user_id=1, guild_id=None, channel_id=None, delivery={"kind": "test"}), spec
            )
        ).job
        final = await app.worker.wait_for(job.id, timeout=60)
    finally:
        await app.close()
    assert final.state is JobState.DONE and log.failures == []
    waiting = [label for label in log.labels if "fal's queue" in label]
    assert waiting == ["waiting (#3 in fal's queue)", "waiting (#2 in fal's queue)", "waiting (#1 in fal's queue)"]
    assert log.labels.index("rendering", log.labels.index(waiting[-1])) > 0  # back to "rendering" once it starts


async def test_a_crash_between_submit_and_saving_the_request_id(fal_emulator, make_settings):
    """The decision for fal (it cannot list requests): the restarted worker fails the job, refunded and told,
    and never submits it again; the one request queued before the crash is left to run at fal."""
    from bot.app import App
    from bot.prompt import PromptSpec
    from bot.services.requests.generation import Requester
    from storage import JobState

    who = Requester(user_id=1, guild_id=None, channel_id=None, delivery={"kind": "test"})
    first = await App.create(make_settings(), providers=[make(fal_emulator)])
    job = (await first.service.submit(who, PromptSpec.create("a kite", model="fal:pika-2.2", duration=5))).job
    await first.registry.provider("fal:pika-2.2").submit(req(job_id=job.id))  # the create reached fal…
    await first.storage.jobs.update(job.id, state=JobState.SUBMITTING)  # …and the process died before saving its id
    await first.close()

    second = await App.create(make_settings(), providers=[make(fal_emulator)])
    log = ProgressLog()
    second.router.register(log)
    try:
        final = await second.worker.wait_for(job.id, timeout=60)
        assert final.state is JobState.FAILED and "not resubmitted" in (final.error or "")
        assert await second.storage.quota.ledger_state(job.id) == "refunded"
        assert log.failures == [final.error]
    finally:
        await second.close()
    assert fal_emulator.fal.create_count == 1 and len(fal_emulator.fal.tasks) == 1


async def test_topaz_is_asked_a_factor_and_a_rate(fal, fal_emulator, tmp_path):
    source = tmp_path / "draft.mp4"
    source.write_bytes(await fal_emulator.fal.videos.clip(2))
    assert "fal:topaz" in {m.name for m in fal.models()}
    extra = {"width": "1920", "height": "1080", "fps": "60", "scale": "1.5"}  # 720p -> 1080p
    request = req("fal:topaz", prompt="", video=source, duration=2, extra=extra)
    task_id, _, path = await drive(fal, request, tmp_path / "o.mp4")  # the emulator holds it to the schema
    assert task_id.startswith("fal-ai/topaz/upscale/video#")
    sent = body(fal_emulator, task_id)
    assert sent == {"video_url": sent["video_url"], "upscale_factor": 1.5, "target_fps": 60, "H264_output": True}
    assert base64.b64decode(sent["video_url"].split(",", 1)[1]) == source.read_bytes()  # the clip inline
    assert is_mp4(path)


async def test_rife_is_asked_frames_between_each_pair_and_the_rate(fal, fal_emulator, tmp_path):
    source = tmp_path / "draft.mp4"
    source.write_bytes(await fal_emulator.fal.videos.clip(2))
    assert "fal:rife" in {m.name for m in fal.models()}
    extra = {"width": "1280", "height": "720", "fps": "48"}  # the quote's 48 fps of a 24 fps clip, its size kept
    request = req("fal:rife", prompt="", video=source, duration=2, extra=extra, source_fps=24.0)
    task_id, _, path = await drive(fal, request, tmp_path / "o.mp4")  # the emulator holds it to the schema
    assert task_id.startswith("fal-ai/rife/video#")
    sent = body(fal_emulator, task_id)
    assert sent == {"video_url": sent["video_url"], "num_frames": 1, "use_calculated_fps": False, "fps": 48}
    assert base64.b64decode(sent["video_url"].split(",", 1)[1]) == source.read_bytes()  # the clip inline
    assert is_mp4(path)
