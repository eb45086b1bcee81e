"""What every cloud provider (runway, replicate, luma, fal) does the same way, run with its real SDK against its
loopback emulator.  The providers are rows of the table in ``conftest.py``; what only one provider does stays in
its own ``test_<provider>.py``."""

from __future__ import annotations

import pytest

from bot.errors import (
    OutputTooLarge,
    ProviderAuthError,
    ProviderRejected,
    ProviderTaskFailed,
    ProviderUnavailable,
    RateLimited,
    SubmitUncertain,
)
from bot.providers.base import TaskState, VideoProvider
from bot.providers.catalogue import models_for
from bot.providers.finishes import finish_models_for
from emulators.providers import Fault, Script
from tests.support.providers import assert_secret_free, drive, is_mp4, run_task


async def test_is_a_video_provider_with_its_catalogue_models(case, provider):
    assert isinstance(provider, VideoProvider)
    offered = {m.name: m for m in provider.models()}
    catalogue = {m.name: m.info() for m in models_for(case.name)}
    catalogue |= {m.name: m.info() for m in finish_models_for(case.name)}  # /finish's models (bot/providers/finishes)
    assert set(offered) == set(catalogue) and offered
    for name, info in offered.items():
        assert info.deadline_seconds and info.deadline_seconds == catalogue[name].deadline_seconds


async def test_text_to_video_runs_to_a_real_mp4(case, provider, api, tmp_path):
    request = case.req()
    task_id, seen, path = await drive(provider, request, tmp_path / "o.mp4")
    assert [s.state for s in seen] == [TaskState.PENDING, TaskState.RUNNING, TaskState.RUNNING, TaskState.SUCCEEDED]
    (made,) = api.tasks.values()
    assert is_mp4(path) and path.read_bytes() == await api.videos.clip(made.seconds)  # that task's own video
    assert api.create_count == 1 and task_id.endswith(made.id)


async def test_wrong_key_is_an_auth_error_without_the_key(case, server):
    secret = f"{case.name}-wrong-SECRET-9f8e7d"
    provider = case.make(server, api_key=secret)
    calls = [provider.submit(case.req()), provider.poll(case.unknown_task), provider.cancel(case.unknown_task)]
    if case.finds_lost_creates:
        calls.append(provider.find_task(case.req()))
    try:
        for call in calls:
            with pytest.raises(ProviderAuthError) as info:
                await call
            assert_secret_free(info.value, secret)
    finally:
        await provider.aclose()


async def test_key_echoed_by_the_server_is_redacted(case, provider, api):
    key = api.api_key
    task_id = await provider.submit(case.req())
    api.fail_polls(Fault(500, body=case.error_body(f"crash while handling Bearer {key}")))
    with pytest.raises(ProviderUnavailable) as info:
        await provider.poll(task_id)
    assert_secret_free(info.value, key)
    for status in (400, 422):
        api.fail_creates(Fault(status, body=case.error_body(f"token {key} may not run this")))
        with pytest.raises(ProviderRejected) as rejected:
            await provider.submit(case.req(job_id=8))
        assert_secret_free(rejected.value, key)


async def test_server_errors_while_polling_are_retryable_and_the_task_goes_on(case, provider, api):
    task_id = await provider.submit(case.req())
    faults = [Fault(500), Fault(503), Fault(502), Fault(kind="malformed")]
    api.fail_polls(*faults)
    for _ in faults:
        with pytest.raises(ProviderUnavailable) as down:
            await provider.poll(task_id)
        assert down.value.retryable
    gets = [r for r in api.requests if r[0] == "GET"]
    assert len(gets) == len(faults)  # one request per poll: the SDK did not retry them itself
    final, _ = await run_task(provider, task_id)
    assert final.state is TaskState.SUCCEEDED


async def test_rate_limit_while_polling(case, provider, api):
    task_id = await provider.submit(case.req())
    api.fail_polls(Fault(429, retry_after="7"), Fault(429))
    if case.retries_poll_429:  # the SDK retries reads itself: the poll still answers
        assert (await provider.poll(task_id)).state is TaskState.PENDING
        return
    with pytest.raises(RateLimited) as limited:
        await provider.poll(task_id)
    assert limited.value.retry_after == 7.0 and limited.value.retryable
    with pytest.raises(RateLimited) as limited:
        await provider.poll(task_id)
    assert limited.value.retry_after is None
    gets = [r for r in api.requests if r[0] == "GET"]
    assert len(gets) == 2  # one request per poll: the SDK did not retry them (nor sleep 7 s)
    final, _ = await run_task(provider, task_id)
    assert final.state is TaskState.SUCCEEDED


