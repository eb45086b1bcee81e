"""Migration 0012_user_install on both backends: the user-install quota pool is its own (a reservation there is
checked against and counted in that pool only), and each member's notify setting round-trips (default on)."""

from __future__ import annotations

import time

import pytest

from storage import Charge, NewJob, QuotaRefused

WINDOW = 24 * 3600.0


def new(guild: int | None) -> NewJob:
    return NewJob("video", 7, guild, 5, "local:storyboard", {"subject": "x"}, 0.0)


def charge(seconds: float, limit: float, *, user_install: bool) -> Charge:
    return Charge(seconds=seconds, window_start=time.time() - WINDOW, user_limit=limit, user_install=user_install)


async def test_the_user_install_pool_is_separate(storage):
    now = time.time()
    await storage.jobs.create(new(10), charge=charge(20, 30, user_install=False), now=now)
    await storage.jobs.create(new(None), charge=charge(25, 30, user_install=True), now=now)  # fits its own pool
    with pytest.raises(QuotaRefused) as refused:
        await storage.jobs.create(new(None), charge=charge(6, 30, user_install=True), now=now)
    assert refused.value.scope == "user" and refused.value.usage.used == 25
    await storage.jobs.create(new(10), charge=charge(10, 30, user_install=False), now=now)  # the server pool: 30
    assert (await storage.quota.usage(user_id=7, since=0)).used == 30
    assert (await storage.quota.usage(user_id=7, since=0, user_install=True)).used == 25
    assert (await storage.quota.usage(guild_id=10, since=0)).used == 30


async def test_member_notify_defaults_on_and_round_trips(storage):
    assert await storage.members.notify(7) is True
    await storage.members.set_notify(7, False, now=time.time())
    assert await storage.members.notify(7) is False and await storage.members.notify(8) is True
    await storage.members.set_notify(7, True, now=time.time())
    assert await storage.members.notify(7) is True
