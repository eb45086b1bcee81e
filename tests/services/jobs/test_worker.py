"""The worker on a real SQLite file, a real ffmpeg, and a scripted remote provider.

Kills are simulated by leaving a job in each state as a killed process would have, then starting a fresh
worker on the same database (the real kill -9 runs are in tests/faults)."""

import asyncio
from pathlib import Path

import pytest

from bot.errors import DeliveryError
from bot.prompt import PromptSpec
from bot.providers.base import TaskState
from bot.services.delivery.port import CANCELLED_NOTICE, Receipt
from storage import JobState
from tests.support.cancel import SwallowedCancel
from tests.support.scripted import RecordingDelivery, Script
from tests.support.worker import IDLE, WHO, submit


async def test_a_job_goes_all_the_way_and_is_charged_once(make_app, provider):
    app, target = await make_app()
    job = await submit(app)
    final = await app.worker.wait_for(job.id, timeout=30)
    assert final.state is JobState.DONE and final.message_id == 1000 + job.id
    assert target.delivered[job.id] == 1 and provider.calls["submit"] == 1
    assert await app.storage.quota.ledger_state(job.id) == "committed"
    assert Path(final.result_path).exists()
    states = [s for (jid, s, _, _) in target.progress_log if jid == job.id]
    assert JobState.RUNNING in states and JobState.DELIVERING in states


@pytest.mark.parametrize(
    ("state", "fields", "find", "submits", "finds", "fetches"),
    [
        (JobState.QUEUED, {}, "absent", 1, 0, 1),
        (JobState.SUBMITTING, {}, "found", 0, 1, 1),  # killed after the create landed: found, not resubmitted
        (JobState.SUBMITTING, {}, "absent", 1, 1, 1),  # killed before the create landed: safe to submit
        (JobState.RUNNING, {"provider_task_id": "task-x"}, "absent", 0, 0, 1),
        (JobState.DOWNLOADING, {"provider_task_id": "task-x"}, "absent", 0, 0, 1),
        (JobState.POSTPROCESSING, {"provider_task_id": "task-x", "raw_path": "RAW"}, "absent", 0, 0, 0),
        (JobState.DELIVERING, {"provider_task_id": "task-x", "result_path": "RESULT"}, "absent", 0, 0, 0),
    ],
)
async def test_resume_after_a_kill_in_each_state(
    make_app, provider, sample_mp4, tmp_path, state, fields, find, submits, finds, fetches
):
    app, _ = await make_app()
    job = await submit(app)
    for key, value in list(fields.items()):
        if value in ("RAW", "RESULT"):
            copy = tmp_path / f"{value.lower()}.mp4"
            copy.write_bytes(sample_mp4.read_bytes())
            fields[key] = str(copy)
    await app.storage.jobs.update(job.id, state=state, lease_owner="main", lease_expires=1e12, **fields)
    await app.close()

    provider.script = Script(find=find, running_polls=1)
    provider.calls.clear()
    app2, target2 = await make_app()  # the restarted process
    final = await app2.worker.wait_for(job.id, timeout=30)
    assert final.state is JobState.DONE, final.error
    assert (provider.calls["submit"], provider.calls["find_task"], provider.calls["fetch"]) == (submits, finds, fetches)
    assert target2.delivered[job.id] == 1
    assert await app2.storage.quota.ledger_state(job.id) == "committed"


async def test_submit_outcome_unknown_fails_with_refund_and_is_never_resubmitted(make_app, provider):
    app, _ = await make_app()
    job = await submit(app)
    await app.storage.jobs.update(job.id, state=JobState.SUBMITTING)
    await app.close()
    provider.script = Script(find="uncertain")
    provider.calls.clear()
    app2, target2 = await make_app()
    final = await app2.worker.wait_for(job.id, timeout=30)
    assert final.state is JobState.FAILED and provider.calls["submit"] == 0
    assert "not resubmitted" in final.error
    assert await app2.storage.quota.ledger_state(job.id) == "refunded"
    assert target2.failures == [(job.id, final.error)]


async def test_a_finished_job_is_not_delivered_again_after_restart(make_app, provider):
    app, target = await make_app()
    job = await submit(app)
    await app.worker.wait_for(job.id, timeout=30)
    await app.close()
    app2, target2 = await make_app()
    await app2.worker.start()
    await asyncio.sleep(0.3)
    assert target.delivered[job.id] == 1 and target2.delivered[job.id] == 0


async def test_provider_failure_refunds_and_tells_the_user(make_app, provider):
    provider.script = Script(final=TaskState.FAILED, error="The request was flagged by content moderation.")
    app, target = await make_app()
    job = await submit(app)
    final = await app.worker.wait_for(job.id, timeout=30)
    assert final.state is JobState.FAILED and "moderation" in final.error
    assert await app.storage.quota.ledger_state(job.id) == "refunded"
    assert (await app.quota.status(7, 1)).used == 0
    assert target.failures and target.delivered[job.id] == 0


