"""Provider faults end to end: the real worker, the real Runway/Replicate/Luma classes and SDKs, the in-process
provider emulators.  Every fault ends DONE with the video delivered, or FAILED with a message a user
understands and the quota refunded — within a bound, never stuck, never a request storm.

Most cases deliver to a file (the CLI's target); the last ones go through the real Discord bot.
"""

from __future__ import annotations

import time

import pytest

from emulators.providers import Fault, Script
from storage import JobState
from tests.support.discord import is_mp4, job_id_of, mp4_of, results, wait_result
from tests.support.fault_rig import (
    BotFactory,
    Rig,
    RigFactory,
    assert_delivered,
    assert_failed_and_refunded,
    assert_user_text,
    failure_notice,
    fault_after_success,
    task_reads,
)

pytestmark = pytest.mark.timeout(60)
PROVIDERS = ["runway", "replicate", "luma"]
MODERATION = "Prompt flagged by our content moderation system."


def api_of(rig: Rig, provider: str):
    return rig.server.apis[provider]


# --- rate limits ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_create_429_with_retry_after_waits_that_long_then_delivers(fault_rig: Rig, provider):
    rig = fault_rig
    api = api_of(rig, provider)
    api.fail_creates(Fault(429, retry_after="7"))
    job = await rig.settle((await rig.submit(provider)).id)
    await assert_delivered(rig, job)
    assert api.create_count == 2
    assert [state for state, _ in rig.defers] == [JobState.QUEUED]
    # Retry-After honoured: never sooner, not much later (Replicate's is read from the answer's headers,
    # which replicate 1.0.7's errors do not carry)
    assert 6.5 <= rig.defers[0][1] <= 7.5, rig.defers


async def test_create_429_without_retry_after_backs_off_then_delivers(fault_rig: Rig):
    rig = fault_rig
    rig.server.runway.fail_creates(Fault(429), Fault(429))
    job = await rig.settle((await rig.submit()).id)
    await assert_delivered(rig, job)
    assert rig.server.runway.create_count == 3
    assert len(rig.defers) == 2 and all(wait >= 5 for _, wait in rig.defers), rig.defers


async def test_create_429_for_ever_ends_in_a_clear_failure(fault_rig: Rig):
    rig = fault_rig
    rig.server.runway.fail_creates(*[Fault(429)] * 50)
    job = await rig.settle((await rig.submit()).id)
    await assert_failed_and_refunded(rig, job, "busy")
    assert rig.server.runway.create_count <= 5 and not rig.server.runway.tasks


async def test_a_retry_after_beyond_the_deadline_fails_now_instead_of_creating_a_late_task(make_fault_rig: RigFactory):
    rig = await make_fault_rig(deadline=600.0)
    rig.server.runway.fail_creates(Fault(429, retry_after="86400"))
    job = await rig.settle((await rig.submit()).id)
    await assert_failed_and_refunded(rig, job, "busy")
    assert rig.server.runway.create_count == 1 and not rig.server.runway.tasks  # nothing paid for, nothing late


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_poll_429_with_and_without_retry_after_then_delivers(fault_rig: Rig, provider):
    rig = fault_rig
    api = api_of(rig, provider)
    api.fail_polls(Fault(429, retry_after="1"), Fault(429), Fault(429, retry_after="0"))
    started = time.monotonic()
    job = await rig.settle((await rig.submit(provider)).id)
    await assert_delivered(rig, job)
    assert time.monotonic() - started >= 0.8  # the 1 s Retry-After was waited (±20 % jitter)
    assert api.create_count == 1 and task_reads(api) <= 12


async def test_a_poll_retry_after_longer_than_the_deadline_does_not_outlive_it(make_fault_rig: RigFactory):
    rig = await make_fault_rig(deadline=2.0)
    rig.server.runway.fail_polls(Fault(429, retry_after="3600"))
    job = await rig.settle((await rig.submit()).id, bound=30)  # not the hour the provider asked for
    await assert_failed_and_refunded(rig, job, "too long", "refunded")
    (task,) = rig.server.runway.tasks.values()
    assert task.cancelled  # the provider task was stopped, not left running


