"""The one error handler.  Every failure of a command, button or reaction ends here and becomes a
clear private message; nothing a user does crashes a cog.

What the user is told, in order of precedence:

1. ``VideobotError`` (the core's own errors)          its ``user_message`` as is: quota left and when
                                                        it frees up, the model's limits, the provider's
                                                        refusal, "that job belongs to someone else"…
2. ``MissingPermissions`` (an /admin check)           "You need the Manage Server permission …"
3. ``BotMissingPermissions`` / ``discord.Forbidden``   "I am missing a permission in this channel …"
4. ``NoPrivateMessage``                               "This command only works in a server."
5. ``TransformerError`` / ``CheckFailure``            "That option value is not valid." / "You can't …"
6. ``discord.NotFound`` (a message or job vanished)   "That message no longer exists."
7. anything else                                      "Something went wrong (ref abc123)." — and the
                                                        traceback is logged under the same ref.

Commands reach :func:`report` through :class:`VideoTree` (the bot's CommandTree); buttons and reaction
handlers call :func:`report` / :func:`tell_user` themselves.  Messages are ephemeral: after a public
"thinking…" defer, the placeholder is deleted first so the user is not left with a public error.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import discord
from discord import app_commands

from bot.edge.translate import locale_of
from bot.errors import VideobotError
from bot.i18n import text as words

log = logging.getLogger("videobot.discord")

NO_PINGS = discord.AllowedMentions.none()
PUBLIC_DEFER = "videobot_public_defer"  # interaction.extras key set by cogs that deferred publicly


def _permission_names(names: list[str]) -> str:
    return ", ".join(name.replace("_", " ").replace("guild", "server").title() for name in names)


def explain(error: BaseException, locale: str | None = None) -> tuple[str, bool]:
    """(message for the user in ``locale``, whether the error was expected); unexpected ones get a reference id.
    The edge's own refusals come from the message catalogue; the core's errors carry their own words."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError) and error.__cause__:
        cause = error.__cause__
        if isinstance(cause, VideobotError):
            error = cause
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, VideobotError):
        try:  # in the member's language where the error says it in catalogue words
            if error.message_parts:
                return "".join(words(locale, key, **params) for key, params in error.message_parts), True
        except (KeyError, IndexError, ValueError):
            log.warning("no catalogue words for %r; shown in English", error.message_parts)
        return error.user_message, True
    if isinstance(error, app_commands.MissingPermissions):
        return words(
            locale, "refusal.missing_permission", permissions=_permission_names(error.missing_permissions)
        ), True
    if isinstance(error, app_commands.BotMissingPermissions):
        names = _permission_names(error.missing_permissions)
        return words(locale, "refusal.bot_missing_permission", permissions=names), True
    if isinstance(error, discord.Forbidden):
        return words(locale, "refusal.forbidden"), True
    if isinstance(error, app_commands.NoPrivateMessage):
        return words(locale, "refusal.server_only"), True
    if isinstance(error, app_commands.TransformerError):
        return words(locale, "refusal.invalid_value", value=repr(str(error.value)[:50])), True
    if isinstance(error, app_commands.CheckFailure):
        return words(locale, "refusal.not_here"), True
    if isinstance(error, discord.NotFound):
        return words(locale, "refusal.gone"), True
    ref = secrets.token_hex(3)
    log.error("unexpected error (ref %s)", ref, exc_info=(type(error), error, error.__traceback__))
    return words(locale, "refusal.unexpected", ref=ref), False


async def send_private(interaction: discord.Interaction[Any], text: str) -> None:
    """An ephemeral message for whoever triggered the interaction, whatever state it is in."""
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)
            return
        if interaction.extras.get(PUBLIC_DEFER):
            # The public "thinking…" placeholder would otherwise be where the error shows up.
            interaction.extras[PUBLIC_DEFER] = False
            try:
                await interaction.delete_original_response()
            except discord.HTTPException:
                notice = words(locale_of(interaction), "refusal.not_started")
                await interaction.edit_original_response(content=notice)
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
    except discord.HTTPException as exc:  # token expired or Discord is down: the log is all we have
        log.warning("could not tell user %s about an error: %s (%s)", interaction.user.id, text, exc)


async def report(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Explain ``error`` privately to the interaction's user; log what was not expected."""
    message, expected = explain(error, locale_of(interaction))
    if expected:
        log.info("user %s: %s", interaction.user.id, message)
    await send_private(interaction, message)


async def tell_user(user: discord.User | discord.Member, channel: discord.abc.Messageable | None, text: str) -> None:
    """Tell someone (who reacted, so there is no interaction) privately: a DM, else a short-lived reply."""
    try:
        await user.send(text, allowed_mentions=NO_PINGS)
        return
    except discord.HTTPException:
        pass  # DMs closed: fall back to a message in the channel that removes itself
    if channel is None:
        return
    try:
        only_them = discord.AllowedMentions(everyone=False, roles=False, users=[user])
        await channel.send(f"{user.mention} {text}", delete_after=20, allowed_mentions=only_them)
    except discord.HTTPException as exc:
        log.warning("could not tell user %s: %s (%s)", user.id, text, exc)


async def report_to(
    user: discord.User | discord.Member,
    channel: discord.abc.Messageable | None,
    error: BaseException,
    locale: str | None = None,
) -> None:
    """:func:`report` for reaction handlers (a reaction carries no locale: the caller's guess of the member's)."""
    text, _ = explain(error, locale)
    await tell_user(user, channel, text)


class VideoTree(app_commands.CommandTree[Any]):
    """The bot's command tree: its only job beyond the default is routing every error to :func:`report`."""

    async def on_error(self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError) -> None:
        """Every slash-command failure."""
        await report(interaction, error)
