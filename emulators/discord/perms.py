"""Discord's permission algorithm (base role permissions, then channel overwrites) and flag names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import discord

from .models import Channel, Guild, Member

ALL_PERMISSIONS: int = discord.Permissions.all().value
ADMINISTRATOR = discord.Permissions.VALID_FLAGS["administrator"]
VIEW_CHANNEL = discord.Permissions.VALID_FLAGS["view_channel"]

PermissionsLike = int | str | Iterable[str] | discord.Permissions | None


def perm_value(perms: Any) -> int:
    """Turn an int, a ``discord.Permissions``, a flag name or a list of flag names into a bit field."""
    if perms is None:
        return 0
    if isinstance(perms, int):
        return perms
    if isinstance(perms, discord.Permissions):
        return perms.value
    names = [perms] if isinstance(perms, str) else list(perms)
    value = 0
    for name in names:
        try:
            value |= discord.Permissions.VALID_FLAGS[name]
        except KeyError:
            raise ValueError(f"unknown permission name {name!r}") from None
    return value


# @everyone in a fresh server, trimmed to what matters for a text bot.
DEFAULT_EVERYONE = perm_value(
    [
        "view_channel",
        "send_messages",
        "send_messages_in_threads",
        "read_message_history",
        "add_reactions",
        "embed_links",
        "attach_files",
        "use_external_emojis",
        "use_application_commands",
        "create_instant_invite",
        "change_nickname",
    ]
)
# What a typical invite link grants a media bot. Mention Everyone is included so tests can show that
# AllowedMentions (not a lack of permission) is what stops an @everyone ping.
DEFAULT_BOT = perm_value(
    [
        "view_channel",
        "send_messages",
        "send_messages_in_threads",
        "embed_links",
        "attach_files",
        "read_message_history",
        "add_reactions",
        "use_external_emojis",
        "mention_everyone",
        "use_application_commands",
    ]
)


def base_permissions(guild: Guild, member: Member) -> int:
    """Guild-level permissions: owner gets all, else @everyone | member roles; Administrator means all."""
    if member.user.id == guild.owner_id:
        return ALL_PERMISSIONS
    perms = guild.roles[guild.id].permissions if guild.id in guild.roles else 0
    for role_id in member.role_ids:
        role = guild.roles.get(role_id)
        if role is not None:
            perms |= role.permissions
    return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms


def channel_permissions(guild: Guild, member: Member, channel: Channel | None) -> int:
    """Permissions in a channel: base, then @everyone, role and member overwrites (Discord's order)."""
    perms = base_permissions(guild, member)
    if perms & ADMINISTRATOR or channel is None:
        return perms
    everyone = channel.overwrites.get(guild.id)
    if everyone is not None:
        perms = (perms & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for role_id in member.role_ids:
        ow = channel.overwrites.get(role_id)
        if ow is not None and ow.type == 0:
            allow |= ow.allow
            deny |= ow.deny
    perms = (perms & ~deny) | allow
    own = channel.overwrites.get(member.user.id)
    if own is not None and own.type == 1:
        perms = (perms & ~own.deny) | own.allow
    # Without View Channel every other channel permission is implicitly denied.
    return perms if perms & VIEW_CHANNEL else 0
