"""The emulator holds command registrations to Discord's naming and localization rules (emulators/discord/naming.py):
lowercase names without spaces, in every localization too, Discord locales as keys, no two options of a command
showing the same name in any language."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from emulators.discord import DiscordEmulator

pytestmark = pytest.mark.timeout(60)


async def put_commands(emu: DiscordEmulator, commands: list[dict[str, Any]]) -> tuple[int, Any]:
    headers = {"Authorization": f"Bot {emu.token}"}
    path = f"{emu.api_base}/applications/{emu.application_id}/guilds/{emu.guild.id}/commands"
    async with aiohttp.ClientSession() as http, http.put(path, json=commands, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None)


def command(**fields: Any) -> dict[str, Any]:
    option = {"type": 3, "name": "prompt", "description": "What", "name_localizations": {"fr": "texte"}}
    return {"type": 1, "name": "video", "description": "Make one", "options": [option], **fields}


async def test_localized_names_are_stored_and_answered(discord_emulator: DiscordEmulator) -> None:
    emu = discord_emulator
    status, body = await put_commands(
        emu, [command(name_localizations={"fr": "vidéo", "ja": "動画"}, description_localizations={"de": "Mach eins"})]
    )
    assert status == 200, body
    assert body[0]["name_localizations"] == {"fr": "vidéo", "ja": "動画"}
    assert emu.synced_commands(emu.guild)[0]["options"][0]["name_localizations"] == {"fr": "texte"}
    emu.take_violations()


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"name": "Video"}, "APPLICATION_COMMAND_INVALID_NAME"),
        ({"name_localizations": {"fr": "une vidéo"}}, "APPLICATION_COMMAND_INVALID_NAME"),
        ({"name_localizations": {"fr": "Vidéo"}}, "APPLICATION_COMMAND_INVALID_NAME"),
        ({"name_localizations": {"french": "vidéo"}}, "LOCALE_INVALID"),
        ({"description_localizations": {"xx": "Mach eins"}}, "LOCALE_INVALID"),
        (
            {
                "options": [
                    {"type": 3, "name": "prompt", "description": "a", "name_localizations": {"fr": "texte"}},
                    {"type": 3, "name": "details", "description": "b", "name_localizations": {"fr": "texte"}},
                ]
            },
            "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
        ),
    ],
)
async def test_names_breaking_discords_rules_are_refused(
    discord_emulator: DiscordEmulator, fields: dict[str, Any], code: str
) -> None:
    emu = discord_emulator
    status, body = await put_commands(emu, [command(**fields)])
    assert status == 400 and body["code"] == 50035, body
    assert code in str(body["errors"])
    assert emu.synced_commands(emu.guild) == []
    emu.take_violations()


async def test_a_context_menu_name_may_have_spaces_and_capitals(discord_emulator: DiscordEmulator) -> None:
    emu = discord_emulator
    status, body = await put_commands(
        emu, [{"type": 3, "name": "Animate this image", "name_localizations": {"fr": "Animer cette image"}}]
    )
    assert status == 200, body
    emu.take_violations()
