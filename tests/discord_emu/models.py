"""The emulator's in-memory Discord objects (users, guilds, channels, messages, interactions)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ._util import FLAG_EPHEMERAL, FLAG_LOADING, TIER_UPLOAD_LIMITS

# Channel types (Discord API).
TEXT_CHANNEL = 0
DM_CHANNEL = 1
VOICE_CHANNEL = 2
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


@dataclass(eq=False)
class Attachment:
    """A stored upload: its bytes are served by the emulator's CDN at ``url``."""

    id: int
    channel_id: int
    filename: str
    data: bytes
    content_type: str | None
    url: str
    proxy_url: str
    ephemeral: bool = False
    description: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)

    def to_dict(self) -> dict[str, Any]:
        """The attachment object as Discord sends it."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": self.url,
            "proxy_url": self.proxy_url,
            "content_type": self.content_type,
        }
        for key in ("description", "width", "height"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.ephemeral:
            data["ephemeral"] = True
        return data


@dataclass
class Pings:
    """Who a message actually notified, after ``allowed_mentions`` and permissions were applied."""

    everyone: bool = False
    users: list[int] = field(default_factory=list)
    roles: list[int] = field(default_factory=list)

    @property
    def nobody(self) -> bool:
        """True when the message pinged no one at all."""
        return not (self.everyone or self.users or self.roles)


@dataclass(eq=False)
class Message:
    """A stored message, as the test sees it (raw embeds/components, attachment bytes, reactions)."""

    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    tts: bool = False
    # emoji key ("⏩" or "name:id") -> user ids in reaction order
    reactions: dict[str, list[int]] = field(default_factory=dict)
    allowed_mentions: dict[str, Any] | None = None  # exactly as the client sent it (None = not sent)
    pings: Pings = field(default_factory=Pings)
    reference: dict[str, Any] | None = None  # message_reference as stored
    interaction_id: int | None = None  # set for interaction responses and followups
    webhook_id: int | None = None
    deleted: bool = False
    edited_at: float | None = None
    edits: int = 0
    created_at: float = field(default_factory=time.time)

    @property
    def ephemeral(self) -> bool:
        """True for ephemeral interaction messages (never sent over the gateway)."""
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        """True while this is a deferred "thinking…" placeholder."""
        return bool(self.flags & FLAG_LOADING)

    def buttons(self) -> list[dict[str, Any]]:
        """Every button component (type 2) on the message, however deeply nested."""
        found: list[dict[str, Any]] = []

        def walk(items: list[dict[str, Any]]) -> None:
            for item in items:
                if item.get("type") == 2:
                    found.append(item)
                for key in ("components", "accessory"):
                    child = item.get(key)
                    if isinstance(child, list):
                        walk(child)
                    elif isinstance(child, dict):
                        walk([child])

        walk(self.components)
        return found

    def find_component(self, custom_id: str) -> dict[str, Any] | None:
        """The component with this custom_id (any type), or None."""
        stack = list(self.components)
        while stack:
            item = stack.pop()
            if item.get("custom_id") == custom_id:
                return item
            stack.extend(item.get("components") or [])
            if isinstance(item.get("accessory"), dict):
                stack.append(item["accessory"])
        return None


@dataclass
class CallbackAttempt:
    """One POST to an interaction's callback endpoint and how the emulator answered it."""

    type: int
    at: float  # monotonic seconds since the interaction was dispatched
    status: int
    code: int | None = None  # Discord error code when rejected (40060, 10062, ...)


@dataclass(eq=False)
class Interaction:
    """An interaction the emulator dispatched, and everything the bot did in reply."""

    id: int
    token: str
    type: int  # 2 command, 3 component, 4 autocomplete
    user: User
    guild_id: int | None
    channel_id: int
    payload: dict[str, Any]  # the INTERACTION_CREATE "d" sent to the bot
    attachment_size_limit: int
    name: str | None = None  # full command path for commands ("video extend")
    message_id: int | None = None  # the clicked message for components
    created: float = field(default_factory=time.monotonic)
    ack_type: int | None = None
    acked_at: float | None = None  # monotonic
    original_id: int | None = None  # @original message (component interactions: the clicked message)
    followup_ids: list[int] = field(default_factory=list)
    response_ids: list[int] = field(default_factory=list)  # messages the user saw as replies, in order
    choices: list[dict[str, Any]] | None = None  # autocomplete result
    modal: dict[str, Any] | None = None  # modal the bot opened
    attempts: list[CallbackAttempt] = field(default_factory=list)
    token_expired: bool = False

    @property
    def ack_latency(self) -> float | None:
        """Seconds from dispatch to the first accepted callback, or None if never acknowledged."""
        return None if self.acked_at is None else self.acked_at - self.created
