"""Extend, re-roll and ownership in the service, with the real local renderer and the Luma emulator."""

from pathlib import Path

import pytest

from bot.app import App
from bot.errors import JobStateError, NotJobOwner
from bot.prompt import PromptSpec
from bot.providers.luma import LumaProvider
from bot.services.delivery.port import FileDelivery
from bot.services.requests.generation import Requester
from storage import JobState

pytestmark = pytest.mark.slow  # slow: chains of real renders


def who(tmp_path: Path, name: str, user: int = 7) -> Requester:
    return Requester(user_id=user, delivery={"kind": "file", "path": str(tmp_path / f"{name}.mp4")})


@pytest.fixture
async def app(make_settings):
    app = await App.create(make_settings(daily_seconds=100))
    app.router.register(FileDelivery())
    yield app
    await app.close()


async def test_extend_from_the_last_frame_then_concatenate(app, tmp_path):
    parent = (
        await app.service.submit(
            who(tmp_path, "p"), PromptSpec.create("a paper boat on a pond", duration=2, aspect="1:1")
        )
    ).job
    parent = await app.worker.wait_for(parent.id, timeout=120)
    assert parent.state is JobState.DONE and parent.model == "local:storyboard"

    child = (await app.service.extend(who(tmp_path, "c"), parent.id, prompt="the boat drifts away")).job
    assert child.parent_job_id == parent.id and child.kind == "extend"
    assert child.model == "local:motion" and Path(str(child.inputs.image)).exists()  # the last frame, as an image
    assert child.spec["subject"] == "the boat drifts away" and child.spec["aspect"] == "1:1"
    child = await app.worker.wait_for(child.id, timeout=120)
    assert child.state is JobState.DONE, child.error
    joined = await app.media.probe(Path(child.result_path), exact=True)
    assert abs(joined.duration - 4.0) <= 0.15  # parent 2 s + continuation 2 s
    assert (await app.quota.status(7)).used == 4


async def test_only_the_owner_extends_and_only_finished_jobs(app, tmp_path):
    job = (await app.service.submit(who(tmp_path, "a"), PromptSpec.create("a lighthouse at dusk", duration=1))).job
    with pytest.raises(JobStateError):
        await app.service.extend(who(tmp_path, "b"), job.id)  # not finished yet
    await app.worker.wait_for(job.id, timeout=120)
    with pytest.raises(NotJobOwner):
        await app.service.extend(who(tmp_path, "x", user=99), job.id)
    with pytest.raises(NotJobOwner):
        await app.service.cancel(who(tmp_path, "x", user=99), job.id)


async def test_reroll_uses_a_new_seed_and_charges_the_asker(app, tmp_path):
    job = (await app.service.submit(who(tmp_path, "a"), PromptSpec.create("a lighthouse at dusk", duration=1))).job
    job = await app.worker.wait_for(job.id, timeout=120)
    again = (await app.service.reroll(who(tmp_path, "r", user=8), job.id)).job
    assert again.spec["seed"] != job.spec["seed"] and again.owner_id == 8 and again.parent_job_id == job.id
    assert (await app.quota.status(8)).used == 1


async def test_native_extend_continues_the_providers_own_generation(make_settings, emulator, tmp_path):
    luma = LumaProvider(emulator.luma.api_key, emulator.luma_url)
    app = await App.create(make_settings(), providers=[luma])
    app.router.register(FileDelivery())
    try:
        parent = (
            await app.service.submit(who(tmp_path, "p"), PromptSpec.create("a comet over a desert", model="luma:ray-2"))
        ).job
        parent = await app.worker.wait_for(parent.id, timeout=60)
        assert parent.state is JobState.DONE, parent.error
        child = (await app.service.extend(who(tmp_path, "c"), parent.id)).job
        assert child.model == "luma:ray-2" and child.inputs.extend_task_id == parent.provider_task_id
        child = await app.worker.wait_for(child.id, timeout=60)
        assert child.state is JobState.DONE, child.error
        sent = emulator.luma.tasks[child.provider_task_id].body["keyframes"]
        assert sent == {"frame0": {"type": "generation", "id": parent.provider_task_id}}
    finally:
        await app.close()


async def test_extending_an_extension_continues_the_whole_up_to_the_cap(make_settings, tmp_path):
    app = await App.create(make_settings(daily_seconds=100, max_extended_seconds=5))
    app.router.register(FileDelivery())
    try:
        spec = PromptSpec.create("a paper boat on a pond", duration=2, aspect="1:1")
        parent = await app.worker.wait_for((await app.service.submit(who(tmp_path, "p"), spec)).job.id, timeout=120)
        first = (await app.service.extend(who(tmp_path, "c1"), parent.id, prompt="it drifts")).job
        first = await app.worker.wait_for(first.id, timeout=120)
        assert abs((await app.media.probe(Path(str(first.result_path)))).duration - 4.0) < 0.2  # 2 s + 2 s
        used = (await app.quota.status(7)).used
        with pytest.raises(JobStateError, match="up to 5 s in total"):
            await app.service.extend(who(tmp_path, "c2"), first.id, prompt="it sinks")
        assert (await app.quota.status(7)).used == used  # refused before any charge
    finally:
        await app.close()
