"""The Discord delivery record: one typed value, stored as JSON, and jobs whose rows an earlier version wrote
as plain dicts (no ``status_message_id``, a token long dead, a reaction job with no token at all) still
deliver after an upgrade."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.app import App
from bot.edge.record import DiscordRecord
from bot.prompt import PromptSpec
from bot.services.requests.generation import Requester
from storage import JobState
from tests.support.discord import is_mp4, job_id_of, mp4_of, wait_done, wait_result

pytestmark = pytest.mark.timeout(120)


def old_rows(emu, interaction_status: int, reaction_status: int) -> dict[str, dict]:
    """Delivery dicts exactly as the earlier builders (an interaction, a reaction) stored them."""
    where = {"kind": "discord", "guild_id": emu.guild.id, "channel_id": emu.channel.id, "user_id": emu.alice.id}
    return {
        "interaction": {
            **where,
            "message_id": interaction_status,
            "application_id": emu.application_id,
            "token": "old-token",
            "token_expires_at": time.time() - 3600,
            "upload_limit": 10 * 1024 * 1024,
        },
        "reaction": {**where, "message_id": reaction_status, "upload_limit": 8 * 1024 * 1024},
    }


def test_a_record_reads_back_what_it_wrote_and_what_earlier_versions_wrote():
    record = DiscordRecord(
        channel_id=2,
        user_id=3,
        guild_id=1,
        message_id=4,
        application_id=5,
        token="t",
        token_expires_at=time.time() + 600,
        upload_limit=1234,
    )
    assert record.to_json()["kind"] == "discord"
    assert DiscordRecord.from_json(record.to_json()) == record
    later = DiscordRecord.from_json({**record.to_json(), "status_message_id": 9, "sending_at": 1.5, "extra": "x"})
    assert (later.status_message_id, later.sending_at) == (9, 1.5)
    assert later.status_id == 9 and record.status_id is None  # an interaction's response is edited by webhook
    scrubbed = DiscordRecord.from_json({**record.to_json(), "token": None, "token_expires_at": 0})
    assert scrubbed.token is None and not scrubbed.token_alive()
    reaction = DiscordRecord.from_json(
        {"kind": "discord", "guild_id": 1, "channel_id": "2", "user_id": 3, "message_id": 4, "upload_limit": 99}
    )
    assert (reaction.channel_id, reaction.status_id, reaction.upload_limit, reaction.token) == (2, 4, 99, None)
    with pytest.raises(AttributeError):
        record.token = "changed"  # type: ignore[misc]


async def test_jobs_stored_by_an_earlier_version_are_delivered_after_the_upgrade(emu, launch, bot_settings):
    settings = bot_settings()
    # their status messages: an interaction's response and a reaction job's placeholder, both the bot's
    first = await emu.post_user_message(emu.bot, content="⏳ working…")
    second = await emu.post_user_message(emu.bot, content="⏳ Re-rolling for alice…")
    rows = old_rows(emu, first.id, second.id)
    async with await App.create(settings) as app:  # queued by the "old version", which then stopped
        jobs = {
            name: (
                await app.service.submit(
                    Requester(
                        user_id=emu.alice.id,
                        guild_id=emu.guild.id,
                        channel_id=emu.channel.id,
                        delivery=row,
                    ),
                    PromptSpec.create(f"an old {name} job", duration=1),
                )
            ).job
            for name, row in rows.items()
        }

    bot = await launch(settings)
    posted = {}
    for _ in jobs:
        result = await wait_result(emu, after=max([second.id, *(m.id for m in posted.values())]))
        posted[job_id_of(result)] = result
    for name, job in jobs.items():
        result = posted[job.id]
        assert result.interaction_id is None and result.webhook_id is None  # the dead token is not used
        assert int(result.reference["message_id"]) == rows[name]["message_id"]
        assert set(result.pings.users) <= {emu.alice.id} and is_mp4(mp4_of(result))  # late ones ping the owner
        await wait_done(bot, job.id)
        async with asyncio.timeout(10):  # the token is scrubbed once the result is decorated
            while (stored := await bot.app.service.get(job.id)).delivery.get("token"):
                await asyncio.sleep(0.05)
        assert stored.state is JobState.DONE and stored.message_id == result.id
        assert DiscordRecord.from_json(stored.delivery).sending_at is not None  # the upload was noted first
    # the reaction job's placeholder is its status message, turned into the "done" notice
    await emu.wait_until(lambda: second.embeds and "done" in second.embeds[0]["title"], 10, "the done notice")
