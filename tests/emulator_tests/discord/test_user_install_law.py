"""What Discord allows an app installed on a user, where the bot is no member (a DM between users), as the emulator
enforces it: the interaction says so (``context`` 2, ``authorizing_integration_owners`` only "1"), channel
messages there are refused (403 50001), at most 5 followups (400 40094), nothing after the token's 15 minutes
(401 50027, on the emulator's clock: ``advance``), and commands show only where their ``contexts`` and
``integration_types`` allow."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from emulators.discord import DiscordEmulator
from emulators.discord.interactions import CommandNotPermitted

pytestmark = pytest.mark.timeout(60)


async def call(emu: DiscordEmulator, method: str, path: str, body: Any, *, auth: bool = True) -> tuple[int, Any]:
    headers = {"Authorization": f"Bot {emu.token}"} if auth else {}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, emu.api_base + path, json=body, headers=headers) as r,
    ):
        return r.status, await r.json(content_type=None) if r.status != 204 else None


async def register(emu: DiscordEmulator, integration_types: list[int], contexts: list[int]) -> None:
    command = {"type": 1, "name": "ping", "description": "Ping", "integration_types": integration_types}
    status, body = await call(
        emu, "PUT", f"/applications/{emu.application_id}/commands", [{**command, "contexts": contexts}]
    )
    assert status == 200, body


async def test_a_user_installed_command_in_a_dm_gets_only_the_token(discord_emulator: DiscordEmulator) -> None:
    emu = discord_emulator
    await register(emu, [0, 1], [0, 1, 2])
    carol = emu.add_user("carol")
    dm = emu.add_private_channel(emu.alice, carol)
    with pytest.raises(CommandNotPermitted, match="not installed"):
        await emu.slash(emu.alice, "ping", in_channel=dm)
    emu.install_on_user(emu.alice)
    handle = await emu.slash(emu.alice, "ping", in_channel=dm)
    payload = handle.record.payload
    assert payload["context"] == 2 and payload["authorizing_integration_owners"] == {"1": str(emu.alice.id)}
    assert "member" not in payload and payload["user"]["id"] == str(emu.alice.id)
    assert [r["id"] for r in payload["channel"]["recipients"]] == [str(emu.alice.id), str(carol.id)]

    status, body = await call(emu, "POST", f"/channels/{dm.id}/messages", {"content": "hi"})
    assert (status, body["code"]) == (403, 50001)  # the bot is no member of the DM

    status, _ = await call(emu, "POST", f"/interactions/{handle.id}/{handle.token}/callback", {"type": 5}, auth=False)
    assert status == 204
    hook = f"/webhooks/{emu.application_id}/{handle.token}"
    for n in range(5):
        status, body = await call(emu, "POST", hook + "?wait=true", {"content": f"followup {n}"}, auth=False)
        assert status == 200, body
    status, body = await call(emu, "POST", hook, {"content": "one too many"}, auth=False)
    assert (status, body["code"]) == (400, 40094)
    assert [m.content for m in emu.messages(dm)] == [f"followup {n}" for n in range(5)]

    late = await emu.slash(emu.alice, "ping", in_channel=dm)
    status, _ = await call(emu, "POST", f"/interactions/{late.id}/{late.token}/callback", {"type": 5}, auth=False)
    assert status == 204
    emu.advance(15 * 60 + 1)  # no sleeping: the emulator's clock moves
    status, body = await call(emu, "POST", f"/webhooks/{emu.application_id}/{late.token}", {"content": "x"}, auth=False)
    assert (status, body["code"]) == (401, 50027)
    emu.take_violations()


@pytest.mark.parametrize(
    ("integration_types", "contexts", "why"),
    [([0], [0, 1, 2], "cannot be installed on a user"), ([0, 1], [0], "not offered in context 2")],
)
async def test_a_command_shows_only_where_it_is_allowed(
    discord_emulator: DiscordEmulator, integration_types: list[int], contexts: list[int], why: str
) -> None:
    emu = discord_emulator
    await register(emu, integration_types, contexts)
    dm = emu.add_private_channel(emu.alice, emu.add_user("carol"))
    emu.install_on_user(emu.alice)
    with pytest.raises(CommandNotPermitted, match=why):
        await emu.slash(emu.alice, "ping", in_channel=dm)
    emu.take_violations()
