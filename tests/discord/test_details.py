"""Autocomplete, /extend's default, long markdown-laden prompts, and the reference id of unexpected errors."""

from __future__ import annotations

import logging
import re

import pytest

from tests.support.discord import fields_of, job_id_of, wait_done, wait_result

pytestmark = pytest.mark.timeout(90)


async def test_model_and_duration_autocomplete_follow_the_enabled_models(emu, launch):
    await launch()
    choices = await (await emu.autocomplete(emu.alice, "video", "model", "local")).wait_choices()
    assert [c["value"] for c in choices] == ["local:storyboard"]  # text-to-video models only
    choices = await (await emu.autocomplete(emu.alice, "animate", "model", "")).wait_choices()
    assert [c["value"] for c in choices] == ["local:motion"]
    choices = await (
        await emu.autocomplete(emu.alice, "video", "duration", "", {"model": "local:storyboard"}, prompt="x")
    ).wait_choices()
    assert [c["value"] for c in choices] == list(range(1, 11))


async def test_extend_defaults_to_the_latest_result_and_autocompletes_finished_jobs(emu, launch):
    bot = await launch()
    handle = await emu.slash(emu.alice, "extend")
    await handle.wait_ack()
    refusal = await emu.wait_for_message(lambda m: m.ephemeral and "no finished video" in m.content, timeout=30)
    assert refusal.content.startswith("You have no finished video")

    await (await emu.slash(emu.alice, "video", prompt="a heron standing in a pond", duration=1)).wait_ack()
    first = await wait_result(emu)
    await wait_done(bot, job_id_of(first))
    choices = await (await emu.autocomplete(emu.alice, "extend", "job", "heron")).wait_choices()
    assert [c["value"] for c in choices] == [job_id_of(first)] and "heron" in choices[0]["name"]
    assert await (await emu.autocomplete(emu.admin, "extend", "job", "")).wait_choices() == []  # not theirs

    await (await emu.slash(emu.alice, "extend", prompt="it takes off and flies away")).wait_ack()
    extended = await wait_result(emu, after=first.id)
    job = await bot.app.service.get(job_id_of(extended))
    assert job.parent_job_id == job_id_of(first) and job.spec["subject"] == "it takes off and flies away"


async def test_a_long_prompt_full_of_markdown_fits_the_embed(emu, launch):
    await launch()
    prompt = ("a **bold** _cat_ `code` ~~strike~~ > quote || spoiler || " * 20)[:960]
    await (await emu.slash(emu.alice, "video", prompt=prompt, details="*" * 5 + " sparkles", duration=1)).wait_ack()
    result = await wait_result(emu)
    description = fields_of(result)["Prompt"]
    assert "\\*\\*bold\\*\\*" in description and len(description) <= 4096


async def test_an_unexpected_failure_gets_a_reference_the_log_also_has(emu, launch, caplog):
    await launch()
    emu.fail_next("POST /interactions/*", 400, 50035, "Invalid Form Body")  # the acknowledgement itself fails
    with caplog.at_level(logging.ERROR, logger="videobot.discord"):
        handle = await emu.slash(emu.alice, "quota")
        answer = await handle.wait_response(timeout=30)
    assert answer.ephemeral
    ref = re.search(r"ref `([0-9a-f]{6})`", answer.content)
    assert ref is not None, answer.content
    assert any(ref.group(1) in record.getMessage() for record in caplog.records)