# --- server errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_burst_of_5xx_while_polling_is_ridden_out(fault_rig: Rig, provider):
    rig = fault_rig
    api = api_of(rig, provider)
    api.fail_polls(Fault(500), Fault(502), Fault(503), Fault(503), Fault(504))
    job = await rig.settle((await rig.submit(provider)).id)
    await assert_delivered(rig, job)
    assert api.create_count == 1 and task_reads(api) <= 14


async def test_503_on_create_is_retried_later_then_delivers(fault_rig: Rig):
    rig = fault_rig
    rig.server.runway.fail_creates(Fault(503), Fault(503))
    job = await rig.settle((await rig.submit()).id)
    await assert_delivered(rig, job)
    assert rig.server.runway.create_count == 3 and len(rig.server.runway.tasks) == 1
    assert len(rig.defers) == 2


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "fault", [Fault(502), Fault(500), Fault(kind="reset"), Fault(kind="malformed")], ids=["502", "500", "reset", "json"]
)
async def test_a_create_whose_outcome_is_unknown_fails_clearly_and_is_never_sent_twice(fault_rig: Rig, provider, fault):
    rig = fault_rig
    api = api_of(rig, provider)
    api.fail_creates(fault)
    job = await rig.settle((await rig.submit(provider)).id)
    await assert_failed_and_refunded(rig, job, "not resubmitted")
    assert api.create_count == 1 and not rig.defers


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_the_download_starts_from_the_answer_that_said_succeeded(fault_rig: Rig, provider):
    rig = fault_rig
    api = api_of(rig, provider)
    fault_after_success(api, Fault(503))  # a second read of the task would fail
    job = await rig.settle((await rig.submit(provider)).id)
    await assert_delivered(rig, job)
    assert api.create_count == 1 and not rig.defers and len(api.poll_faults) == 1  # the task was not read again


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_5xx_or_429_on_the_reads_after_an_expired_link_are_retried(fault_rig: Rig, provider):
    rig = fault_rig
    api = api_of(rig, provider)
    api.script_next(Script(output="expire_first"))  # the link in the answer that said "succeeded" is refused
    fault_after_success(api, Fault(503), Fault(429, retry_after="0"))  # and so are the reads for a fresh one
    job = await rig.settle((await rig.submit(provider)).id)
    await assert_delivered(rig, job)
    assert api.create_count == 1 and not api.poll_faults  # both faults met, each retried
    assert rig.defers and all(state is JobState.DOWNLOADING for state, _ in rig.defers), rig.defers


# --- connection resets, slow and malformed answers -------------------------------------------------------------
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_connection_resets_and_malformed_json_while_polling_are_retried(fault_rig: Rig, provider):
    rig = fault_rig
    api = api_of(rig, provider)
    api.fail_polls(Fault(kind="reset"), Fault(kind="malformed"), Fault(kind="reset"), Fault(kind="malformed"))
    job = await rig.settle((await rig.submit(provider)).id)
    await assert_delivered(rig, job)
    assert api.create_count == 1 and task_reads(api) <= 14


async def test_a_slow_poll_is_given_up_on_and_retried(fault_rig: Rig):
    rig = fault_rig
    rig.server.runway.fail_polls(Fault(kind="hang", seconds=0.3), Fault(kind="hang", seconds=4.0))
    job = await rig.settle((await rig.submit()).id)  # poll_deadline is 2 s: the 4 s one times out
    await assert_delivered(rig, job)


@pytest.mark.parametrize("provider", ["replicate", "luma"])
async def test_a_create_answered_too_late_is_found_not_resent(fault_rig: Rig, provider):
    rig = fault_rig
    api = api_of(rig, provider)
    api.script_next(Script(hang_create=30.0))  # create_timeout is 5 s: the answer is lost, the task exists
    job = await rig.settle((await rig.submit(provider)).id)
    await assert_delivered(rig, job)
    assert api.create_count == 1 and len(api.tasks) == 1


