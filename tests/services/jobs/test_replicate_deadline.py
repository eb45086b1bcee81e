"""A Replicate prediction still running when its ``Cancel-After`` deadline passes ends ``canceled`` and is billed
for the time it ran (Replicate's changelog 2025-10-16, "Set deadlines for predictions"): a real job through the
real ``replicate`` client and the emulator, with a 1 s deadline the test sets on the provider and a prediction
that would otherwise run forever, so only the deadline can end it."""

import pytest

from bot.app import App
from bot.prompt import PromptSpec
from bot.providers.replicate import ReplicateProvider
from bot.services.delivery.port import FileDelivery
from bot.services.requests.requester import Requester
from emulators.providers import Script
from storage import JobState

pytestmark = pytest.mark.timeout(120)

ZEROSCOPE_GPU_USD = 0.00115  # bot/providers/prices.py, read 2026-11


async def test_a_prediction_running_at_its_deadline_is_billed_refunded_and_told_as_a_timeout(
    make_settings, emulator, tmp_path
):
    provider = ReplicateProvider(emulator.replicate.api_key, emulator.replicate_url, cancel_after=1)
    app = await App.create(make_settings(daily_seconds=60), providers=[provider])
    app.router.register(FileDelivery())
    emulator.replicate.script_next(Script(queued=0, outcome="hang"))  # running from its create, never ending
    try:
        who = Requester(user_id=1, guild_id=7, delivery={"kind": "file", "path": str(tmp_path / "out.mp4")})
        spec = PromptSpec.create("a paper boat", model="replicate:zeroscope", duration=2)
        job = (await app.service.submit(who, spec)).job
        assert (await app.quota.status(1, 7)).used == 2  # charged while it runs
        done = await app.worker.wait_for(job.id, timeout=60)

        task = emulator.replicate.tasks[str(done.provider_task_id)]
        assert task.extra["cancel_after"] == "1s" and task.deadline_cancelled  # ended by its deadline, running
        assert done.state is JobState.FAILED
        assert done.error is not None and done.error.startswith("Replicate took too long") and "1 s limit" in done.error
        assert "quota was refunded" in done.error
        # billed: the predict time the emulator reported is the job's actual cost; the member is refunded
        billed = emulator.replicate.reported[task.id]
        assert billed > 0
        row = await app.storage.costs.job_cost(done.id)
        assert row is not None and row["actual_units"] == pytest.approx(billed)
        assert row["actual_usd"] == pytest.approx(billed * ZEROSCOPE_GPU_USD)
        assert (await app.quota.status(1, 7)).used == 0
    finally:
        await app.close()
