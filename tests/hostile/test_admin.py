"""/admin by members without Manage Server: hidden by Discord, and refused by the bot if a server opens it."""

from __future__ import annotations

import pytest

from emulators.discord import CommandNotPermitted
from tests.support.hostile import private_answer
from tests.support.hostile_cases import case

pytestmark = pytest.mark.timeout(60)

CALLS = [
    ("admin quota", {"seconds": 9999}),
    ("admin default", {"seconds": 9999}),
    ("admin budget", {"seconds": 1}),
    ("admin spendcap", {"dollars": 1.0}),
    ("admin usage", {"days": 7}),
]


async def limits(bot, emu, user):
    status = await bot.app.quota.status(user.id, emu.guild.id)
    return status.limit, status.guild_budget


async def test_admin_commands_refuse_non_admins(emu, launch):
    bot = await launch()
    moderator = emu.add_user("moderator")
    emu.add_member(emu.guild, moderator, permissions=["manage_messages"])
    before = await limits(bot, emu, emu.alice)
    case("admin_hidden")
    for name, options in CALLS:
        for user in (emu.alice, moderator):
            with pytest.raises(CommandNotPermitted):
                await emu.slash(user, name, **({"user": user} if name == "admin quota" else {}), **options)
    for command in emu.synced_commands(emu.guild):  # the server opened /admin to everyone in its settings
        if command["name"] == "admin":
            command["default_member_permissions"] = None
    for name, options in CALLS:
        for user, row in ((emu.alice, "admin_opened_to_all"), (moderator, "admin_by_moderator")):
            extra = {"user": user} if name == "admin quota" else {}
            handle = await emu.slash(user, name, **extra, **options)
            assert await handle.wait_ack() == 4  # refused before anything is deferred or changed
            assert case(row).says in (await private_answer(emu, handle)).lower()
    assert await limits(bot, emu, emu.alice) == before
    assert await limits(bot, emu, moderator) == before
    assert await bot.app.storage.costs.spend_cap(emu.guild.id) is None