async def test_a_runway_create_answered_too_late_fails_clearly_without_a_second_create(fault_rig: Rig):
    rig = fault_rig
    rig.server.runway.script_next(Script(hang_create=30.0))
    job = await rig.settle((await rig.submit()).id)
    await assert_failed_and_refunded(rig, job, "not resubmitted")
    assert rig.server.runway.create_count == 1  # Runway cannot list tasks, so it is never sent again


# --- a task that never ends -------------------------------------------------------------------------------
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_task_that_never_ends_is_stopped_at_its_deadline(make_fault_rig: RigFactory, provider):
    rig = await make_fault_rig(deadline=1.5)
    api = api_of(rig, provider)
    api.script_next(Script(outcome="hang"))
    job = await rig.settle((await rig.submit(provider)).id, bound=30)  # stopped, not polled for ever
    await assert_failed_and_refunded(rig, job, "too long", "refunded")
    tasks = list(api.tasks.values())
    assert all(t.cancelled for t in tasks)  # Luma deletes the generation, the others cancel it
    assert api.create_count == 1 and task_reads(api) < 150


# --- bad outputs -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("output", "words"),
    [("404", "no longer available"), ("html", "not a video"), ("text", "not a video")],
)
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_an_unusable_output_fails_clearly(fault_rig: Rig, provider, output, words):
    rig = fault_rig
    api = api_of(rig, provider)
    api.script_next(Script(output=output))
    job = await rig.settle((await rig.submit(provider)).id)
    await assert_failed_and_refunded(rig, job, words)
    assert not rig.defers  # asking again will not help, so it is not asked again


async def test_an_output_over_the_size_cap_fails_clearly_and_leaves_nothing_behind(make_fault_rig: RigFactory):
    rig = await make_fault_rig(settings={"max_download_bytes": 20_000})
    job = await rig.settle((await rig.submit("luma")).id)
    await assert_failed_and_refunded(rig, job, "larger than")
    assert not rig.defers and not list(rig.app.settings.media_dir.rglob("*.part"))


@pytest.mark.parametrize("where", ["create", "poll"])
async def test_a_revoked_key_fails_clearly_and_tells_who_can_fix_it(fault_rig: Rig, where):
    rig = fault_rig
    api = rig.server.runway
    (api.fail_creates if where == "create" else api.fail_polls)(Fault(401))
    job = await rig.settle((await rig.submit()).id)
    await assert_failed_and_refunded(rig, job, "server owner")
    assert api.create_count == 1 and not rig.defers


async def test_an_expired_output_link_is_refreshed_once(fault_rig: Rig):
    rig = fault_rig
    rig.server.luma.script_next(Script(output="expire_first"))
    job = await rig.settle((await rig.submit("luma")).id)
    await assert_delivered(rig, job)


async def test_a_truncated_download_is_retried_then_delivered(fault_rig: Rig):
    rig = fault_rig
    script = Script(output="truncated")
    rig.server.runway.script_next(script)

    def heal(job) -> None:
        script.output = "ok"  # the CDN recovers before the retry

    job = await rig.settle((await rig.submit()).id, on_defer=heal)
    path = await assert_delivered(rig, job)
    assert [state for state, _ in rig.defers] == [JobState.DOWNLOADING]
    assert path.stat().st_size == len(await rig.server.runway.videos.clip(2))


@pytest.mark.parametrize("output", ["truncated", "reset"])
async def test_a_download_that_keeps_breaking_fails_after_a_few_tries(fault_rig: Rig, output):
    rig = fault_rig
    rig.server.replicate.script_next(Script(output=output))
    job = await rig.settle((await rig.submit("replicate")).id)
    await assert_failed_and_refunded(rig, job, "could not be downloaded")
    assert 2 <= len(rig.defers) <= 5 and all(s is JobState.DOWNLOADING for s, _ in rig.defers)
    assert not list(rig.app.settings.media_dir.rglob("*.part"))  # no half-written file left behind


# --- refusals and failed tasks ---------------------------------------------------------------------------------
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_moderation_refusal_fails_at_once_with_a_moderation_message(fault_rig: Rig, provider):
    rig = fault_rig
    api = api_of(rig, provider)
    api.script_next(Script(refuse=MODERATION))
    job = await rig.settle((await rig.submit(provider)).id)
    await assert_failed_and_refunded(rig, job, "moderation")
    assert api.create_count == 1 and not api.tasks and not rig.defers


