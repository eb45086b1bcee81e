"""Discord's rules for application command names and their localizations, which the OpenAPI description does not
carry (it has only the lengths).

Source: Discord developer docs, "Application Commands" → "Application Command Naming" and "Localization" (read
2026-12-06): a CHAT_INPUT command's name and every option's name must match
``^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$`` and be lowercase where the script has case (else 400 50035
``APPLICATION_COMMAND_INVALID_NAME``); the keys of ``name_localizations`` / ``description_localizations`` must be
Discord locales (the spec's ``AvailableLocalesEnum``); two options of one command may not share a name, localized
names included (``APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS``).  Python's ``re`` has no ``\\p{…}``: Unicode
categories L* and N* stand in for letters and numbers, M* for the Devanagari and Thai signs.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

from ._util import invalid_form
from .openapi import spec

PUNCTUATION = frozenset("-_'")
CHAT_INPUT = 1
SUBCOMMANDS = (1, 2)


@functools.cache
def locales() -> frozenset[str]:
    """Discord's locales, from the vendored description."""
    enum = spec()["components"]["schemas"]["AvailableLocalesEnum"]["oneOf"]
    return frozenset(str(item["const"]) for item in enum)


def valid_name(name: str) -> bool:
    """Whether ``name`` is a valid CHAT_INPUT command or option name."""
    if not isinstance(name, str) or not 1 <= len(name) <= 32 or name != name.lower():
        return False
    return all(ch in PUNCTUATION or unicodedata.category(ch)[0] in "LNM" for ch in name)


def _check_localizations(where: str, item: dict[str, Any], names: bool) -> None:
    for key in ("name_localizations", "description_localizations"):
        for locale, value in (item.get(key) or {}).items():
            if locale not in locales():
                raise invalid_form(f"{where}.{key}", "LOCALE_INVALID", f"{locale!r} is not a Discord locale")
            if key == "name_localizations" and names and not valid_name(value):
                raise invalid_form(
                    f"{where}.{key}.{locale}", "APPLICATION_COMMAND_INVALID_NAME", f"Invalid name {value!r}"
                )


def _check_options(where: str, options: list[dict[str, Any]]) -> None:
    seen: dict[str, set[str]] = {}
    for i, option in enumerate(options):
        path = f"{where}.options.{i}"
        if not valid_name(option.get("name", "")):
            bad = option.get("name")
            raise invalid_form(f"{path}.name", "APPLICATION_COMMAND_INVALID_NAME", f"Invalid name {bad!r}")
        _check_localizations(path, option, names=True)
        shown = {"": option["name"], **(option.get("name_localizations") or {})}
        for locale in locales() | {""}:
            name = shown.get(locale, option["name"])
            if name in seen.setdefault(locale, set()):
                raise invalid_form(
                    path, "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", f"Option name {name!r} already exists"
                )
            seen[locale].add(name)
        for j, choice in enumerate(option.get("choices") or []):
            _check_localizations(f"{path}.choices.{j}", choice, names=False)
        if option.get("type") in SUBCOMMANDS:
            _check_options(path, option.get("options") or [])


def check_command(spec_: dict[str, Any]) -> None:
    """Refuse (400 50035) a command whose names or localizations break Discord's rules."""
    chat_input = spec_.get("type") in (None, CHAT_INPUT)
    if chat_input and not valid_name(spec_.get("name", "")):
        raise invalid_form("name", "APPLICATION_COMMAND_INVALID_NAME", f"Invalid name {spec_.get('name')!r}")
    _check_localizations("", spec_, names=chat_input)
    if chat_input:
        _check_options("", spec_.get("options") or [])
