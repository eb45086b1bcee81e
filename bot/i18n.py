"""The message catalogue: what the bot says, in the member's language, English as the fallback.

The words are data, one TOML file per language in ``bot/locales/`` named by Discord's locale code (``en.toml``,
``de.toml``, ``fr.toml``, ``es-ES.toml``, ``pt-BR.toml``, ``ja.toml``), so a translator edits text without
touching code.  Each file has five tables:

``[names]``         command, group and option names, keyed by the English name; Discord's naming rule applies
                    (lowercase, no spaces, 1-32 letters, digits, ``-``, ``_`` or ``'``: :func:`valid_name`)
``[menus]``         right-click (context menu) command names, keyed by the English name: Discord lets these
                    have capitals and spaces ("Animate this image"), 1-32 characters
``[descriptions]``  command and option descriptions (at most 100 characters), keyed by the English text
``[choices]``       option choices, keyed by the English choice name
``[messages]``      what the bot tells members, keyed by a dotted id (``refusal.server_only``), with
                    ``{placeholders}`` filled by :meth:`Catalogue.text`

English keys for the first three mirror discord.py's own: a command's name and description are what its
decorators say, so a new command needs only new lines in each file (tests/test_i18n.py lists what is missing).
A locale Discord sends that has no file of its own falls back to a file of the same language (``es-419`` →
``es-ES``), then to English; a message missing in a language falls back to English too.

A refusal says its words with :func:`said` (``raise said(InvalidMedia, "media.larger_than", cap="25")``): the
error's ``user_message`` is the English line, for the log and the command line, and the key with its values
travels with it to the Discord edge, which shows the member's language (``bot.edge.errors.explain``).
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TypeVar

from bot.errors import VideobotError

E = TypeVar("E", bound=VideobotError)
LOCALES_DIR = Path(__file__).with_name("locales")
FALLBACK = "en"
SECTIONS = ("names", "menus", "descriptions", "choices", "messages")
NAME_PUNCTUATION = frozenset("-_'")


def valid_name(name: str) -> bool:
    """Discord's rule for command and option names (docs, "Application Command Naming", read 2026-12-06):
    ``^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$``, lowercase where the script has case.  Combining marks
    stand in for the Devanagari and Thai signs."""
    if not 1 <= len(name) <= 32 or name != name.lower():
        return False
    return all(ch in NAME_PUNCTUATION or unicodedata.category(ch)[0] in "LNM" for ch in name)


def language_of(locale: str) -> str:
    """``pt-BR`` → ``pt``."""
    return locale.split("-", 1)[0].lower()


Tables = Mapping[str, Mapping[str, str]]  # one language's: ``[section][key]``


def read_tables(path: Path) -> Tables:
    """One language's file; it must hold only the known tables of strings."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    unknown = set(data) - set(SECTIONS)
    if unknown:
        raise ValueError(f"{path.name}: unknown tables {sorted(unknown)}")
    return {section: {str(k): str(v) for k, v in data.get(section, {}).items()} for section in SECTIONS}


class _OnDemand(Mapping[str, Tables]):
    """Each language's tables, read from its file the first time they are asked for: the command line, which
    speaks English only, reads one file of six (the bot's start reads them all, to name its commands)."""

    def __init__(self, paths: Mapping[str, Path]):
        self._paths = paths
        self._read: dict[str, Tables] = {}

    def __getitem__(self, locale: str) -> Tables:
        if locale not in self._read:
            self._read[locale] = read_tables(self._paths[locale])
        return self._read[locale]

    def __contains__(self, locale: object) -> bool:
        return locale in self._paths

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


