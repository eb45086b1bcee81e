"""Other languages at the edge: discord.py's :class:`~discord.app_commands.Translator` over the message catalogue
(:mod:`bot.i18n`), and the words for a member, in their ``interaction.locale``.

discord.py wraps every command, group, option and choice name and description in a ``locale_str`` and asks the
translator once per Discord locale while syncing; the answers become ``name_localizations`` and
``description_localizations`` in the registration payload.  English locales get no localization (the names as
written are English), and a localized name that breaks Discord's naming rule is left out rather than refused by
Discord at sync time (tests/test_i18n.py keeps the shipped ones valid).
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.i18n import Catalogue, catalogue, language_of, valid_name

log = logging.getLogger(__name__)

SECTION = {
    Where.command_name: "names",
    Where.group_name: "names",
    Where.parameter_name: "names",
    Where.command_description: "descriptions",
    Where.group_description: "descriptions",
    Where.parameter_description: "descriptions",
    Where.choice_name: "choices",
}
NAMES = (Where.command_name, Where.group_name, Where.parameter_name)


class CatalogueTranslator(app_commands.Translator):
    """Command names, descriptions, option names and choices from the catalogue's tables."""

    def __init__(self, words: Catalogue | None = None):
        self.words = words or catalogue()

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        """The entry for ``string`` in exactly ``locale``'s file, or None (Discord shows the English)."""
        section = SECTION.get(context.location)
        if section is None or language_of(locale.value) == "en" or locale.value not in self.words.tables:
            return None
        menu = isinstance(context.data, app_commands.ContextMenu)  # "Animate this image": spaces and capitals
        if menu and context.location is Where.command_name:
            section = "menus"
        found = self.words.lookup(locale.value, section, string.message)
        if found is not None and context.location in NAMES and not menu and not valid_name(found):
            log.warning("%s: %r is not a valid command name; left out", locale.value, found)
            return None
        return found


def locale_of(interaction: discord.Interaction[Any]) -> str:
    """The member's Discord locale code (``fr``, ``pt-BR``)."""
    return str(getattr(interaction.locale, "value", interaction.locale) or "en-US")


def words_for(interaction: discord.Interaction[Any], key: str, /, **params: object) -> str:
    """The message ``key`` in the member's language (English as the fallback)."""
    return catalogue().text(locale_of(interaction), key, **params)
