"""The numbered migrations: ``NNNN_name.sql`` here for SQLite, the same numbers in ``postgres/`` for PostgreSQL."""

from __future__ import annotations

import re
from importlib.resources.abc import Traversable

from storage.errors import StorageError

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def numbered_sql(folder: Traversable, *, label: str = "") -> list[tuple[int, str, str]]:
    """(version, name, sql) of the migrations in ``folder``, in order; StorageError when a number is missing."""
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    for expected, (version, name, _) in enumerate(found, start=1):
        if version != expected:
            raise StorageError(f"migration {label}{name} is out of sequence (expected {expected:04d})")
    return found
