"""Reading the README as a newcomer does: its first two commands and its sections (used by the tests that run
or check what it says)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def readme_commands() -> list[str]:
    """The shell lines of the README's first code block, right under the title."""
    text = README.read_text(encoding="utf-8")
    match = re.match(r"# videobot\n\n```sh\n(.*?)\n```\n", text, re.DOTALL)
    assert match, "README.md must start with '# videobot' and then the two commands in a ```sh block"
    return match.group(1).splitlines()


def readme_section(title: str) -> str:
    """The text of one ``## title`` section of the README."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.DOTALL | re.MULTILINE)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)
