"""Secrets never reach the log or a user: the bot token and a provider key, through a whole job at DEBUG."""

from __future__ import annotations

import logging

import pytest

from tests.support.discord import job_id_of, wait_done, wait_result

pytestmark = pytest.mark.timeout(60)
PROVIDER_KEY = "key_hostile_MARKER_5c7e1d"


async def test_tokens_and_keys_are_never_logged(emu, launch, caplog):
    caplog.set_level(logging.DEBUG)
    bot = await launch(
        RUNWAYML_API_SECRET=PROVIDER_KEY, RUNWAYML_BASE_URL="http://127.0.0.1:9", default_model="local:storyboard"
    )
    await (await emu.slash(emu.alice, "video", prompt="a moth circling a lamp", duration=1)).wait_ack()
    await wait_done(bot, job_id_of(await wait_result(emu)))
    refused = await emu.slash(emu.alice, "video", prompt="a moth", model="runway:nope")
    await refused.wait_response()
    assert len(caplog.records) > 20  # the log was really captured
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    for secret in (emu.token, PROVIDER_KEY):
        assert secret not in logged
        assert all(secret not in (m.content + str(m.embeds) + str(m.components)) for m in emu.messages(deleted=True))
    assert PROVIDER_KEY not in repr(bot.settings)
