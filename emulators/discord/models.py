"""The emulator's in-memory Discord objects: users, roles, channels, members, guilds."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ._util import TIER_UPLOAD_LIMITS

# Channel types (Discord API).
TEXT_CHANNEL = 0
DM_CHANNEL = 1
VOICE_CHANNEL = 2
GROUP_DM_CHANNEL = 3
PRIVATE_CHANNELS = (DM_CHANNEL, GROUP_DM_CHANNEL)
CATEGORY_CHANNEL = 4


@dataclass(eq=False)
class User:
    """A Discord user (or the bot's own user)."""

    id: int
    username: str
    bot: bool = False
    global_name: str | None = None

    @property
    def mention(self) -> str:
        """``<@id>``."""
        return f"<@{self.id}>"

    def to_dict(self) -> dict[str, Any]:
        """The user object as Discord sends it."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "primary_guild": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass(eq=False)
class Role:
    """A guild role; the @everyone role has the guild's id."""

    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    mentionable: bool = False
    bot_id: int | None = None  # set for the bot's managed role

    @property
    def mention(self) -> str:
        """``<@&id>``."""
        return f"<@&{self.id}>"

    def to_dict(self) -> dict[str, Any]:
        """The role object as Discord sends it."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "managed": self.bot_id is not None,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass
class Overwrite:
    """A channel permission overwrite for a role (type 0) or a member (type 1)."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The overwrite object as Discord sends it."""
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


@dataclass(eq=False)
class Channel:
    """A guild channel (text, voice, category) or a DM channel."""

    id: int
    guild_id: int | None
    name: str
    type: int = TEXT_CHANNEL
    position: int = 0
    topic: str | None = None
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    recipient_ids: list[int] = field(default_factory=list)  # DM channels only
    deleted: bool = False

    @property
    def mention(self) -> str:
        """``<#id>``."""
        return f"<#{self.id}>"

    def to_dict(self) -> dict[str, Any]:
        """The channel object as Discord sends it (without recipients for DMs; see serialize)."""
        data: dict[str, Any] = {"id": str(self.id), "type": self.type, "name": self.name, "last_message_id": None}
        if self.guild_id is None:
            return data
        data.update(
            guild_id=str(self.guild_id),
            position=self.position,
            parent_id=None,
            topic=self.topic,
            nsfw=False,
            rate_limit_per_user=0,
            flags=0,
            permission_overwrites=[o.to_dict() for o in self.overwrites.values()],
        )
        if self.type == VOICE_CHANNEL:  # discord.py KeyErrors without these (channel.py VoiceChannel._update)
            data.update(bitrate=64000, user_limit=0, rtc_region=None)
        return data


@dataclass(eq=False)
class Member:
    """A user's membership in a guild."""

    user: User
    guild_id: int
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: float = field(default_factory=time.time)


@dataclass(eq=False)
class Guild:
    """A guild with its roles, channels and members."""

    id: int
    name: str
    owner_id: int
    premium_tier: int = 0
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)

    @property
    def filesize_limit(self) -> int:
        """Per-file upload limit for this guild's boost tier."""
        return TIER_UPLOAD_LIMITS.get(self.premium_tier, TIER_UPLOAD_LIMITS[0])

    @property
    def text_channels(self) -> list[Channel]:
        """Live text channels in position order."""
        chans = [c for c in self.channels.values() if c.type == TEXT_CHANNEL and not c.deleted]
        return sorted(chans, key=lambda c: c.position)
