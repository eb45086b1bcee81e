"""bot.services.delivery.notify: a result pings its owner only past a minute, and only while they want it (both
backends; the clock is injected)."""

from __future__ import annotations

from bot.services.delivery.notify import LATE_AFTER, Notifier
from storage import NewJob


async def test_only_a_late_result_pings_and_only_while_the_member_wants_it(storage):
    now = [1_800_000_000.0]
    notifier = Notifier(storage, clock=lambda: now[0])
    job = await storage.jobs.create(NewJob("video", 5, None, None, "local:motion", {}, 1), charge=None, now=now[0])
    assert not await notifier.should_ping(job)  # at once
    now[0] += LATE_AFTER  # exactly a minute: still quick
    assert not await notifier.should_ping(job)
    now[0] += 1
    assert await notifier.should_ping(job)
    await notifier.set_pings(5, False)
    assert not await notifier.should_ping(job) and not await notifier.wants_pings(5)
    await notifier.set_pings(5, True)
    assert await notifier.should_ping(job, now=now[0])
