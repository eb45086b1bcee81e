"""/gallery and /admin gallery through the emulator: a private, signed link that opens the right gallery;
without a web server a clear private answer; the server's gallery only for Manage Server."""

from __future__ import annotations

import re

import aiohttp
import pytest

from emulators.discord import CommandNotPermitted
from tests.support.discord import free_port

pytestmark = pytest.mark.timeout(60)


async def test_gallery_links_are_private_and_scoped(emu, launch):
    port = free_port()
    await launch(file_server_port=port, public_base_url=f"http://127.0.0.1:{port}")
    answer = await (await emu.slash(emu.alice, "gallery")).wait_response(timeout=20)
    assert answer.ephemeral and "only for you" in answer.content
    mine = re.search(r"http://\S+", answer.content).group(0)
    assert f"/g/{emu.guild.id}/{emu.alice.id}/" in mine
    admin = await (await emu.slash(emu.admin, "admin gallery")).wait_response(timeout=20)
    everyone = re.search(r"http://\S+", admin.content).group(0)
    assert admin.ephemeral and f"/g/{emu.guild.id}/all/" in everyone
    async with aiohttp.ClientSession() as session:
        for url, title in ((mine, "Your videos"), (everyone, "All videos in this server")):
            async with session.get(url) as response:
                assert response.status == 200 and title in await response.text()
    with pytest.raises(CommandNotPermitted):  # hidden from members without Manage Server
        await emu.slash(emu.alice, "admin gallery")


async def test_without_a_web_server_gallery_says_so_privately(emu, launch):
    await launch()
    answer = await (await emu.slash(emu.alice, "gallery")).wait_response(timeout=20)
    assert answer.ephemeral and "VIDEOBOT_FILE_SERVER_PORT" in answer.content and "http" not in answer.content