@dataclass(frozen=True)
class Catalogue:
    """Every shipped language's tables: ``tables[locale][section][key]``."""

    tables: Mapping[str, Tables]

    @classmethod
    def load(cls, folder: Path = LOCALES_DIR, *, on_demand: bool = False) -> Catalogue:
        """Every ``*.toml`` in ``folder`` (:func:`read_tables`), read now, or each when first asked for."""
        paths = {path.stem: path for path in sorted(folder.glob("*.toml"))}
        if FALLBACK not in paths:
            raise ValueError(f"{folder} has no {FALLBACK}.toml")
        if on_demand:
            return cls(_OnDemand(paths))
        return cls({locale: read_tables(path) for locale, path in paths.items()})

    @property
    def locales(self) -> list[str]:
        """The shipped languages, English first."""
        return [FALLBACK, *sorted(set(self.tables) - {FALLBACK})]

    def resolve(self, locale: str | None) -> str:
        """The shipped language for a Discord locale: itself, else one of the same language, else English."""
        if locale in self.tables:
            return str(locale)
        language = language_of(locale or FALLBACK)
        return next((shipped for shipped in self.locales if language_of(shipped) == language), FALLBACK)

    def lookup(self, locale: str, section: str, key: str) -> str | None:
        """The exact entry of that language, or None (no fallback: for command localizations)."""
        return self.tables.get(locale, {}).get(section, {}).get(key)

    def text(self, locale: str | None, key: str, /, **params: object) -> str:
        """The message ``key`` in ``locale`` (English where that language lacks it), ``{placeholders}`` filled;
        a value that is a :class:`Phrase` is said in ``locale`` too."""
        template = self.lookup(self.resolve(locale), "messages", key)
        if template is None:
            template = self.lookup(FALLBACK, "messages", key)
        if template is None:
            raise KeyError(f"no message {key!r} in {FALLBACK}.toml")
        values = {
            name: self.say(locale, value) if isinstance(value, Phrase) else value for name, value in params.items()
        }
        return template.format(**values)

    def say(self, locale: str | None, line: Phrase) -> str:
        """A :class:`Phrase` in ``locale``."""
        return "".join(self.text(locale, key, **params) for key, params in line.parts)


@cache
def catalogue() -> Catalogue:
    """The shipped catalogue (each language read once, when first needed)."""
    return Catalogue.load(on_demand=True)


def text(locale: str | None, key: str, /, **params: object) -> str:
    """:meth:`Catalogue.text` of the shipped catalogue."""
    return catalogue().text(locale, key, **params)


def said(kind: type[E], key: str, /, *, detail: str = "", **params: object) -> E:
    """A ``kind`` error saying the message ``key``: its ``user_message`` in English (the log, the command line), and
    the key with its values for the edge, which shows it in the member's language (bot.edge.errors.explain).  The
    one way a new refusal gets its words: ``raise said(InvalidPrompt, "prompt.empty")``."""
    return kind(text(FALLBACK, key, **params), detail=detail).keyed(key, **params)


def saying(error: E, line: Phrase) -> E:
    """``error`` with ``line``'s catalogue words attached (for an error whose constructor takes more than
    :func:`said` passes on, ``ProviderUnavailable(str(line), provider=…)``); returns the error."""
    for key, params in line.parts:
        error.keyed(key, **params)
    return error


class Phrase(str):
    """A line the core tells a member (a note of ``Submitted``, a quote's note) that reads in English as it is,
    and knows its catalogue words (``parts``: keys with their values, said one after the other) so the edge can
    show it in the member's language (:func:`in_language`).  Immutable, like any ``str``."""

    parts: tuple[tuple[str, Mapping[str, object]], ...]

    def __new__(cls, parts: tuple[tuple[str, Mapping[str, object]], ...]) -> Phrase:
        line = super().__new__(cls, "".join(text(FALLBACK, key, **params) for key, params in parts))
        line.parts = parts
        return line

    def then(self, key: str, /, **params: object) -> Phrase:
        """This phrase followed by the message ``key`` (English: the two texts joined as they are)."""
        return Phrase((*self.parts, (key, dict(params))))


def phrase(key: str, /, **params: object) -> Phrase:
    """The message ``key`` as a :class:`Phrase`: English now, the member's language at the edge."""
    return Phrase(((key, dict(params)),))


def verbatim(text: str) -> Phrase:
    """``text`` as it is in every language (a model's name), to join with other phrases."""
    return phrase("list.item", item=text)


def joined(lines: Sequence[Phrase], separator: str) -> Phrase:
    """The phrases one after the other, the message ``separator`` between two (``list.or``: "a or b")."""
    parts: list[tuple[str, Mapping[str, object]]] = []
    for number, line in enumerate(lines):
        if number:
            parts.append((separator, {}))
        parts.extend(line.parts)
    return Phrase(tuple(parts))


def listed(items: Sequence[str], last: str = "list.or") -> Phrase:
    """``a, b or c`` (``last``: the message between the last two, ``list.and`` for "a and b") in the member's
    language; the items as they are (names, numbers)."""
    words = [verbatim(item) for item in items]
    if len(words) < 2:
        return joined(words, "list.comma")
    return joined([joined(words[:-1], "list.comma"), words[-1]], last)


def told(error: VideobotError) -> str:
    """What ``error`` tells a member, to hand on to a place that shows it later (a failed job's notice): a
    :class:`Phrase` of its catalogue words where it has them (:func:`said`), else its ``user_message``."""
    return Phrase(tuple(error.message_parts)) if error.message_parts else error.user_message


def in_language(locale: str | None, line: str) -> str:
    """``line`` in ``locale`` where it is a :class:`Phrase`; any other text as it is."""
    return catalogue().say(locale, line) if isinstance(line, Phrase) else line
