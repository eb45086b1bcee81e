"""Fifty submits in one second from one user: no overspend, clear refusals, nothing stuck."""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import QuotaExceeded
from bot.prompt import PromptSpec
from storage import JobState
from tests.support import hostile_corpus as corpus
from tests.support.discord import is_result, results
from tests.support.hostile import TEST_WHO
from tests.support.hostile_cases import case

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]  # slow: floods of real commands
LIMIT = 5


async def test_fifty_submits_in_one_second(emu, launch):
    item = case("fifty_submits_e2e")
    bot = await launch(daily_seconds=LIMIT)
    handles = await asyncio.gather(  # all at once (how long the emulator takes to send them is not the bot's)
        *(emu.slash(emu.alice, "video", prompt=f"a spinning top, take {n}", duration=1) for n in range(50))
    )
    kinds = [await h.wait_ack(timeout=30) for h in handles]  # accepted: within Discord's 3 s, emulator-enforced
    assert all(kind == 5 for kind in kinds) and all(h.ack_latency < 3.0 for h in handles)

    def answered(h) -> bool:
        return any(m.ephemeral and m.content for m in h.followups) or bool(
            h.original and not h.original.deleted and h.original.embeds
        )

    await emu.wait_until(lambda: all(answered(h) for h in handles), 60, "every submit to get an answer")
    refused = [h for h in handles if any(m.ephemeral and m.content for m in h.followups)]
    accepted = [h for h in handles if h not in refused]
    assert len(accepted) == LIMIT, len(accepted)
    for handle in refused:
        text = next(m.content for m in handle.followups if m.ephemeral and m.content)
        assert item.says in text.lower() or "unfinished jobs" in text.lower(), text
        assert handle.original is None or handle.original.deleted  # no public leftover
    await emu.wait_until(lambda: len(results(emu)) == LIMIT, 60, "every accepted job's result")
    jobs = await bot.app.storage.jobs.search(owner_id=emu.alice.id, limit=100)
    async with asyncio.timeout(30):
        while not all(j.state.finished for j in jobs):
            await asyncio.sleep(0.05)
            jobs = await bot.app.storage.jobs.search(owner_id=emu.alice.id, limit=100)
    assert len(jobs) == LIMIT and all(j.state is JobState.DONE for j in jobs)
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).used == LIMIT
    assert not [m for m in emu.messages(ephemeral=False) if m.loading]  # no "thinking…" left behind
    assert sum(is_result(m) for m in emu.messages(ephemeral=False)) == LIMIT


async def test_fifty_concurrent_image_submits(service_app):
    """The same image fifty times at once through the service: each accepted job keeps its own input file."""
    item = case("fifty_submits_service")
    app, _, target = await service_app(daily_seconds=LIMIT, max_queued_per_user=100)
    image = corpus.png((120, 90))
    spec = PromptSpec.create(None, model="scripted:v1", duration=1, allow_empty_subject=True)
    outcomes = await asyncio.gather(
        *(app.service.submit(TEST_WHO, spec.with_seed(n), image=image) for n in range(50)), return_exceptions=True
    )
    accepted = [o.job for o in outcomes if not isinstance(o, BaseException)]
    refusals = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(accepted) == LIMIT and all(isinstance(r, QuotaExceeded) for r in refusals), refusals[:3]
    assert all(item.says in r.user_message.lower() for r in refusals)
    files = sorted(p.name for p in app.settings.inputs_dir.iterdir())
    assert sorted(str(j.inputs.image).rsplit("/", 1)[-1] for j in accepted) == files  # refused ones left nothing
    for job in accepted:
        final = await app.worker.wait_for(job.id, timeout=30)
        assert final.state is JobState.DONE, final.error
    assert sorted(target.delivered) == sorted(j.id for j in accepted)
    assert (await app.quota.status(TEST_WHO.user_id, TEST_WHO.guild_id)).used == LIMIT