async def test_create_errors_are_sent_once_and_classified(case, provider, api):
    api.fail_creates(Fault(503), Fault(500), Fault(502), Fault(429, retry_after="30"))
    with pytest.raises(ProviderUnavailable) as down:
        await provider.submit(case.req())  # shed load: nothing was made, trying later is safe
    assert type(down.value) is ProviderUnavailable
    for _ in range(2):
        with pytest.raises(SubmitUncertain):  # a 500 or a gateway error may hide a made task; none is found
            await provider.submit(case.req())
    with pytest.raises(RateLimited) as limited:
        await provider.submit(case.req())
    assert limited.value.retry_after == 30
    assert api.create_count == 4 and not api.tasks


async def test_moderation_refusal_on_create(case, provider, api):
    api.script_next(Script(refuse=case.refusal))
    with pytest.raises(ProviderRejected) as info:
        await provider.submit(case.req())
    assert "moderation" in info.value.user_message and not info.value.retryable
    assert api.create_count == 1 and not api.tasks


async def test_failed_task_by_moderation_and_otherwise(case, provider, api):
    api.script_next(case.moderation_failure, Script(outcome="fail", failure="CUDA out of memory"))
    moderated, _ = await run_task(provider, await provider.submit(case.req()))
    assert moderated.state is TaskState.FAILED and "moderation" in (moderated.error or "")
    assert case.moderation_code in (moderated.error_code or "")
    failed, _ = await run_task(provider, await provider.submit(case.req(job_id=9)))
    assert failed.state is TaskState.FAILED and failed.error and "moderation" not in failed.error
    assert "CUDA out of memory" in (failed.error_code or "")


async def test_never_finishing_task_keeps_running(case, provider, api):
    api.script_next(Script(outcome="hang"))
    task_id = await provider.submit(case.req())
    states = [(await provider.poll(task_id)).state for _ in range(25)]
    assert states[0] is TaskState.PENDING and set(states[1:]) == {TaskState.RUNNING}


async def test_cancel_is_idempotent(case, provider, api):
    api.script_next(Script(outcome="hang"))
    task_id = await provider.submit(case.req())
    await provider.poll(task_id)
    await provider.cancel(task_id)
    if case.cancelled_stays:
        assert (await provider.poll(task_id)).state is TaskState.CANCELLED
    else:
        with pytest.raises(ProviderTaskFailed):
            await provider.poll(task_id)
    await provider.cancel(task_id)  # cancelled already: fine
    await provider.cancel(case.unknown_task)  # never made (or gone): fine


async def test_lost_create_is_found_or_uncertain_and_never_resent(case, provider, api, tmp_path):
    api.script_next(Script(hang_create=30.0))  # the task is made, the answer never comes
    if case.finds_lost_creates:
        task_id = await provider.submit(case.req())
        (made,) = api.tasks.values()
        assert task_id == made.id
        final, _ = await run_task(provider, task_id)
        assert is_mp4(await provider.fetch_result(task_id, final, tmp_path / "o.mp4", 10**8))
    else:  # the provider cannot list tasks: "not found" would invite a resubmit
        with pytest.raises(SubmitUncertain) as info:
            await provider.submit(case.req())
        assert not info.value.retryable and info.value.provider == case.name
        with pytest.raises(SubmitUncertain):
            await provider.find_task(case.req())
    assert api.create_count == 1 and len(api.tasks) == 1


@pytest.mark.parametrize(
    ("output", "error", "cap"),
    [
        ("404", ProviderTaskFailed, 10**8),
        ("html", ProviderTaskFailed, 10**8),
        ("text", ProviderTaskFailed, 10**8),
        ("truncated", ProviderUnavailable, 10**8),
        ("ok", OutputTooLarge, 1000),
        ("chunked", OutputTooLarge, 20_000),
    ],
)
async def test_bad_outputs_leave_no_file(case, provider, api, tmp_path, output, error, cap):
    api.script_next(Script(output=output))
    task_id = await provider.submit(case.req())
    final, _ = await run_task(provider, task_id)
    with pytest.raises(error):
        await provider.fetch_result(task_id, final, tmp_path / "o.mp4", cap)
    assert list(tmp_path.iterdir()) == []


async def test_a_new_provider_resumes_polling_after_a_restart(case, server, api, tmp_path):
    first = case.make(server)
    task_id = await first.submit(case.req())
    assert (await first.poll(task_id)).state is TaskState.PENDING
    await first.aclose()  # the bot stops; the task id was persisted
    second = case.make(server)
    try:
        final, _ = await run_task(second, task_id)
        assert is_mp4(await second.fetch_result(task_id, final, tmp_path / "o.mp4", 10**8))
    finally:
        await second.aclose()
    assert api.create_count == 1


async def test_unreachable_server_is_unavailable_not_uncertain(case, server):
    provider = case.make(server)  # made first: the fal listener's CA file goes with the server
    await server.stop()
    try:
        with pytest.raises(ProviderUnavailable) as info:
            await provider.submit(case.req())
        assert type(info.value) is ProviderUnavailable
    finally:
        await provider.aclose()
