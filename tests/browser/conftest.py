"""A real headless Chromium (the system's Debian package, never a downloaded browser) driven by Playwright,
and where screenshots go (``VIDEOBOT_TEST_ARTIFACTS``, default ``tests/artifacts/``, gitignored)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

INSTALL = "install it with `apt-get update && apt-get install -y chromium` (and `pip install -e '.[test]'`)"


def chromium_path() -> str | None:
    """The system Chromium, if there is one."""
    for name in (os.environ.get("VIDEOBOT_CHROMIUM", ""), "chromium", "chromium-browser"):
        found = shutil.which(name) if name else None
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The folder for screenshots."""
    folder = Path(os.environ.get("VIDEOBOT_TEST_ARTIFACTS") or Path(__file__).resolve().parent.parent / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """A headless Chromium; skipped with install instructions where there is none."""
    path = chromium_path()
    # CI (.ci/run) sets VIDEOBOT_TEST_REQUIRE_BROWSER: there a missing browser fails instead of skipping
    missing = pytest.fail if os.environ.get("VIDEOBOT_TEST_REQUIRE_BROWSER") else pytest.skip
    if path is None:
        missing(f"browser tests need Chromium: {INSTALL}")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        missing(f"browser tests need playwright: {INSTALL}")
    async with async_playwright() as driver:
        # --no-sandbox: CI containers run as root, where Chromium's sandbox refuses to start
        launched = await driver.chromium.launch(
            executable_path=path, headless=True, args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"]
        )
        try:
            yield launched
        finally:
            await launched.close()
