"""/variations through the service: every take reserved in one transaction (create_many), so requests that
race for the same quota never overspend and a refused one leaves no job and no charge.  Run with
``VIDEOBOT_TEST_BACKEND=postgresql`` for PostgreSQL (two apps: two pools, as two processes have)."""

import asyncio

import pytest

from bot.errors import QuotaExceeded
from bot.prompt import PromptSpec
from bot.services.requests.generation import Requester


async def test_racing_variations_requests_never_overspend(make_settings):
    from bot.app import App

    settings = make_settings(daily_seconds=10)
    apps = [await App.create(settings) for _ in range(2)]
    try:
        who = Requester(user_id=7, guild_id=3, channel_id=5, delivery={"kind": "file", "path": "/tmp/none.mp4"})
        spec = PromptSpec.create("a paper lantern", model="local:storyboard", duration=2)

        async def request(n: int):
            try:
                return await apps[n % 2].variations.submit(who, spec, 3)  # 6 s: one fits in 10 s, two do not
            except QuotaExceeded as refused:
                return refused

        outcomes = await asyncio.gather(*(request(n) for n in range(4)))
        made = [o for o in outcomes if not isinstance(o, QuotaExceeded)]
        refused = [o for o in outcomes if isinstance(o, QuotaExceeded)]
        assert len(made) == 1 and len(refused) == 3
        assert all("needs 6 s" in r.user_message for r in refused)
        jobs = [j for j in await apps[0].service.recent(limit=50) if j.owner_id == 7]
        assert len(jobs) == 3 and {j.parent_job_id for j in jobs} == {None, made[0].job.id}
        assert (await apps[1].quota.status(7, 3)).used == pytest.approx(6.0)
    finally:
        for app in apps:
            await app.close()