async def test_a_task_past_its_deadline_is_cancelled_and_refunded(make_app, provider):
    provider.script = Script(never_finish=True)
    app, _ = await make_app(job_deadline_seconds=0.3)
    job = await submit(app)
    await app.storage.jobs.update(job.id, started_at=app.quota.clock() - 31)  # the model allows 30 s
    final = await app.worker.wait_for(job.id, timeout=30)
    assert final.state is JobState.FAILED and "too long" in final.error
    assert provider.calls["cancel"] == 1
    assert await app.storage.quota.ledger_state(job.id) == "refunded"


async def test_cancel_while_running_stops_the_task_and_refunds(make_app, provider):
    provider.script = Script(never_finish=True)
    app, target = await make_app()
    job = await submit(app)
    await app.worker.start()
    async with asyncio.timeout(30):
        while (await app.service.get(job.id)).state is not JobState.RUNNING:
            await asyncio.sleep(0.01)
    await app.service.cancel(WHO, job.id)
    final = await app.worker.wait_for(job.id, timeout=30)
    assert final.state is JobState.CANCELLED and provider.calls["cancel"] == 1
    assert await app.storage.quota.ledger_state(job.id) == "refunded"
    async with asyncio.timeout(10):  # the notice follows the final row
        while not target.failures:
            await asyncio.sleep(0.01)
    assert target.failures == [(job.id, CANCELLED_NOTICE)]  # the same words as a cancel in the queue


async def test_cancel_while_queued_refunds_at_once(make_app, provider):
    app, target = await make_app()
    job = await submit(app)
    cancelled = await app.service.cancel(WHO, job.id)
    assert cancelled.state is JobState.CANCELLED
    assert await app.storage.quota.ledger_state(job.id) == "refunded"
    assert target.failures == [(job.id, CANCELLED_NOTICE)]  # the service told the target, as the worker does


async def test_a_refused_create_waits_and_is_sent_again_only_then(make_app, provider):
    provider.script = Script(refuse_creates=1)
    app, _ = await make_app()
    job = await submit(app)
    final = await app.worker.wait_for(job.id, timeout=30)
    assert final.state is JobState.DONE
    assert provider.calls["submit"] == 2 and len(provider.created) == 1


async def test_two_running_per_user_the_rest_queued(make_app, provider):
    provider.script = Script(never_finish=True, poll_delay=0.01)  # held running until the check below
    app, _ = await make_app(max_running_per_user=2)
    jobs = [await submit(app, f"clip number {i}") for i in range(4)]
    positions = [await app.storage.jobs.queue_position(j.id) for j in jobs]
    assert positions == [1, 2, 3, 4]
    await app.worker.start()
    async with asyncio.timeout(30):
        while len(provider.active) < 2:
            await asyncio.sleep(0.005)
    await app.worker.dispatch_once()  # another round does not start a third
    states = [(await app.service.get(j.id)).state for j in jobs]
    assert states == [JobState.RUNNING] * 2 + [JobState.QUEUED] * 2 and app.worker.running == 2
    provider.script = Script(running_polls=5, poll_delay=0.01)  # the held two finish at their next poll
    peak = 0
    while True:
        peak = max(peak, app.worker.running)
        rows = [await app.service.get(j.id) for j in jobs]
        if all(r.state.finished for r in rows):
            break
        await asyncio.sleep(0.005)
    assert peak <= 2
    assert all(r.state is JobState.DONE for r in rows)


async def test_identical_request_comes_from_the_cache_for_free(make_app, provider):
    app, target = await make_app()
    first = await submit(app, seed=5)
    await app.worker.wait_for(first.id, timeout=30)
    used = (await app.quota.status(7, 1)).used
    again = await app.service.submit(WHO, PromptSpec.create("a red fox jumps", model="scripted:v1", duration=2, seed=5))
    assert again.cached
    final = await app.worker.wait_for(again.job.id, timeout=30)
    assert final.state is JobState.DONE and target.delivered[again.job.id] == 1
    assert (await app.quota.status(7, 1)).used == used and provider.calls["submit"] == 1


class FlakyDelivery(RecordingDelivery):
    """Fails the first ``failures`` deliveries as a Discord outage would."""

    def __init__(self, failures: int, retryable: bool = True):
        super().__init__()
        self.failures_left = failures
        self.retryable = retryable
        self.attempts = 0

    async def deliver(self, job, video: Path) -> Receipt:
        self.attempts += 1
        if self.failures_left > 0:
            self.failures_left -= 1
            raise DeliveryError(detail="503 from Discord", retryable=self.retryable)
        return await super().deliver(job, video)