@pytest.mark.parametrize(
    ("provider", "script", "words"),
    [
        ("runway", Script(outcome="fail", failure_code="SAFETY.INPUT.TEXT", failure="x"), "moderation refused"),
        ("runway", Script(outcome="fail", failure_code="INTERNAL.BAD_OUTPUT.CODE01"), "unusable video"),
        ("runway", Script(outcome="fail", failure_code="ASSET.INVALID"), "could not read"),
        ("runway", Script(outcome="fail", failure="boom"), "could not make this video"),
        ("replicate", Script(outcome="fail", failure="E005: input flagged as sensitive"), "moderation"),
        ("replicate", Script(outcome="fail", failure="CUDA out of memory at /srv/app.py"), "could not make"),
        ("replicate", Script(outcome="abort"), "could not start"),
        ("replicate", Script(outcome="cancel"), "cancelled"),
        ("luma", Script(outcome="fail", failure="400: prompt not allowed because of moderation"), "moderation"),
        ("luma", Script(outcome="fail", failure="Internal error"), "could not make"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
async def test_a_task_that_failed_with_a_code_says_why(fault_rig: Rig, provider, script, words):
    rig = fault_rig
    api = api_of(rig, provider)
    api.script_next(script)
    job = await rig.settle((await rig.submit(provider)).id)
    await assert_failed_and_refunded(rig, job, words)
    assert api.create_count == 1 and not rig.defers


# --- through the real Discord bot -------------------------------------------------------------------------------
async def test_discord_provider_hiccups_still_end_in_one_posted_video(fault_bot: BotFactory):
    rig = await fault_bot()
    rig.server.runway.fail_polls(Fault(503), Fault(429, retry_after="0.2"), Fault(kind="reset"), Fault(502))
    fault_after_success(rig.server.runway, Fault(503))
    handle, job_id = await rig.video("a hot air balloon over a canyon")
    job = await rig.settle(job_id)
    assert job.state is JobState.DONE and await rig.ledger(job_id) == "committed"
    result = await wait_result(rig.emu)
    assert job_id_of(result) == job_id and is_mp4(mp4_of(result)) and len(results(rig.emu, job_id)) == 1
    await rig.emu.wait_until(lambda: "done" in handle.original.embeds[0]["title"], 30, "the status to say done")


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        (lambda api: api.script_next(Script(refuse=MODERATION)), "moderation"),
        (lambda api: api.script_next(Script(output="404")), "no longer available"),
        (lambda api: api.fail_creates(Fault(502)), "not resubmitted"),
    ],
    ids=["moderation", "output-404", "lost-create"],
)
async def test_discord_provider_failures_become_a_clear_notice_and_a_refund(fault_bot: BotFactory, setup, words):
    rig = await fault_bot()
    setup(rig.server.runway)
    handle, job_id = await rig.video("a kite over a beach")
    job = await rig.settle(job_id)
    await assert_failed_and_refunded(rig, job, words)
    await rig.emu.wait_until(lambda: handle.original.embeds[0]["title"].startswith("❌"), 20, "the failure notice")
    assert_user_text(failure_notice(handle), rig, fragments=(words,))
    assert not results(rig.emu)
    quota = await rig.app.quota.status(rig.emu.alice.id, rig.emu.guild.id)
    assert quota.used == 0  # the refund shows in /quota


async def test_discord_a_task_that_never_ends_is_stopped_and_the_user_told(fault_bot: BotFactory):
    rig = await fault_bot(deadline=1.5)
    rig.server.luma.script_next(Script(outcome="hang"))
    handle, job_id = await rig.video("an endless staircase", provider="luma")
    job = await rig.settle(job_id, bound=30)
    await assert_failed_and_refunded(rig, job, "too long")
    await rig.emu.wait_until(lambda: handle.original.embeds[0]["title"].startswith("❌"), 30, "the failure notice")
    assert "too long" in failure_notice(handle)
    assert not rig.server.luma.tasks  # the generation was deleted at Luma
