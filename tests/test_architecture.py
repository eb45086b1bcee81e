"""The layering rules, checked from the source: cogs → bot → storage/providers/media, never back."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# modules of the core that must never import discord (bot/edge is the Discord edge, bot/cli.py
# imports it lazily for `videobot run`)
DISCORD_FREE = [
    "storage",
    "bot/services",
    "bot/providers",
    "bot/media",
    "bot/web",
    "bot/app.py",
    "bot/delivery.py",
    "bot/errors.py",
    "bot/settings.py",
    "bot/prompt.py",
]


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def python_files(*parts: str) -> list[Path]:
    files = []
    for part in parts:
        target = ROOT / part
        files.extend([target] if target.is_file() else sorted(target.rglob("*.py")))
    return files


@pytest.mark.parametrize("path", python_files(*DISCORD_FREE), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_does_not_import_discord_or_cogs(path):
    assert not imports_of(path) & {"discord", "cogs"}


@pytest.mark.parametrize("path", python_files("storage"), ids=lambda p: str(p.relative_to(ROOT)))
def test_storage_is_a_leaf(path):
    assert not imports_of(path) & {"bot", "cogs", "discord"}


@pytest.mark.parametrize("path", python_files("bot", "cogs"), ids=lambda p: str(p.relative_to(ROOT)))
def test_sql_lives_only_in_storage(path):
    source = path.read_text(encoding="utf-8")
    assert "aiosqlite" not in imports_of(path) and "sqlite3" not in imports_of(path)
    for keyword in ("SELECT ", "INSERT INTO", "UPDATE jobs", "DELETE FROM"):
        assert keyword not in source, f"SQL in {path}"


@pytest.mark.parametrize("path", python_files("cogs"), ids=lambda p: str(p.relative_to(ROOT)))
def test_cogs_do_no_http_or_ffmpeg(path):
    assert not imports_of(path) & {"httpx", "ffmpeg", "subprocess", "storage", "aiosqlite"}


@pytest.mark.parametrize("path", python_files("bot", "cogs", "storage"), ids=lambda p: str(p.relative_to(ROOT)))
def test_files_stay_small(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 330
