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

from bot.errors import VideobotError

log = logging.getLogger("videobot.discord")

NO_PINGS = discord.AllowedMentions.none()
PUBLIC_DEFER = "videobot_public_defer"  # interaction.extras key set by cogs that deferred publicly


def _permission_names(names: list[str]) -> str:
    return ", ".join(name.replace("_", " ").replace("guild", "server").title() for name in names)


def explain(error: BaseException) -> tuple[str, bool]:
    """(message for the user, whether the error was expected); unexpected ones get a reference id."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError) and error.__cause__:
        cause = error.__cause__
        if isinstance(cause, VideobotError):
            error = cause
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, VideobotError):
        return error.user_message, True
    if isinstance(error, app_commands.MissingPermissions):
        return f"You need the {_permission_names(error.missing_permissions)} permission to use this.", True
    if isinstance(error, app_commands.BotMissingPermissions):
        return (
            f"I am missing the {_permission_names(error.missing_permissions)} permission here; "
            "please ask a server admin.",
            True,
        )
    if isinstance(error, discord.Forbidden):
        return (
            "I am missing a permission in this channel (I need View Channel, Send Messages, Embed Links, "
            "Attach Files, Add Reactions and Read Message History).",
            True,
        )
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server.", True
    if isinstance(error, app_commands.TransformerError):
        return f"The value {str(error.value)[:50]!r} is not valid for this option.", True
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here.", True
    if isinstance(error, discord.NotFound):
        return "That message no longer exists.", True
    ref = secrets.token_hex(3)
    log.error("unexpected error (ref %s)", ref, exc_info=(type(error), error, error.__traceback__))
    return f"Something went wrong (ref `{ref}`). The bot's owner can find the details in the log.", False


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
                await interaction.edit_original_response(content="⚠️ Not started; details were sent privately.")
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
    except discord.HTTPException as exc:  # token expired or Discord is down: the log is all we have
        log.warning("could not tell user %s about an error: %s (%s)", interaction.user.id, text, exc)


async def report(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Explain ``error`` privately to the interaction's user; log what was not expected."""
    text, expected = explain(error)
    if expected:
        log.info("user %s: %s", interaction.user.id, text)
    await send_private(interaction, text)


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
    user: discord.User | discord.Member, channel: discord.abc.Messageable | None, error: BaseException
) -> None:
    """:func:`report` for reaction handlers."""
    text, _ = explain(error)
    await tell_user(user, channel, text)


class VideoTree(app_commands.CommandTree[Any]):
    """The bot's command tree: its only job beyond the default is routing every error to :func:`report`."""

    async def on_error(self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError) -> None:
        """Every slash-command failure."""
        await report(interaction, error)
