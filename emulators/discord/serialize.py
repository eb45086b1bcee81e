"""Turning the emulator's objects into the JSON payloads discord.py parses."""

from __future__ import annotations

from typing import Any

from ._util import iso
from .models import PRIVATE_CHANNELS, Channel, Guild, Member, User
from .perms import channel_permissions
from .records import Interaction, Message


def emoji_dict(key: str) -> dict[str, Any]:
    """``"⏩"`` → ``{"id": None, "name": "⏩"}``; ``"name:123"`` → ``{"id": "123", "name": "name"}``."""
    name, sep, emoji_id = key.rpartition(":")
    if sep and emoji_id.isdigit():
        return {"id": emoji_id, "name": name}
    return {"id": None, "name": key}


def normalize_emoji(emoji: str) -> str:
    """Accept ``"⏩"``, ``"name:id"``, ``":name:id"``, ``"<:name:id>"`` or ``"<a:name:id>"``; return ``"name:id"``."""
    emoji = emoji.strip().strip("<>")  # discord.py itself sends "<:n:id>" stripped to ":n:id"
    name, sep, emoji_id = emoji.rpartition(":")
    if sep and emoji_id.isdigit():
        return f"{name.removeprefix('a:').lstrip(':')}:{emoji_id}"
    return emoji


class Serializer:
    """Mixin for ``World``: payload builders that need to look things up."""

    # Provided by World.
    guilds: dict[int, Guild]
    users: dict[int, User]
    bot: User
    application_id: int
    message_store: dict[int, Message]
    interactions: dict[int, Interaction]

    def member(self, guild_id: int | None, user: User) -> Member | None:  # pragma: no cover - World overrides
        """The user's member object in that guild, if any."""
        raise NotImplementedError

    def member_dict(self, member: Member, *, with_user: bool = True, channel: Channel | None = None) -> dict[str, Any]:
        """A guild member object; ``channel`` adds the ``permissions`` string interactions carry."""
        data: dict[str, Any] = {
            "roles": [str(r) for r in member.role_ids],
            "nick": member.nick,
            "avatar": None,
            "banner": None,
            "joined_at": iso(member.joined_at),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = member.user.to_dict()
        if channel is not None:
            guild = self.guilds[member.guild_id]
            data["permissions"] = str(channel_permissions(guild, member, channel))
        return data

    def channel_dict(self, channel: Channel) -> dict[str, Any]:
        """A channel object (DMs include recipients)."""
        data = channel.to_dict()
        if channel.type in PRIVATE_CHANNELS:
            data["recipients"] = [self.users[u].to_dict() for u in channel.recipient_ids]
        return data

    def guild_dict(self, guild: Guild, *, all_members: bool) -> dict[str, Any]:
        """A GUILD_CREATE payload; without the members intent Discord only includes the bot (and owner here)."""
        members = [m for m in guild.members.values() if all_members or m.user.id in (self.bot.id, guild.owner_id)]
        live_channels = [c for c in guild.channels.values() if not c.deleted]
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "owner_id": str(guild.owner_id),
            "premium_tier": guild.premium_tier,
            "premium_subscription_count": 0,
            "member_count": len(guild.members),
            "large": len(guild.members) >= 250,
            "unavailable": False,
            "joined_at": iso(guild.members[self.bot.id].joined_at) if self.bot.id in guild.members else None,
            "roles": [r.to_dict() for r in guild.roles.values()],
            "channels": [self.channel_dict(c) for c in live_channels],
            "members": [self.member_dict(m) for m in members],
            "threads": [],
            "emojis": [],
            "stickers": [],
            "voice_states": [],
            "presences": [],
            "features": [],
            "preferred_locale": "en-US",
            "system_channel_id": str(live_channels[0].id) if live_channels else None,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "afk_timeout": 300,
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def user_with_member(self, user: User, guild_id: int | None) -> dict[str, Any]:
        """A user object with a partial ``member`` (as in ``mentions``)."""
        data = user.to_dict()
        member = self.member(guild_id, user)
        if member is not None:
            data["member"] = self.member_dict(member, with_user=False)
        return data

    def interaction_metadata(self, inter: Interaction, msg: Message) -> dict[str, Any]:
        """The ``interaction_metadata`` Discord attaches to interaction responses and followups."""
        owners = {"0": str(inter.guild_id)} if inter.guild_id else {"1": str(inter.user.id)}
        data: dict[str, Any] = {
            "id": str(inter.id),
            "type": inter.type,
            "user": inter.user.to_dict(),
            "authorizing_integration_owners": owners,
        }
        if inter.name:
            data["name"] = inter.name
        if inter.original_id is not None and msg.id != inter.original_id:
            data["original_response_message_id"] = str(inter.original_id)
        if inter.message_id is not None and inter.type == 3:
            data["interacted_message_id"] = str(inter.message_id)
        target = (inter.payload.get("data") or {}).get("target_id")
        if inter.type == 2 and target is not None and inter.payload["data"].get("type") == 3:
            data["target_message_id"] = str(target)
        opener = self.interactions.get(inter.opened_by or 0)
        if inter.type == 5 and opener is not None:  # a modal submit names the interaction that opened the modal
            data["triggering_interaction_metadata"] = self.interaction_metadata(opener, msg)
        return data

    def message_dict(self, msg: Message, *, nested: bool = False) -> dict[str, Any]:
        """A message object (with ``guild_id``/``member`` as gateway events carry them)."""
        data: dict[str, Any] = {
            "id": str(msg.id),
            "channel_id": str(msg.channel_id),
            "author": msg.author.to_dict(),
            "content": msg.content,
            "timestamp": iso(msg.created_at),
            "edited_timestamp": iso(msg.edited_at) if msg.edited_at else None,
            "tts": msg.tts,
            "mention_everyone": msg.pings.everyone,
            "mentions": [
                self.user_with_member(self.users[u], msg.guild_id) for u in msg.pings.users if u in self.users
            ],
            "mention_roles": [str(r) for r in msg.pings.roles],
            "attachments": [a.to_dict() for a in msg.attachments],
            "embeds": msg.embeds,
            "reactions": [self._reaction_dict(k, users) for k, users in msg.reactions.items() if users],
            "pinned": False,
            "type": msg.type,
            "flags": msg.flags,
            "components": msg.components,
        }
        if msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
            member = self.member(msg.guild_id, msg.author)
            if member is not None and msg.webhook_id is None:
                data["member"] = self.member_dict(member, with_user=False)
        if msg.webhook_id is not None:
            data["webhook_id"] = str(msg.webhook_id)
        if msg.nonce is not None:
            data["nonce"] = msg.nonce
        if msg.interaction_id is not None:
            data["application_id"] = str(self.application_id)
            inter = self.interactions.get(msg.interaction_id)
            if inter is not None:
                data["interaction_metadata"] = self.interaction_metadata(inter, msg)
        if msg.reference is not None:
            data["message_reference"] = msg.reference
            ref = self.message_store.get(int(msg.reference["message_id"]))
            if not nested:
                alive = ref is not None and not ref.deleted
                data["referenced_message"] = self.message_dict(ref, nested=True) if alive and ref else None
        return data

    def _reaction_dict(self, key: str, users: list[int]) -> dict[str, Any]:
        return {
            "count": len(users),
            "count_details": {"burst": 0, "normal": len(users)},
            "me": self.bot.id in users,
            "me_burst": False,
            "burst_colors": [],
            "emoji": emoji_dict(key),
        }
