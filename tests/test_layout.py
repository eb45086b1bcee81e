"""The test tree's own rules: shared helpers come from tests/support/ only, never from a conftest.py or from
another test module (fixtures reach tests through pytest, not through imports)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> list[str]:
    """Every module a file imports, relative imports resolved against its package."""
    package = path.relative_to(TESTS.parent).with_suffix("").parts[:-1]
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            names += [module] + [f"{module}.{alias.name}" for alias in node.names]
    return names


def test_tests_import_shared_code_only_from_tests_support():
    wrong = []
    for path in sorted(TESTS.rglob("*.py")):
        for name in imported_modules(path):
            if name.startswith("tests.") and not name.startswith("tests.support") and name != "tests.hostile":
                wrong.append(f"{path.relative_to(TESTS.parent)} imports {name}")
    assert wrong == []


def test_the_rule_sees_a_test_module_and_a_conftest_imported(tmp_path, monkeypatch):
    sample = TESTS / "discord" / "test_sample_for_layout.py"
    text = "from tests.discord.conftest import x\nfrom .test_video import y\nfrom tests.support.discord import z\n"
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: text)
    names = imported_modules(sample)
    assert "tests.discord.conftest" in names and "tests.discord.test_video" in names
