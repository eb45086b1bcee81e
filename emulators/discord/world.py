"""The emulator's state: users, guilds, channels, messages, commands, interactions, and builders for them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ._util import INTENT_GUILD_MEMBERS, INTENT_GUILDS, SnowflakeFactory
from .models import DM_CHANNEL, GROUP_DM_CHANNEL, TEXT_CHANNEL, Channel, Guild, Member, Overwrite, Role, User
from .perms import DEFAULT_BOT, DEFAULT_EVERYONE, PermissionsLike, channel_permissions, perm_value
from .records import Attachment, Interaction, Message
from .serialize import Serializer

T = TypeVar("T")
UserLike = User | Member | int
ChannelLike = Channel | int
MessageLike = Message | int


class World(Serializer):
    """Everything the emulated Discord knows. ``DiscordEmulator`` adds the server on top."""

    def __init__(
        self, *, token: str = "emu-bot-token", bot_name: str = "videobot", privileged_intents: int = 0
    ) -> None:
        self.snowflakes = SnowflakeFactory()
        self.token = token
        # Privileged intents "enabled in the developer portal"; IDENTIFY asking for others is closed with 4014.
        self.privileged_intents = privileged_intents
        self.bot = User(self.snowflakes.next(), bot_name, bot=True)
        self.application_id = self.bot.id  # modern apps: application id == bot user id
        self.users: dict[int, User] = {self.bot.id: self.bot}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.message_store: dict[int, Message] = {}  # insertion order is creation order
        self.attachments: dict[int, Attachment] = {}
        self.user_installs: set[int] = set()  # users who installed the app on their account
        self.clock_offset = 0.0  # advance(): the interaction clock runs ahead of the real one
        self.global_commands: dict[int, dict[str, Any]] = {}
        self.guild_commands: dict[int, dict[int, dict[str, Any]]] = {}
        self.interactions: dict[int, Interaction] = {}
        self.interactions_by_token: dict[str, Interaction] = {}
        self.base_url = "http://127.0.0.1:0"  # replaced when the server starts
        self._waiters: list[asyncio.Future[None]] = []
        self.alice = self.add_user("alice")
        self.admin = self.add_user("admin")
        self.owner = self.add_user("owner")
        self.guild = self.add_guild("Test Guild", owner=self.owner)
        self.channel = self.guild.text_channels[0]
        self.add_member(self.guild, self.alice)
        self.admin_role = self.add_role(self.guild, "Admin", ["manage_guild"])
        self.add_member(self.guild, self.admin, roles=[self.admin_role])

    # ----- hooks the server overrides -------------------------------------------------------------
    def dispatch(self, event: str, data: dict[str, Any], *, intent: int = 0, guild_id: int | None = None) -> None:
        """Send a gateway event to connected bots (no-op until the gateway exists)."""

    # ----- builders ---------------------------------------------------------------------------------
    def add_user(self, username: str, *, bot: bool = False, global_name: str | None = None) -> User:
        """Create a user (not yet a member of any guild)."""
        user = User(self.snowflakes.next(), username, bot=bot, global_name=global_name)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str = "Guild",
        *,
        owner: UserLike | None = None,
        premium_tier: int = 0,
        channels: Iterable[str] = ("general",),
        everyone_permissions: PermissionsLike = DEFAULT_EVERYONE,
        bot_permissions: PermissionsLike = DEFAULT_BOT,
        with_bot: bool = True,
    ) -> Guild:
        """Create a guild with @everyone, the bot (with a managed role) and text channels.  ``with_bot=False``: a
        server that never invited the bot (only a user-installed app reaches it; the bot hears nothing of it)."""
        owner_user = self.user(owner) if owner is not None else self.add_user(f"{name.lower().replace(' ', '-')}-owner")
        guild = Guild(self.snowflakes.next(), name, owner_user.id, premium_tier=premium_tier)
        guild.roles[guild.id] = Role(guild.id, guild.id, "@everyone", perm_value(everyone_permissions))
        self.guilds[guild.id] = guild
        if with_bot:
            bot_role = Role(self.snowflakes.next(), guild.id, self.bot.username, perm_value(bot_permissions), 1)
            bot_role.bot_id = self.bot.id
            guild.roles[bot_role.id] = bot_role
            guild.members[self.bot.id] = Member(self.bot, guild.id, [bot_role.id])
        guild.members[owner_user.id] = Member(owner_user, guild.id)
        for position, channel_name in enumerate(channels):
            self.add_channel(guild, channel_name, position=position, announce=False)
        if not with_bot:
            return guild
        data = self.guild_dict(guild, all_members=False)
        self.dispatch("GUILD_CREATE", data, intent=INTENT_GUILDS, guild_id=guild.id)
        return guild

    def add_channel(
        self, guild: Guild, name: str, *, type: int = TEXT_CHANNEL, position: int | None = None, announce: bool = True
    ) -> Channel:
        """Create a channel in ``guild`` (CHANNEL_CREATE is sent to connected bots)."""
        pos = len(guild.channels) if position is None else position
        channel = Channel(self.snowflakes.next(), guild.id, name, type=type, position=pos)
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        if announce:
            self.dispatch("CHANNEL_CREATE", self.channel_dict(channel), intent=INTENT_GUILDS, guild_id=guild.id)
        return channel

    def add_private_channel(self, *users: UserLike) -> Channel:
        """A DM between two users (a group DM for three or more) the bot is not part of: only an app installed on
        a user reaches it, through the interaction token (the bot may not post there)."""
        ids = [self.user(u).id for u in users]
        if len(ids) < 2:
            raise ValueError("a private channel has at least two users")
        kind = DM_CHANNEL if len(ids) == 2 else GROUP_DM_CHANNEL
        name = "" if kind == DM_CHANNEL else ", ".join(self.users[i].username for i in ids)
        channel = Channel(self.snowflakes.next(), None, name, type=kind, recipient_ids=ids)
        self.channels[channel.id] = channel
        return channel

    def install_on_user(self, user: UserLike) -> None:
        """The user installs the app on their account (user install): its user-installable commands follow them
        into DMs, group DMs and servers the bot is not in."""
        self.user_installs.add(self.user(user).id)

    # ----- the interaction clock ----------------------------------------------------------------------
    def now(self) -> float:
        """Monotonic seconds as the interaction windows see them (3 s to answer, 15 min of token)."""
        return time.monotonic() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the interaction clock forward (e.g. past a token's 15 minutes) without waiting."""
        self.clock_offset += seconds
        self.notify()

    def add_role(self, guild: Guild, name: str, permissions: PermissionsLike = 0, *, mentionable: bool = False) -> Role:
        """Create a role in ``guild``."""
        role = Role(self.snowflakes.next(), guild.id, name, perm_value(permissions), len(guild.roles), mentionable)
        guild.roles[role.id] = role
        data = {"guild_id": str(guild.id), "role": role.to_dict()}
        self.dispatch("GUILD_ROLE_CREATE", data, intent=INTENT_GUILDS, guild_id=guild.id)
        return role

    def add_member(
        self,
        guild: Guild,
        user: UserLike,
        *,
        permissions: PermissionsLike = None,
        roles: Iterable[Role | int] = (),
        nick: str | None = None,
    ) -> Member:
        """Add ``user`` to ``guild``; ``permissions`` creates a personal role granting them."""
        the_user = self.user(user)
        role_ids = [r.id if isinstance(r, Role) else int(r) for r in roles]
        if permissions is not None and perm_value(permissions):
            role_ids.append(self.add_role(guild, f"{the_user.username}-perms", permissions).id)
        member = Member(the_user, guild.id, role_ids, nick=nick)
        guild.members[the_user.id] = member
        data = {"guild_id": str(guild.id), **self.member_dict(member)}
        self.dispatch("GUILD_MEMBER_ADD", data, intent=INTENT_GUILD_MEMBERS, guild_id=guild.id)
        return member

    def set_overwrite(
        self,
        channel: ChannelLike,
        target: Role | UserLike,
        *,
        allow: PermissionsLike = None,
        deny: PermissionsLike = None,
    ) -> Overwrite:
        """Add to (or create) a channel overwrite for a role or member; CHANNEL_UPDATE is sent."""
        chan = self.channel_of(channel)
        if isinstance(target, Role):
            key, kind = target.id, 0
        else:
            key, kind = self.user(target).id, 1
        ow = chan.overwrites.setdefault(key, Overwrite(key, kind))
        ow.allow = (ow.allow | perm_value(allow)) & ~perm_value(deny)
        ow.deny = (ow.deny | perm_value(deny)) & ~perm_value(allow)
        self.dispatch("CHANNEL_UPDATE", self.channel_dict(chan), intent=INTENT_GUILDS, guild_id=chan.guild_id)
        return ow

    def deny_bot_permission(self, channel: ChannelLike, *names: str) -> None:
        """Take permissions (e.g. ``"attach_files"``, ``"add_reactions"``) from the bot in one channel.

        The emulator then answers 403 50013 Missing Permissions when the bot needs them there, including
        interaction responses/followups carrying files (for ``attach_files``).
        """
        self.set_overwrite(channel, self.bot, deny=list(names))

    def set_premium_tier(self, guild: Guild, tier: int) -> None:
        """Change a guild's boost tier (and so its upload limit); GUILD_UPDATE is sent."""
        guild.premium_tier = tier
        data = self.guild_dict(guild, all_members=False)
        self.dispatch("GUILD_UPDATE", data, intent=INTENT_GUILDS, guild_id=guild.id)

    # ----- lookups ----------------------------------------------------------------------------------
    def user(self, user: UserLike | str) -> User:
        """Resolve a User, Member, id or username to the User."""
        if isinstance(user, User):
            return user
        if isinstance(user, Member):
            return user.user
        if isinstance(user, str):
            for candidate in self.users.values():
                if candidate.username == user:
                    return candidate
            raise KeyError(f"no user named {user!r}")
        return self.users[int(user)]

    def channel_of(self, channel: ChannelLike) -> Channel:
        """Resolve a Channel or id."""
        return channel if isinstance(channel, Channel) else self.channels[int(channel)]

    def get_message(self, message: MessageLike) -> Message:
        """Resolve a Message or id (deleted messages included)."""
        return message if isinstance(message, Message) else self.message_store[int(message)]

    def member(self, guild_id: int | None, user: UserLike) -> Member | None:
        """The user's member object in that guild, if any."""
        guild = self.guilds.get(guild_id) if guild_id is not None else None
        return None if guild is None else guild.members.get(self.user(user).id)

    def permissions_for(self, user: UserLike, channel: ChannelLike) -> int:
        """The user's effective permission bits in a channel (0 if not a member)."""
        chan = self.channel_of(channel)
        guild = self.guilds.get(chan.guild_id) if chan.guild_id is not None else None
        member = self.member(chan.guild_id, user)
        if guild is None or member is None:
            return 0
        return channel_permissions(guild, member, chan)

    # ----- reading messages -------------------------------------------------------------------------
    def messages(
        self, channel: ChannelLike | None = None, *, ephemeral: bool = True, deleted: bool = False
    ) -> list[Message]:
        """Messages in creation order, optionally in one channel; ephemeral ones included by default."""
        chan_id = None if channel is None else self.channel_of(channel).id
        return [
            m
            for m in self.message_store.values()
            if (chan_id is None or m.channel_id == chan_id)
            and (ephemeral or not m.ephemeral)
            and (deleted or not m.deleted)
        ]

    def last_message(self, channel: ChannelLike | None = None) -> Message | None:
        """The newest live message (optionally in one channel)."""
        found = self.messages(channel)
        return found[-1] if found else None

    # ----- waiting ----------------------------------------------------------------------------------
    def notify(self) -> None:
        """Wake everything waiting in ``wait_until`` (called after every state change)."""
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def wait_until(self, predicate: Callable[[], T | None], timeout: float = 15.0, what: str = "condition") -> T:
        """Re-check ``predicate`` after every emulator state change until it returns something truthy."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append(fut)
            try:
                await asyncio.wait_for(fut, remaining)
            except TimeoutError:
                pass

    async def wait_for_message(
        self,
        predicate: Callable[[Message], bool] | None = None,
        timeout: float = 15.0,
        *,
        channel: ChannelLike | None = None,
    ) -> Message:
        """The first live message (existing or future, edits re-checked) matching ``predicate``."""

        def find() -> Message | None:
            return next((m for m in self.messages(channel) if predicate is None or predicate(m)), None)

        return await self.wait_until(find, timeout, "a matching message")
