"""Discord faults: the real VideoBot (in this process, cloud providers on the provider emulator) against the
loopback Discord emulator's fault knobs.  Every case asserts what the user sees, that the job reached a final
state (delivered once, or failed and refunded), and that the bot did not loop (bounded request counts).
"""

from __future__ import annotations

import asyncio
import itertools
import re
from typing import Any

import aiohttp
import pytest

from bot.services.delivery.ladder import Rung
from emulators.providers import Script
from storage import JobState
from tests.support.discord import free_port, is_mp4, job_id_of, mp4_of, results, text_of, videos_of, wait_result
from tests.support.fault_rig import BotFactory, BotRig, assert_user_text

pytestmark = pytest.mark.timeout(90)
WEBHOOK_POST = r"^/webhooks/\d+/[^/]+$"  # the interaction followup that carries the result
CHANNEL_POST = r"^/channels/\d+/messages$"
REACTION_PUT = r"/reactions/"
LONG = Script(running=25)  # about a second of polling: time to break something mid-job


def held() -> Script:
    """A task that stays RUNNING, its progress rising (so progress flushes keep coming), until ``release``."""
    return Script(outcome="hang", running=1, progress=[round(i / 500, 3) for i in range(1, 500)])


def release(script: Script) -> None:
    """Let a :func:`held` task succeed at its next poll."""
    script.outcome = "succeed"


def post_kind(payload: dict[str, Any] | None) -> str:
    """What a message post was, by its body: "status" (⏳), "result" (🎬: an embed, or the result card's first
    text), "failure" (❌) or "other"."""
    title = str(((payload or {}).get("embeds") or [{}])[0].get("title", ""))
    card = ((payload or {}).get("components") or [{}])[0]
    if card.get("type") == 17:  # a Components V2 card: its first Text Display says what it is (### 🎬 …)
        title = str((card.get("components") or [{}])[0].get("content", "")).removeprefix("### ")
    return {"⏳": "status", "🎬": "result", "❌": "failure"}.get(title[:1], "other")