async def test_a_delivery_outage_is_retried_not_failed(make_app, provider):
    app, _ = await make_app()
    flaky = FlakyDelivery(failures=2)
    app.router.register(flaky)
    job = await submit(app)
    final = await app.worker.wait_for(job.id, timeout=30)
    assert final.state is JobState.DONE and flaky.attempts == 3 and flaky.delivered[job.id] == 1
    assert provider.calls["submit"] == 1 and await app.storage.quota.ledger_state(job.id) == "committed"


async def test_a_lasting_delivery_failure_ends_refunded(make_app, provider):
    app, _ = await make_app()
    broken = FlakyDelivery(failures=1, retryable=False)
    app.router.register(broken)
    job = await submit(app)
    final = await app.worker.wait_for(job.id, timeout=30)
    assert final.state is JobState.FAILED and broken.attempts == 1
    assert await app.storage.quota.ledger_state(job.id) == "refunded"


async def test_cancel_cuts_a_long_wait_between_polls_short(make_app, provider):
    provider.script = Script(never_finish=True, poll_retry_after=600)  # "come back in ten minutes"
    app, _ = await make_app()
    job = await submit(app)
    await app.worker.start()
    async with asyncio.timeout(30):
        while provider.calls["poll"] < 1:
            await asyncio.sleep(0.01)
    await app.service.cancel(WHO, job.id)
    final = await app.worker.wait_for(job.id, timeout=60)  # not ten minutes
    assert final.state is JobState.CANCELLED and provider.calls["cancel"] == 1
    assert await app.storage.quota.ledger_state(job.id) == "refunded"


async def test_cancel_reaches_a_job_parked_for_a_retry(make_app, provider):
    app, _ = await make_app()
    job = await submit(app)
    parked_until = app.quota.clock() + 3600
    await app.storage.jobs.update(
        job.id, state=JobState.DOWNLOADING, provider_task_id="task-x", next_attempt_at=parked_until
    )
    await app.worker.start()
    await app.service.cancel(WHO, job.id)
    final = await app.worker.wait_for(job.id, timeout=60)  # not an hour
    assert final.state is JobState.CANCELLED and provider.calls["fetch"] == 0
    assert await app.storage.quota.ledger_state(job.id) == "refunded"


async def test_two_processes_on_one_data_dir_never_share_a_worker_id(database_url, make_app, provider):
    """On SQLite a lock file in the data dir; on PostgreSQL an advisory lock (so across machines too)."""
    db = {"database_url": database_url} if database_url.startswith("postgresql") else {}
    provider.script = Script(never_finish=True)
    first, _ = await make_app(**db)
    await first.worker.start()
    job = await submit(first)
    async with asyncio.timeout(30):
        while (await first.service.get(job.id)).state is not JobState.RUNNING:
            await asyncio.sleep(0.01)
    second, _ = await make_app(**db)  # same settings, same database: a second live process
    await second.worker.start()
    assert first.worker.worker_id == "main" and second.worker.worker_id.startswith("main-")
    await second.worker.dispatch_once()
    await asyncio.sleep(1.2)  # and a dispatch round of its own loop
    assert job.id not in second.worker._tasks and (await first.service.get(job.id)).lease_owner == "main"
    assert provider.calls["submit"] == 1
    await first.worker.stop()
    restarted, _ = await make_app(**db)
    await restarted.worker.start()
    assert restarted.worker.worker_id == "main"  # the id is free again: a restart resumes at once


async def test_download_retries_do_not_use_up_the_delivery_retries(make_app, provider):
    app, _ = await make_app()
    flaky = FlakyDelivery(failures=4)
    app.router.register(flaky)
    job = await submit(app)
    await app.storage.jobs.update(job.id, attempts=4)  # as after four failed downloads
    final = await app.worker.wait_for(job.id, timeout=30)
    assert final.state is JobState.DONE and flaky.attempts == 5 and final.delivery_attempts == 4


async def test_stop_ends_the_worker_even_when_a_library_swallows_the_cancel(make_app):
    """A cancel swallowed inside the dispatch loop's last query (tests/support/cancel.py; seen in CI as a worker
    on PostgreSQL that never stopped): the loop must still end rather than go back to an idle sleep of an hour."""
    app, _ = await make_app(worker_idle_max_seconds=IDLE)
    jobs, swallow = app.storage.jobs, SwallowedCancel()
    next_due = jobs.next_due

    async def next_due_then_a_wait_for(**kw):
        due = await next_due(**kw)
        await swallow.point()
        return due

    jobs.next_due = next_due_then_a_wait_for
    await app.worker.start()
    await swallow.stop(app.worker.stop)
