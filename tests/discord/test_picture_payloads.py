"""The README's pictures (docs/pictures/) are drawn from docs/pictures/payloads.json: those payloads must be what
the bot sends today.  This runs make.py's capture (the real bot against the loopback Discord emulator) and compares
the result card's body, the Apps menu's commands and /video's registration with the saved ones, ids aside: a
change to any of them fails here until ``python docs/pictures/make.py`` is rerun and the pictures with it."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support.readme import ROOT

pytestmark = pytest.mark.timeout(300)
SNOWFLAKE = re.compile(r"\b[0-9]{17,20}\b")
COMPARED = ("card", "menus", "video", "message", "names", "bot")


def make_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pictures_make", ROOT / "docs" / "pictures" / "make.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def without_ids(payloads: dict[str, Any]) -> str:
    """The payloads as canonical JSON, each snowflake replaced by the order it first appears in: the emulator
    hands out new ids every run, but which id stands where (the mention is the member's) must stay."""
    text = json.dumps({key: payloads[key] for key in COMPARED}, indent=1, sort_keys=True, ensure_ascii=False)
    order: dict[str, str] = {}
    return SNOWFLAKE.sub(lambda m: order.setdefault(m.group(0), f"<id {len(order) + 1}>"), text)


async def test_the_pictures_payloads_are_what_the_bot_sends_today(tmp_path: Path) -> None:
    saved = json.loads((ROOT / "docs" / "pictures" / "payloads.json").read_text(encoding="utf-8"))
    captured = await make_script().capture(tmp_path)
    now, then = without_ids(captured), without_ids(saved)
    assert "<id 1>" in now and "Video #1" in now  # ids were there to replace; the card is the result's
    assert now == then, "the bot's payloads changed: run python docs/pictures/make.py (docs/development.md)"
