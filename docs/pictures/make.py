"""The pictures in docs/pictures/: what the bot sends to Discord, drawn from its own payloads.

Run: ``python docs/pictures/make.py`` (needs the test extra and the system Chromium: ``apt-get install -y
--no-install-recommends chromium fonts-noto-color-emoji``).  Nothing leaves the machine and nothing here is a
screenshot of Discord's client, which this project cannot run: the real bot (``start_bot``, as the tests in
tests/discord/ run it) talks to the loopback Discord emulator (emulators/discord) with the offline ``local``
renderer making the clip and the Runway emulator (emulators/providers) standing in for a provider with a sound
model, so the "Add sound" menu and button are registered as they are for a server with a Runway key.  Then:

* ``card.png`` — ``/video`` by a member: the Components V2 result card, drawn from the exact body the bot
  POSTed (``docs/pictures/payloads.json``, ``card``) with the media it attached (the clip's poster, made by the
  bot's own ``Media.poster``, and its first and last frame);
* ``menu.png`` — a member's message right-clicked → Apps: the message commands (type 3) from the bot's
  registration (its PUT of its commands, as Discord stores it: ``menus``); the script then really runs "Animate
  this image" on that message and checks the bot answers with its form (callback type 9);
* ``command-fr.png`` — ``/video`` as a French client lists it (``fr``): the command's and its options' French
  names and descriptions from the same registration body (``video``), with the camera's French choices.

Each is a page of our own (tests/support/pictures.py) photographed by headless Chromium.  The captions in the
README, docs/commands.md and docs/discord-setup.md say so (docs/development.md, "Pictures of what the bot
sends").
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from bot.edge.client import start_bot  # noqa: E402
from bot.media import Media  # noqa: E402
from bot.settings import Settings  # noqa: E402
from emulators.discord import DiscordEmulator  # noqa: E402
from emulators.providers import EmulatorServer, VideoFactory  # noqa: E402
from tests.support.discord import bot_settings_for, wait_result  # noqa: E402
from tests.support.pictures import V2, card_page, menu_page, picker_page, shoot  # noqa: E402

PROMPT: dict[str, Any] = {"prompt": "a golden retriever running through a field of sunflowers", "camera": "tracking"}
PROMPT |= {"style": "cinematic", "lighting": "golden hour", "duration": 4, "model": "local:storyboard"}
SCENARIO = "docs/pictures/make.py: the real bot against the loopback Discord emulator"


def registration(emu: DiscordEmulator) -> list[dict[str, Any]]:
    """The bot's guild commands as Discord stores and serves them to clients: the body the bot PUT, with the
    ids and defaults Discord adds (emulators/discord/rest_core.py ``put_commands``)."""
    commands = emu.synced_commands(emu.guild)
    if not commands:
        raise RuntimeError("the bot registered no commands")
    return commands


def card_body(emu: DiscordEmulator) -> dict[str, Any]:
    """The body of the bot's Components V2 result message (the first one it sent)."""
    sent = [r.payload for r in emu.rest.log if r.method == "POST" and r.payload and int(r.payload.get("flags", 0)) & V2]
    if not sent or sent[0] is None:
        raise RuntimeError("the bot sent no Components V2 message")
    return dict(sent[0])


async def capture(work: Path) -> dict[str, Any]:
    """Run the bot through the three scenes; return their payloads and the media to draw them with."""
    providers = await EmulatorServer(VideoFactory(work / "clips")).start()
    try:
        async with DiscordEmulator() as emu:
            runway: dict[str, Any] = {
                "RUNWAYML_API_SECRET": providers.runway.api_key,
                "RUNWAYML_BASE_URL": providers.runway_url,
            }
            settings = Settings(**bot_settings_for(emu), **runway, data_dir=work / "data", poll_interval_seconds=0.05)
            bot = await start_bot(settings, ready_timeout=30, guild_ready_timeout=0.1)
            try:
                return await scenes(emu, work)
            finally:
                await bot.close()
    finally:
        await providers.stop()


async def scenes(emu: DiscordEmulator, work: Path) -> dict[str, Any]:
    """The card (a member's /video), the Apps menu (on a member's picture) and /video's registration."""
    handle = await emu.slash(emu.alice, "video", PROMPT)
    if await handle.wait_ack() != 5:
        raise RuntimeError("/video was not deferred")
    result = await wait_result(emu, timeout=300)
    files = {a.filename: a.data for a in result.attachments}
    clip = work / "clip.mp4"
    clip.write_bytes(next(data for name, data in files.items() if name.endswith(".mp4")))
    await Media().poster(clip, work / "poster.jpg")
    images = {name: data for name, data in files.items() if name.endswith(".jpg")}
    images[next(name for name in files if name.endswith(".mp4"))] = (work / "poster.jpg").read_bytes()

    picture = images[next(name for name in images if name.endswith("-last.jpg"))]
    said = "found this one from last summer, can it move?"
    posted = await emu.post_user_message(emu.admin, content=said, files={"summer.jpg": picture})
    opened = await emu.message_command(emu.alice, "Animate this image", posted)
    if await opened.wait_ack() != 9:
        raise RuntimeError("'Animate this image' did not open its form")

    commands = registration(emu)
    body = card_body(emu)
    return {
        "card": body,
        "images": images,
        "menus": [c for c in commands if c.get("type") == 3],
        "video": next(c for c in commands if c.get("name") == "video" and c.get("type", 1) == 1),
        "message": {"author": emu.admin.username, "content": said},
        "picture": picture,
        "names": {str(emu.alice.id): emu.alice.username},
        "bot": emu.bot.username,
    }


async def draw(captured: dict[str, Any], out: Path) -> list[Path]:
    """The three PNGs, photographed by the system Chromium."""
    from playwright.async_api import async_playwright

    chromium = shutil.which(os.environ.get("VIDEOBOT_CHROMIUM") or "chromium")
    if chromium is None:
        raise SystemExit("no Chromium: apt-get install -y --no-install-recommends chromium fonts-noto-color-emoji")
    bot = captured["bot"]
    pages = {
        "card.png": card_page(captured["card"], captured["images"], bot_name=bot, names=captured["names"]),
        "menu.png": menu_page(captured["menus"], captured["message"], captured["picture"], app_name=bot),
        "command-fr.png": picker_page(captured["video"], "fr", app_name=bot, choices_of="camera"),
    }
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            return [out / name for name, doc in pages.items() if await shoot(browser, doc, out / name)]
        finally:
            await browser.close()


def record(captured: dict[str, Any], dest: Path) -> None:
    """The payloads drawn, as sent (``payloads.json``; the tests draw them again: tests/browser/test_pictures.py)."""
    kept = {
        "scenario": SCENARIO,
        "card": captured["card"],
        "menus": captured["menus"],
        "video": captured["video"],
        "message": captured["message"],
        "names": captured["names"],
        "bot": captured["bot"],
    }
    dest.write_text(json.dumps(kept, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


async def main() -> None:
    deployment = ("VIDEOBOT_", "DISCORD_", "RUNWAYML_", "REPLICATE_", "LUMAAI_", "FAL_", "COMFYUI_")
    for name in list(os.environ):  # nothing of a real deployment leaks in
        if name.startswith(deployment) and name != "VIDEOBOT_CHROMIUM":
            del os.environ[name]
    with tempfile.TemporaryDirectory(prefix="videobot-pictures-") as work:
        captured = await capture(Path(work))
        for path in await draw(captured, HERE):
            print(f"{path.relative_to(ROOT)}: {path.stat().st_size} bytes")
        record(captured, HERE / "payloads.json")


if __name__ == "__main__":
    asyncio.run(main())