async def wait_state(rig: BotRig, job_id: int, state: JobState, timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while (await rig.app.service.get(job_id)).state is not state:
            await asyncio.sleep(0.02)


async def delivered_once(rig: BotRig, job_id: int) -> None:
    """The job is DONE and charged, with exactly one result message carrying a real MP4."""
    job = await rig.settle(job_id)
    assert job.state is JobState.DONE, (job.state, job.error, job.error_detail)
    assert await rig.ledger(job_id) == "committed"
    await asyncio.sleep(0.3)  # anything that would post a second copy has had its chance
    (result,) = results(rig.emu, job_id)
    assert job.message_id == result.id


# --- rate limits and server errors --------------------------------------------------------------------------
async def test_429s_on_the_result_followup_are_waited_out(fault_bot: BotFactory):
    rig = await fault_bot()
    limit = rig.emu.rate_limit_next("POST /webhooks/*", count=2, retry_after=0.3)
    _, job_id = await rig.video("a red balloon drifting over rooftops")
    result = await wait_result(rig.emu)
    assert job_id_of(result) == job_id and is_mp4(mp4_of(result))
    await delivered_once(rig, job_id)
    assert limit.hits == 2
    assert [r.status for r in rig.requests("POST", WEBHOOK_POST)] == [429, 429, 200]


async def test_a_global_429_on_a_channel_send_is_waited_out(fault_bot: BotFactory):
    rig = await fault_bot()
    handle, job_id = await rig.video("a sailboat tacking in wind")
    rig.emu.expire_token(handle)  # results go to the channel now
    limit = rig.emu.rate_limit_next("POST /channels/*/messages", count=1, retry_after=0.2, is_global=True)
    await delivered_once(rig, job_id)
    assert limit.hits == 1
    assert len([r for r in rig.requests("POST", CHANNEL_POST) if r.status == 429]) == 1


async def test_a_job_that_ends_while_a_status_post_waits_out_a_global_429_still_delivers(fault_bot: BotFactory):
    # discord.py closes its global lock while it sleeps out a global 429 and reopens it after the sleep: a status
    # post cancelled in that sleep (the job ended and its progress stopped) used to leave every REST call waiting
    rig = await fault_bot()
    rig.server.runway.script_next(gate := held())
    handle, job_id = await rig.video("a kite above a windy beach")
    await wait_state(rig, job_id, JobState.RUNNING)
    rig.emu.expire_token(handle)  # the status and the result go to the channel now
    limit = rig.emu.rate_limit_next("POST /channels/*/messages", count=1, retry_after=3.0, is_global=True)
    await rig.emu.wait_until(lambda: limit.hits == 1, 30, "a status post refused with a global 429")
    release(gate)  # the job ends while discord.py still sleeps out the global limit
    await delivered_once(rig, job_id)


async def test_a_short_5xx_burst_on_the_upload_is_retried_by_discord_py(fault_bot: BotFactory):
    rig = await fault_bot()
    burst = rig.emu.server_error_next("POST /webhooks/*", count=2, status=502)
    _, job_id = await rig.video("a cat chasing a laser dot")
    await delivered_once(rig, job_id)
    assert burst.hits == 2 and [r.status for r in rig.requests("POST", WEBHOOK_POST)] == [502, 502, 200]


async def test_an_outage_longer_than_discord_py_retries_is_retried_later_not_failed(fault_bot: BotFactory):
    rig = await fault_bot()
    rig.server.runway.script_next(gate := held())
    handle, job_id = await rig.video("a steam train crossing a viaduct")
    await wait_state(rig, job_id, JobState.RUNNING)
    rig.emu.expire_token(handle)
    status_post = lambda: any(post_kind(r.payload) == "status" for r in rig.requests("POST", CHANNEL_POST))  # noqa: E731
    await rig.emu.wait_until(status_post, 20, "the status reply that replaces the dead token's message")
    outage = rig.emu.server_error_next("POST /channels/*/messages", count=3, status=503)  # no retry in discord.py
    release(gate)
    await delivered_once(rig, job_id)
    assert outage.hits == 3
    assert [s for s, _ in rig.defers] == [JobState.DELIVERING] * 3  # one back-off per refusal, no spin
    posts = rig.requests("POST", CHANNEL_POST)  # the status reply, 3 refusals (faults: no body logged), the result
    assert [(r.status, post_kind(r.payload)) for r in posts] == [
        (200, "status"),
        *[(503, "other")] * 3,
        (200, "result"),
    ]


# --- the interaction token ------------------------------------------------------------------------------------
async def test_a_dead_token_sends_the_result_as_a_channel_reply(fault_bot: BotFactory):
    rig = await fault_bot()
    rig.server.runway.script_next(LONG)
    handle, job_id = await rig.video("an hourglass with red sand")
    await wait_state(rig, job_id, JobState.RUNNING)
    rig.emu.expire_token(handle)
    result = await wait_result(rig.emu)
    assert result.interaction_id is None and result.webhook_id is None  # an ordinary channel message …
    assert result.reference is not None and int(result.reference["message_id"]) == handle.record.original_id
    assert set(result.pings.users) <= {rig.emu.alice.id} and is_mp4(mp4_of(result))  # a late one pings the owner
    await delivered_once(rig, job_id)
    refused = [r for r in rig.emu.rest.log if handle.token in r.path and r.status == 401]
    assert len(refused) <= 1  # refused once, never tried again


async def test_a_token_refused_mid_upload_falls_back_to_the_channel(fault_bot: BotFactory):
    rig = await fault_bot()
    rig.emu.fail_next("POST /webhooks/*", 401, 50027, "Invalid Webhook Token")
    handle, job_id = await rig.video("a lantern floating on a river")
    await delivered_once(rig, job_id)
    (result,) = results(rig.emu, job_id)
    assert result.webhook_id is None and int(result.reference["message_id"]) == handle.record.original_id
    assert len(rig.requests("POST", WEBHOOK_POST)) == 1


# --- a deleted channel or message -------------------------------------------------------------------------------
async def test_a_deleted_channel_ends_the_job_failed_and_refunded_without_a_storm(fault_bot: BotFactory):
    rig = await fault_bot()
    rig.server.runway.script_next(LONG)
    _, job_id = await rig.video("a paper plane over a schoolyard")
    await wait_state(rig, job_id, JobState.RUNNING)
    before = len(rig.emu.rest.log)
    rig.emu.delete_channel(rig.emu.channel)
    job = await rig.settle(job_id)
    assert job.state is JobState.FAILED and await rig.ledger(job_id) == "refunded"
    assert_user_text(job.error, rig, fragments=("could not be delivered",))
    assert len(rig.defers) <= 1  # a channel that is gone is not waited for
    assert len(rig.emu.rest.log) - before <= 25, [(r.method, r.path, r.status) for r in rig.emu.rest.log[before:]]
    assert not results(rig.emu)


async def test_a_deleted_status_message_does_not_stop_the_result(fault_bot: BotFactory):
    rig = await fault_bot()
    rig.server.runway.script_next(gate := held())  # progress keeps coming until released
    handle, job_id = await rig.video("a snow globe being shaken")
    await wait_state(rig, job_id, JobState.RUNNING)
    rig.emu.delete_message(handle.original)  # a moderator removed the "rendering…" message
    gone = lambda: [r for r in rig.requests("PATCH", r"/messages/") if r.status == 404]  # noqa: E731
    await rig.emu.wait_until(gone, 20, "a progress edit to find the message gone")
    await asyncio.sleep(3 * rig.app.settings.progress_edit_interval)  # time for three more edits, were they tried
    release(gate)
    await delivered_once(rig, job_id)
    # that progress edit, the one before the upload and the "done" one; not one more at every progress step
    assert len(gone()) <= 3, gone()


async def test_a_result_deleted_while_it_is_decorated_stays_delivered(fault_bot: BotFactory):
    rig = await fault_bot()
    gone = rig.emu.fail_next("PUT /channels/*/messages/*/reactions/*", 404, 10008, "Unknown Message", count=10)
    handle, job_id = await rig.video("fireflies in a jar")
    result = await wait_result(rig.emu)
    rig.emu.delete_message(result)
    job = await rig.settle(job_id)
    assert job.state is JobState.DONE and await rig.ledger(job_id) == "committed"
    done = lambda: handle.original is not None and handle.original.embeds[0]["title"].startswith("✅")  # noqa: E731
    await rig.emu.wait_until(done, 20, "the status message to say done (the decoration's last step)")
    assert gone.hits == 1  # the first refused reaction stops the decoration


async def test_a_reaction_on_a_message_deleted_before_it_is_handled_is_answered_and_costs_nothing(
    fault_bot: BotFactory,
):
    rig = await fault_bot()
    _, job_id = await rig.video("a goldfish in a bowl")
    await delivered_once(rig, job_id)
    (result,) = results(rig.emu, job_id)
    used = (await rig.app.quota.status(rig.emu.alice.id, rig.emu.guild.id)).used
    await rig.emu.add_reaction(rig.emu.alice, None, result, "⏩")
    rig.emu.delete_message(result, notify=False)  # gone before the bot fetches it
    notice = await rig.emu.wait_for_message(
        lambda m: not m.deleted and m.author.id == rig.emu.bot.id and "no longer exists" in m.content, timeout=20
    )
    assert notice.pings.users == [rig.emu.alice.id]
    assert_user_text(notice.content.split(">", 1)[1].strip(), rig)
    assert len(await rig.app.service.recent()) == 1  # no extension was queued …
    assert (await rig.app.quota.status(rig.emu.alice.id, rig.emu.guild.id)).used == used  # … nor charged


# --- missing permissions --------------------------------------------------------------------------------------
async def test_without_attach_files_the_result_is_a_working_link_that_says_why(fault_bot: BotFactory):
    port = free_port()
    rig = await fault_bot(file_server_port=port)
    rig.emu.deny_bot_permission(rig.emu.channel, "attach_files")
    _, job_id = await rig.video("a hummingbird at a feeder")
    await delivered_once(rig, job_id)
    (result,) = results(rig.emu, job_id)
    assert videos_of(result) == []
    url = next(word for word in text_of(result).split() if word.startswith("http://"))
    assert url.startswith(f"http://127.0.0.1:{port}/r/{job_id}/")  # the result page
    assert "too large" not in text_of(result) and "Attach Files permission" in text_of(result), text_of(result)
    video = rig.app.gallery.links.video_path(job_id)
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            assert response.status == 200 and video in await response.text()
        async with session.get(f"http://127.0.0.1:{port}{video}") as response:
            assert response.status == 200 and is_mp4(await response.read())
    uploads = [r.status for r in rig.requests("POST", WEBHOOK_POST)]
    assert uploads == [403, 200]  # refused once, then the link: no retry of the same upload


async def test_without_attach_files_and_without_any_link_the_message_says_why(fault_bot: BotFactory):
    rig = await fault_bot(local=True)  # no file server, and a local render has no provider URL
    rig.emu.deny_bot_permission(rig.emu.channel, "attach_files")
    _, job_id = await rig.video("a spinning top", provider="local")
    await delivered_once(rig, job_id)
    (result,) = results(rig.emu, job_id)
    assert videos_of(result) == [] and "Attach Files permission" in text_of(result), text_of(result)
    assert "too large" not in text_of(result) and "no download link" in text_of(result)
    assert [r.status for r in rig.requests("POST", WEBHOOK_POST)] == [403, 200]


async def test_without_send_messages_after_the_token_died_the_job_fails_refunded_without_a_storm(
    fault_bot: BotFactory,
):
    rig = await fault_bot()
    rig.server.runway.script_next(LONG)
    handle, job_id = await rig.video("a bonsai tree in the wind")
    await wait_state(rig, job_id, JobState.RUNNING)
    rig.emu.expire_token(handle)
    rig.emu.deny_bot_permission(rig.emu.channel, "send_messages")
    before = len(rig.emu.rest.log)
    job = await rig.settle(job_id)
    assert job.state is JobState.FAILED and await rig.ledger(job_id) == "refunded"
    assert_user_text(job.error, rig, fragments=("could not be delivered",))
    assert not rig.defers and not results(rig.emu)  # a refusal that will not heal is not retried
    notice = lambda: any(post_kind(r.payload) == "failure" for r in rig.requests("POST", CHANNEL_POST))  # noqa: E731
    await rig.emu.wait_until(notice, 30, "the failure notice")  # it is tried after the job is FAILED
    after = rig.emu.rest.log[before:]
    posts = [r for r in after if r.method == "POST" and re.search(CHANNEL_POST, r.path)]
    assert {r.status for r in posts} == {403}, [(r.path, r.status) for r in posts]
    kinds = [post_kind(r.payload) for r in posts]
    # However many progress flushes fit in the job's runtime: the first refused status post stops them …
    assert kinds.count("status") == 1, kinds
    # … the result walks down the ladder, each rung at most once, then gives up …
    tries = [r.payload for r in posts if post_kind(r.payload) == "result"]
    assert 1 <= len(tries) <= len(Rung) and all(a != b for a, b in itertools.combinations(tries, 2)), kinds
    assert kinds.count("failure") == 1 and len(kinds) == 2 + len(tries), kinds  # … and one failure notice is tried
    assert len([r for r in after if handle.token in r.path]) <= 1, after  # the dead token: refused once, then left


async def test_without_add_reactions_the_result_still_has_its_buttons(fault_bot: BotFactory):
    rig = await fault_bot()
    rig.emu.deny_bot_permission(rig.emu.channel, "add_reactions")
    _, job_id = await rig.video("a windmill in a tulip field")
    await delivered_once(rig, job_id)
    (result,) = results(rig.emu, job_id)
    assert is_mp4(mp4_of(result)) and not result.reactions
    assert {b["custom_id"] for b in result.buttons()} == {
        f"videobot:{a}:{job_id}" for a in ("extend", "reroll", "refine", "delete", "finish", "sound")
    }  # every result button: ⬆️ Finish, and 🔊 Add sound since gen4.5's clip is silent and Runway has a sound model
    assert len(rig.requests("PUT", REACTION_PUT)) == 1  # one refusal, then no more tries


# --- the gateway ---------------------------------------------------------------------------------------------------
async def test_a_gateway_disconnect_mid_job_resumes_and_delivers_once(fault_bot: BotFactory):
    rig = await fault_bot()
    rig.server.runway.script_next(LONG)
    _, job_id = await rig.video("a jellyfish pulsing in dark water")
    await wait_state(rig, job_id, JobState.RUNNING)
    await rig.emu.disconnect_gateway(4000)
    await rig.emu.wait_resumed(timeout=15)
    await delivered_once(rig, job_id)


async def test_a_result_made_while_the_gateway_is_down_is_delivered_once_and_reactions_work_after(
    fault_bot: BotFactory,
):
    rig = await fault_bot()
    rig.server.runway.script_next(LONG)
    _, job_id = await rig.video("a comet over a mountain lake")
    await wait_state(rig, job_id, JobState.RUNNING)
    await rig.emu.disconnect_gateway(4000, hold=True)  # reconnects are parked: REST only
    await delivered_once(rig, job_id)
    rig.emu.release_gateway()
    await rig.emu.wait_resumed(timeout=15)
    (result,) = results(rig.emu, job_id)
    await rig.emu.add_reaction(rig.emu.alice, None, result, "❌")  # events flow again after the resume
    await rig.emu.wait_until(lambda: result.deleted, 30, "the ❌ reaction to delete the result")
    assert (await rig.app.service.get(job_id)).state is JobState.DONE
