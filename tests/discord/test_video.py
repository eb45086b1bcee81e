"""/video end to end, and the private commands around it (/quota, /jobs, /history, /cancel)."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.services.delivery.port import CANCELLED_NOTICE
from emulators.providers import Script
from tests.support.discord import fields_of, is_mp4, job_id_of, mp4_of, results, texts_of, wait_done, wait_result

pytestmark = pytest.mark.timeout(90)


async def test_commands_are_synced_with_their_options(emu, launch):
    await launch()
    synced = {c["name"]: c for c in emu.synced_commands(emu.guild)}
    assert {"video", "animate", "extend", "quota", "jobs", "cancel", "history", "gallery", "admin"} <= set(synced)
    options = {o["name"]: o for o in synced["video"]["options"]}
    assert list(options) == [
        "prompt",
        "camera",
        "style",
        "setting",
        "lighting",
        "details",
        "duration",
        "aspect",
        "model",
        "seed",
        "negative",
        "loop",
        "preset",
        "cast",
        "audio",
    ]
    assert options["cast"]["autocomplete"] and not options["cast"].get("required")
    assert [c["value"] for c in options["audio"]["choices"]] == ["on", "off"]  # left out: VIDEOBOT_AUDIO_DEFAULT
    assert {c["value"] for c in options["camera"]["choices"]} >= {"dolly_in", "orbit", "static"}
    assert {c["value"] for c in options["style"]["choices"]} >= {"cinematic", "anime"}
    assert options["model"]["autocomplete"] and not options["prompt"].get("required")  # none given: a form opens
    assert options["seed"]["min_value"] == 0 and options["duration"]["min_value"] == 1
    animate = {o["name"]: o for o in synced["animate"]["options"]}
    assert animate["image"]["type"] == 11 and not animate["image"].get("required")  # none given: a form opens
    admin = synced["admin"]
    assert int(admin["default_member_permissions"]) == 1 << 5  # Manage Server
    assert {o["name"] for o in admin["options"]} == {
        "quota",
        "default",
        "budget",
        "gallery",
        "usage",
        "spendcap",
        "status",
    }
    subs = {o["name"]: [opt["name"] for opt in o.get("options", [])] for o in admin["options"]}
    assert subs["usage"] == ["days"] and subs["spendcap"] == ["dollars"]


async def test_video_end_to_end(emu, launch):
    bot = await launch()
    options = {"camera": "dolly_in", "style": "cinematic", "setting": "a pine forest", "lighting": "golden hour"}
    handle = await emu.slash(emu.alice, "video", prompt="a red fox trotting through snow", duration=1, **options)
    assert await handle.wait_ack() == 5 and handle.ack_latency < 3.0
    result = await wait_result(emu)
    job_id = job_id_of(result)
    fields = fields_of(result)
    assert "a red fox trotting through snow" in fields["Prompt"]
    assert fields["Camera"] == "dolly in" and fields["Style"] == "cinematic"
    assert fields["Setting"] == "a pine forest" and fields["Lighting"] == "golden hour"
    assert fields["Model"] == "local:storyboard" and fields["Duration"] == "1 s" and fields["Cost"] == "1 s"
    assert fields["Seed"].isdigit()
    assert is_mp4(mp4_of(result))
    assert result.pings.users == [] and not result.pings.everyone and not result.pings.roles  # quick: no ping
    assert texts_of(result)[0].splitlines()[1].startswith(f"<@{emu.alice.id}>")  # the mention shows all the same
    ids = {b["custom_id"] for b in result.buttons()}
    assert ids == {f"videobot:{a}:{job_id}" for a in ("extend", "reroll", "refine", "delete", "finish")}
    await emu.wait_until(lambda: all(emu.bot.id in result.reactions.get(e, []) for e in "⏩🔁❌"), 30, "reactions")
    status = handle.original
    assert status is not None and status.id != result.id
    await emu.wait_until(lambda: "done" in status.embeds[0]["title"], 30, "the status to say done")
    assert str(result.id) in status.embeds[0]["description"]  # links to the result
    assert len(results(emu, job_id)) == 1
    # the interaction token (a credential for 15 minutes) does not stay in the database once shown
    for _ in range(50):
        if not (await bot.app.service.get(job_id)).delivery.get("token"):
            break
        await asyncio.sleep(0.05)
    assert (await bot.app.service.get(job_id)).delivery.get("token") is None


async def test_a_prompt_with_mass_mentions_pings_no_one(emu, launch):
    await launch()
    role = emu.add_role(emu.guild, "everyone-ish", mentionable=True)
    prompt = f"@everyone and @here and {role.mention} and <@{emu.admin.id}> dance"
    await (await emu.slash(emu.alice, "video", prompt=prompt, duration=1)).wait_ack()
    result = await wait_result(emu)
    assert result.pings.users == []  # a quick result pings no one (bot.services.delivery.notify)
    assert not result.pings.everyone and not result.pings.roles
    for message in emu.messages(ephemeral=False):
        assert not message.pings.everyone and not message.pings.roles
        assert set(message.pings.users) <= {emu.alice.id}


async def test_progress_edits_are_throttled(emu, launch, emulator):
    # a Replicate task running for 100 polls, each with more progress: at least 1 s at 0.01 s a poll or more
    emulator.replicate.script_next(Script(running=100))
    fast = {"poll_interval_seconds": 0.01, "poll_max_interval_seconds": 0.02, "poll_brisk_seconds": 0.01}
    await launch(REPLICATE_API_TOKEN=emulator.replicate.api_key, REPLICATE_BASE_URL=emulator.replicate_url, **fast)
    model = "replicate:zeroscope"
    handle = await emu.slash(emu.alice, "video", prompt="a paper boat drifting down a gutter", model=model)
    await handle.wait_ack()
    await wait_result(emu)
    await emu.wait_until(lambda: "done" in handle.original.embeds[0]["title"], 30, "the status to say done")
    patches = [r for r in emu.rest.log if r.method == "PATCH" and handle.token in r.path]
    # the first status, then progress at most every 0.5 s (a quarter of it apart, for transit jitter; without the
    # throttle they would come a poll apart), then "done" after the result
    status = [r.at for r, title in zip(patches, titles(patches), strict=True) if title.startswith("⏳")]
    gaps = [later - earlier for earlier, later in itertools.pairwise(status)]
    assert len(status) >= 3 and all(gap >= 0.125 for gap in gaps), (gaps, patches)


async def test_a_slow_download_still_shows_that_it_is_downloading(emu, launch, emulator):
    # progress past the provider's finish waits FINISHING_GRACE (3 s) for the result: a download held longer shows
    emulator.replicate.script_next(Script(running=1, output_delay=6.0))
    await launch(REPLICATE_API_TOKEN=emulator.replicate.api_key, REPLICATE_BASE_URL=emulator.replicate_url)
    handle = await emu.slash(
        emu.alice, "video", prompt="a paper boat drifting down a gutter", model="replicate:zeroscope"
    )
    await handle.wait_ack()
    await wait_result(emu)
    await emu.wait_until(lambda: "done" in handle.original.embeds[0]["title"], 30, "the status to say done")
    shown = titles(r for r in emu.rest.log if r.method == "PATCH" and handle.token in r.path)
    assert any("downloading" in title for title in shown) and "done" in shown[-1], shown


async def test_a_status_that_could_not_be_shown_is_filled_before_the_result(emu, launch):
    # the first status edit is refused, and no progress edit comes before the result (one a minute at most): the
    # response is still the "thinking…" placeholder, which a followup would fill in instead of posting anew
    emu.fail_next("PATCH /webhooks/*", 400, 50035, "Invalid Form Body")
    await launch(progress_edit_interval=60)
    handle = await emu.slash(emu.alice, "video", prompt="a paper boat drifting down a gutter", duration=1)
    await handle.wait_ack()
    result = await wait_result(emu)
    status = handle.original
    assert status is not None and status.id != result.id  # the result is a message of its own
    await emu.wait_until(lambda: "done" in status.embeds[0]["title"], 30, "the status to say done")
    assert len(results(emu, job_id_of(result))) == 1


def titles(requests) -> list[str]:
    return [str((r.payload or {}).get("embeds", [{}])[0].get("title", "")) for r in requests]


async def test_an_unknown_model_is_refused_privately_and_nothing_is_queued(emu, launch):
    bot = await launch()
    handle = await emu.slash(emu.alice, "video", prompt="a lighthouse in a storm", model="nope:nothing")
    assert await handle.wait_ack() == 4
    message = await handle.wait_response()
    assert message.ephemeral and "nope:nothing" in message.content and "local:storyboard" in message.content
    assert not [m for m in emu.messages(ephemeral=False) if m.author.id == emu.bot.id]
    assert await bot.app.service.active_jobs(emu.alice.id) == []


async def test_over_quota_is_refused_privately_with_what_is_left_and_when(emu, launch):
    bot = await launch(daily_seconds=2)
    await (await emu.slash(emu.alice, "video", prompt="a kite over a beach", duration=2)).wait_ack()
    await wait_result(emu)
    handle = await emu.slash(emu.alice, "video", prompt="a kite over a mountain", duration=1)
    await handle.wait_ack()
    refusal = await emu.wait_for_message(lambda m: m.ephemeral and "quota" in m.content.lower(), timeout=30)
    assert "0 s" in refusal.content and "frees up in" in refusal.content
    # the public "thinking…" placeholder was removed, not left behind with the error
    assert handle.original is None or handle.original.deleted
    assert len(results(emu)) == 1
    status = await bot.app.quota.status(emu.alice.id, emu.guild.id)
    assert status.used == 2 and status.remaining == 0


async def test_quota_jobs_history_and_cancel(emu, launch):
    bot = await launch()
    await (await emu.slash(emu.alice, "video", prompt="a snail crossing a leaf", duration=1)).wait_ack()
    first = await wait_result(emu)
    await wait_done(bot, job_id_of(first))
    await bot.app.worker.stop()  # hold the queue still so positions and cancelling are deterministic
    for prompt in ("a slow sunrise over hills", "a train passing a level crossing"):
        await (await emu.slash(emu.alice, "video", prompt=prompt, duration=1)).wait_ack()
    await emu.wait_until(
        lambda: (
            len(emu.interactions) == 3
            and all((i.original_id and not emu.message_store[i.original_id].loading) for i in emu.interactions.values())
        ),
        10,
        "both jobs to show their status",
    )
    queued = emu.interactions[max(emu.interactions)]
    waiting = [job for job, position in await bot.app.service.active_jobs(emu.alice.id)]
    assert [job.state.value for job in waiting] == ["queued", "queued"]
    status = emu.message_store[queued.original_id]
    assert "#2 in line" in status.embeds[0]["title"]

    jobs = await emu.slash(emu.alice, "jobs")
    assert await jobs.wait_ack() == 5
    text = " ".join(m.content + str(m.embeds) for m in await jobs.wait_responses(1))
    assert f"#{waiting[0].id}" in text and "queued" in text

    cancel = await emu.slash(emu.alice, "cancel", job=waiting[0].id)
    await cancel.wait_ack()
    answer = await cancel.wait_response()
    assert answer.ephemeral and "cancelled" in answer.content and "refunded" in answer.content
    await emu.wait_until(lambda: "cancelled" in status.embeds[0]["title"], 30, "the cancelled job's status")
    assert status.embeds[0]["description"] == CANCELLED_NOTICE  # the worker's words for a running job too

    quota = await emu.slash(emu.alice, "quota")
    await quota.wait_ack()
    answer = await quota.wait_response()
    assert answer.ephemeral
    fields = {f["name"]: f["value"] for f in answer.embeds[0]["fields"]}
    assert fields["Used (24 h)"] == "2 s" and {"Left", "Limit", "Frees up"} <= set(fields)

    await bot.app.worker.start()
    await wait_result(emu, after=first.id)  # the other queued job runs now
    history = await emu.slash(emu.alice, "history")
    await history.wait_ack()
    listing = (await history.wait_response()).embeds[0]["description"]
    assert f"/{first.id})" in listing and "a snail crossing a leaf" in listing
    assert "a train passing" not in listing  # cancelled jobs are not results
