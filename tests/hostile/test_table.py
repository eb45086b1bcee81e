"""The corpus table is honest: every row names a test that exists, and the rows are well formed."""

from __future__ import annotations

import importlib
import pkgutil

import tests.hostile
from tests.support.hostile_cases import ACCEPTED, CASES, REFUSED


def hostile_tests() -> set[str]:
    names: set[str] = set()
    for module in pkgutil.iter_modules(tests.hostile.__path__):
        if module.name.startswith("test_"):
            loaded = importlib.import_module(f"tests.hostile.{module.name}")
            names |= {name for name in vars(loaded) if name.startswith("test_")}
    return names


def test_every_case_is_run_by_an_existing_test():
    known = hostile_tests()
    assert [c.name for c in CASES if c.test not in known] == []


def test_rows_are_well_formed():
    assert len({c.name for c in CASES}) == len(CASES)
    for item in CASES:
        assert item.via in ("e2e", "service", "core") and item.outcome in (ACCEPTED, REFUSED), item
        assert item.holds, item
        assert item.says == item.says.lower(), item  # fragments are matched case-insensitively
        if item.outcome == REFUSED and item.group != "admin":
            assert item.says, f"{item.name}: a refusal must say why"
