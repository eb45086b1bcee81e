"""The drawing step of docs/pictures/make.py, on the payloads it captured (docs/pictures/payloads.json): the result
card shows each gallery item's picture where it belongs and every button, the Apps menu lists every message
command, the French picker reads French.  The pictures are checked in Chromium (the page's rendered text and
the PNG's pixels).  That the payloads are still what the bot sends is tests/discord/test_picture_payloads.py's."""

from __future__ import annotations

import io
import json
import random
from typing import Any

import pytest
from PIL import Image

from tests.support.pictures import card_page, fit, menu_page, picker_page, shoot
from tests.support.readme import ROOT

CAPTURED = json.loads((ROOT / "docs" / "pictures" / "payloads.json").read_text(encoding="utf-8"))
COLOURS = [(230, 30, 30), (30, 200, 40), (40, 60, 230)]  # one solid picture per gallery item


def solid(colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (160, 90), colour).save(buf, format="PNG")
    return buf.getvalue()


def buttons(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for item in items:
        if item.get("type") == 2:
            found.append(item)
        found += buttons(item.get("components") or [])
    return found


def share(png: bytes, colour: tuple[int, int, int]) -> float:
    """The fraction of the picture's pixels within a few levels of ``colour``."""
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    counts = picture.getcolors(picture.width * picture.height) or []
    near = sum(n for n, seen in counts if all(abs(a - b) <= 6 for a, b in zip(seen, colour, strict=True)))
    return near / (picture.width * picture.height)


async def rendered_text(browser: Any, document: str) -> str:
    page = await browser.new_page()
    try:
        await page.set_content(document)
        return str(await page.inner_text("#shot"))
    finally:
        await page.close()


async def test_the_card_shows_its_gallery_and_every_button(browser):
    card = CAPTURED["card"]
    [gallery] = [c for c in card["components"][0]["components"] if c["type"] == 12]
    names = [item["media"]["url"].removeprefix("attachment://") for item in gallery["items"]]
    assert names[0].endswith(".mp4") and names[1].endswith("-first.jpg") and names[2].endswith("-last.jpg")
    images = {name: solid(colour) for name, colour in zip(names, COLOURS, strict=True)}
    document = card_page(card, images, bot_name=CAPTURED["bot"], names=CAPTURED["names"])
    png = await shoot(browser, document)
    clip, first, last = (share(png, colour) for colour in COLOURS)
    assert clip > 2 * first > 0.02 and abs(first - last) < 0.01  # the clip the big tile, its two frames beside it
    text = await rendered_text(browser, document)
    labels = [b["label"] for b in buttons(card["components"])]
    assert {"Extend", "Delete"} <= set(labels) and all(label in text for label in labels)
    assert "@" + next(iter(CAPTURED["names"].values())) in text and "**" not in text and "<@" not in text
    assert share(png, (0xDA, 0x37, 0x3C)) > 0.001  # the Delete button is drawn in the danger style's red


async def test_the_apps_menu_lists_every_message_command(browser):
    menus = CAPTURED["menus"]
    assert {m["name"] for m in menus} == {"Animate this image", "Remix this video", "Extend", "Add sound"}
    document = menu_page(menus, CAPTURED["message"], solid(COLOURS[1]), app_name=CAPTURED["bot"])
    text = await rendered_text(browser, document)
    assert all(m["name"] in text for m in menus) and CAPTURED["message"]["content"] in text
    assert share(await shoot(browser, document), COLOURS[1]) > 0.05  # the picture right-clicked


async def test_the_french_picker_reads_french(browser):
    video = CAPTURED["video"]
    text = await rendered_text(browser, picker_page(video, "fr", app_name=CAPTURED["bot"], choices_of="camera"))
    assert "/vidéo" in text and video["description_localizations"]["fr"] in text
    for option in video["options"]:
        assert option["name_localizations"]["fr"] in text and option["description_localizations"]["fr"] in text
    assert "panoramique gauche" in text and "pan left" not in text and "Camera move" not in text


def test_a_message_without_the_v2_flag_is_not_drawn_as_a_card():
    with pytest.raises(ValueError, match="Components V2"):
        card_page({**CAPTURED["card"], "flags": 0}, {}, bot_name="videobot", names={})


def test_a_picture_over_the_limit_is_brought_under_it():
    noise = random.Random(7)
    picture = Image.new("RGB", (300, 300))
    picture.putdata([tuple(noise.randrange(256) for _ in range(3)) for _ in range(300 * 300)])
    buf = io.BytesIO()
    picture.save(buf, format="PNG")
    assert buf.tell() > 200_000
    smaller = fit(buf.getvalue(), 200_000)
    assert len(smaller) <= 200_000 and Image.open(io.BytesIO(smaller)).size == (300, 300)
