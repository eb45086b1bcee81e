"""Test-side interactions: building INTERACTION_CREATE payloads from synced commands, and the handle."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .messages import store_attachment
from .models import Channel, Member, Role, User
from .perms import base_permissions, perm_value
from .records import Interaction, Message

if TYPE_CHECKING:
    from .world import World

USE_APP_COMMANDS = perm_value("use_application_commands")
SUBCOMMAND_TYPES = (1, 2)


class CommandNotSynced(LookupError):
    """The test invoked a command the bot never synced (Discord would not even show it)."""


class CommandNotPermitted(PermissionError):
    """The user may not use this command here (default_member_permissions / Use Application Commands, or the
    command's ``contexts`` and ``integration_types`` do not cover this place)."""


# Interaction context types (Discord API): where a command is used.
GUILD_CONTEXT, BOT_DM_CONTEXT, PRIVATE_CHANNEL_CONTEXT = 0, 1, 2
GUILD_INSTALL, USER_INSTALL = 0, 1


def bot_is_member(world: World, channel: Channel) -> bool:
    """Whether the bot is in the channel's server, or a recipient of the DM."""
    if channel.guild_id is None:
        return world.bot.id in channel.recipient_ids or not channel.recipient_ids  # no recipients: the bot's DM
    return world.member(channel.guild_id, world.bot) is not None


def context_of(world: World, channel: Channel) -> int:
    """The interaction ``context``: a server, the bot's DM, or a private channel (DM or group DM of users)."""
    if channel.guild_id is not None:
        return GUILD_CONTEXT
    return BOT_DM_CONTEXT if bot_is_member(world, channel) else PRIVATE_CHANNEL_CONTEXT


# Discord (docs, "Interaction Object" → app_permissions, read 2026-12-06): where the app is user-installed and the bot
# is no member, its permissions are @everyone's there plus these, so its answers may embed links and attach files.
USER_INSTALL_PERMISSIONS = perm_value(["attach_files", "embed_links", "mention_everyone"])


def app_permissions(world: World, channel: Channel) -> int:
    """What the app may do in its answers in ``channel``: the bot's permissions, or a user install's."""
    if bot_is_member(world, channel):
        return world.permissions_for(world.bot, channel)
    if channel.guild_id is None:
        return USER_INSTALL_PERMISSIONS
    guild = world.guilds[channel.guild_id]
    return guild.roles[guild.id].permissions | USER_INSTALL_PERMISSIONS


def check_installed(world: World, cmd: dict[str, Any], user: User, channel: Channel) -> None:
    """A command shows only in the contexts it allows; where the bot is no member only through the user's own
    install (the user installed the app, and the command is user-installable)."""
    context = context_of(world, channel)
    contexts = cmd.get("contexts")
    if contexts is not None and context not in contexts:
        raise CommandNotPermitted(f"/{cmd['name']} is not offered in context {context} (contexts {contexts})")
    if bot_is_member(world, channel):
        return
    if user.id not in world.user_installs:
        raise CommandNotPermitted(f"the bot is not here and {user.username} has not installed the app")
    if USER_INSTALL not in (cmd.get("integration_types") or [GUILD_INSTALL]):
        raise CommandNotPermitted(f"/{cmd['name']} cannot be installed on a user (integration_types)")


@dataclass
class Upload:
    """A file a user attaches to a slash command option (type 11)."""

    filename: str
    data: bytes
    content_type: str | None = None

    @classmethod
    def coerce(cls, value: Any) -> Upload:
        """Accept an Upload, ``(filename, bytes)``, a ``Path`` or raw bytes."""
        if isinstance(value, Upload):
            return value
        if isinstance(value, tuple):
            return cls(str(value[0]), bytes(value[1]), *value[2:])
        if isinstance(value, Path):
            return cls(value.name, value.read_bytes())
        if isinstance(value, bytes | bytearray):
            return cls("file.bin", bytes(value))
        raise TypeError(f"cannot use {type(value).__name__} as an attachment option")


def synced_command(world: World, name: str, guild_id: int | None, kind: int = 1) -> dict[str, Any]:
    """The synced command of type ``kind`` (1 slash, 2 user, 3 message) called ``name``, guild ones first."""
    pools = [world.guild_commands.get(guild_id, {}).values()] if guild_id else []
    pools.append(world.global_commands.values())
    cmd = next((c for pool in pools for c in pool if c["name"] == name and c.get("type", 1) == kind), None)
    if cmd is None:
        synced = sorted({c["name"] for pool in pools for c in pool if c.get("type", 1) == kind})
        raise CommandNotSynced(f"{name!r} (type {kind}) was never synced to Discord (synced: {synced})")
    return cmd


def find_command(world: World, path: str, guild_id: int | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The synced command for ``"name [group] [sub]"`` (guild commands first) and the subcommand chain."""
    top, *subs = path.split()
    cmd = synced_command(world, top, guild_id)
    chain: list[dict[str, Any]] = []
    level: dict[str, Any] = cmd
    for name in subs:
        nxt = next((o for o in level.get("options", []) if o["name"] == name and o["type"] in SUBCOMMAND_TYPES), None)
        if nxt is None:
            raise CommandNotSynced(f"/{path}: {name!r} is not a synced subcommand")
        chain.append(nxt)
        level = nxt
    if any(o["type"] in SUBCOMMAND_TYPES for o in level.get("options", [])):
        raise ValueError(f"/{path} is a group; name one of its subcommands")
    return cmd, chain


def _resolve_user(world: World, value: Any, channel: Channel, resolved: dict[str, Any]) -> str:
    user = world.user(value)
    resolved.setdefault("users", {})[str(user.id)] = user.to_dict()
    member = world.member(channel.guild_id, user)
    if member is not None:
        resolved.setdefault("members", {})[str(user.id)] = world.member_dict(member, with_user=False, channel=channel)
    return str(user.id)


def _option(world: World, spec: dict[str, Any], value: Any, ctx: tuple[Channel, User, dict[str, Any]]) -> Any:
    """Convert one test value to the wire value for option ``spec`` (filling ``resolved``)."""
    channel, user, resolved = ctx
    kind, name = spec["type"], spec["name"]
    if kind in (3, 4, 5, 10):
        caster = {3: str, 4: int, 5: bool, 10: float}[kind]
        if kind == 4 and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"option {name!r} is an integer option")
        wire = caster(value)
        choices = [c["value"] for c in spec.get("choices") or []]
        if choices and wire not in choices:
            raise ValueError(f"option {name!r}: {wire!r} is not one of the choices {choices}")
        low, high = spec.get("min_value"), spec.get("max_value")
        if kind in (4, 10) and ((low is not None and wire < low) or (high is not None and wire > high)):
            raise ValueError(f"option {name!r}: {wire} is outside [{low}, {high}]")
        if kind == 3 and not spec.get("min_length", 0) <= len(wire) <= spec.get("max_length", 6000):
            raise ValueError(f"option {name!r}: length {len(wire)} is outside the allowed range")
        return wire
    if kind == 6 or (kind == 9 and not isinstance(value, Role)):
        return _resolve_user(world, value, channel, resolved)
    if kind in (8, 9):
        role = value if isinstance(value, Role) else world.guilds[channel.guild_id or 0].roles[int(value)]
        resolved.setdefault("roles", {})[str(role.id)] = role.to_dict()
        return str(role.id)
    if kind == 7:
        target = world.channel_of(value)
        data = {**world.channel_dict(target), "permissions": str(world.permissions_for(user, target))}
        resolved.setdefault("channels", {})[str(target.id)] = data
        return str(target.id)
    if kind == 11:
        up = Upload.coerce(value)
        att = store_attachment(world, channel.id, up.filename, up.data, content_type=up.content_type, ephemeral=True)
        resolved.setdefault("attachments", {})[str(att.id)] = att.to_dict()
        return str(att.id)
    raise ValueError(f"option {name!r} has unsupported type {kind}")


def build_options(
    world: World,
    specs: list[dict[str, Any]],
    values: dict[str, Any],
    ctx: tuple[Channel, User, dict[str, Any]],
    focused: str | None = None,
) -> list[dict[str, Any]]:
    """Wire options in schema order; unknown or (outside autocomplete) missing required ones raise."""
    known = {s["name"] for s in specs}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown option(s) {sorted(unknown)}; the command has {sorted(known)}")
    out = []
    for spec in specs:
        name = spec["name"]
        if name not in values:
            if spec.get("required") and focused is None:
                raise ValueError(f"missing required option {name!r}")
            continue
        if name == focused:
            out.append({"name": name, "type": spec["type"], "value": str(values[name]), "focused": True})
        else:
            out.append({"name": name, "type": spec["type"], "value": _option(world, spec, values[name], ctx)})
    return out


def check_permitted(world: World, cmd: dict[str, Any], user: User, channel: Channel) -> None:
    """Discord hides commands a member may not use; invoking one here raises CommandNotPermitted."""
    check_installed(world, cmd, user, channel)
    if channel.guild_id is None:
        return
    guild, member = world.guilds[channel.guild_id], world.member(channel.guild_id, user)
    if member is None:
        raise CommandNotPermitted(f"{user.username} is not a member of {guild.name}")
    if not world.permissions_for(user, channel) & USE_APP_COMMANDS:
        raise CommandNotPermitted(f"{user.username} lacks Use Application Commands in #{channel.name}")
    required = cmd.get("default_member_permissions")
    if required is not None and base_permissions(guild, member) & int(required) != int(required):
        raise CommandNotPermitted(f"/{cmd['name']} needs permissions {required} that {user.username} lacks")


def new_interaction(
    world: World,
    *,
    kind: int,
    user: User,
    channel: Channel,
    data: dict[str, Any],
    message: Message | None = None,
    name: str | None = None,
    attachment_size_limit: int | None = None,
    locale: str = "en-US",
) -> Interaction:
    """Store an interaction and build its INTERACTION_CREATE payload (not yet dispatched)."""
    guild = world.guilds.get(channel.guild_id) if channel.guild_id is not None else None
    member: Member | None = world.member(channel.guild_id, user)
    limit = attachment_size_limit or (guild.filesize_limit if guild else 10 * 1024 * 1024)
    iid, token = world.snowflakes.next(), "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
    channel_data = {**world.channel_dict(channel), "permissions": str(world.permissions_for(user, channel))}
    payload: dict[str, Any] = {
        "id": str(iid),
        "application_id": str(world.application_id),
        "type": kind,
        "token": token,
        "version": 1,
        "channel_id": str(channel.id),
        "channel": channel_data,
        "app_permissions": str(app_permissions(world, channel)),
        "locale": locale,
        "entitlements": [],
        "attachment_size_limit": limit,
        "data": data,
    }
    if guild is not None and member is not None:
        # a server that installed the app; or (user install) one that never invited the bot
        owners = {"0": str(guild.id)} if bot_is_member(world, channel) else {"1": str(user.id)}
        payload.update(
            guild_id=str(guild.id),
            guild={"id": str(guild.id), "locale": "en-US", "features": []},
            guild_locale="en-US",
            member=world.member_dict(member, channel=channel),
            authorizing_integration_owners=owners,
            context=0,
        )
    else:
        # the bot's DM, or (user install) a DM or group DM between users the bot is not part of
        context = context_of(world, channel)
        payload.update(user=user.to_dict(), authorizing_integration_owners={"1": str(user.id)}, context=context)
    if message is not None:
        payload["message"] = world.message_dict(message)
    inter = Interaction(iid, token, kind, user, channel.guild_id, channel.id, payload, limit, name=name)
    inter.message_id = message.id if message is not None else None
    world.interactions[iid] = inter
    world.interactions_by_token[token] = inter
    return inter


def send_interaction(world: World, inter: Interaction) -> None:
    """Dispatch INTERACTION_CREATE and start the 3-second clock."""
    inter.created = world.now()
    world.dispatch("INTERACTION_CREATE", inter.payload, intent=0, guild_id=inter.guild_id)
    world.notify()


def find_button(msg: Message, custom_id: str | None, label: str | None) -> dict[str, Any]:
    """The enabled, non-link button identified by custom_id or label (ValueError otherwise)."""
    buttons = msg.buttons()
    match = [b for b in buttons if (custom_id is None or b.get("custom_id") == custom_id)]
    match = [b for b in match if label is None or b.get("label") == label]
    if not match:
        seen = [(b.get("custom_id"), b.get("label")) for b in buttons]
        raise ValueError(f"no button custom_id={custom_id!r} label={label!r} on message {msg.id}; buttons: {seen}")
    button = match[0]
    if button.get("disabled") or button.get("style") == 5 or "custom_id" not in button:
        raise ValueError(f"button {button.get('label')!r} cannot be clicked (disabled or a link)")
    return button


def command_interaction(
    world: World,
    user: User,
    name: str,
    values: dict[str, Any],
    channel: Channel,
    size_limit: int | None,
    locale: str,
    focused: str | None,
) -> Interaction:
    """A type 2 (or, with ``focused``, type 4 autocomplete) interaction for a synced command."""
    cmd, chain = find_command(world, name, channel.guild_id)
    check_permitted(world, cmd, user, channel)
    resolved: dict[str, Any] = {}
    leaf = chain[-1] if chain else cmd
    opts = build_options(world, leaf.get("options", []), values, (channel, user, resolved), focused)
    for sub in reversed(chain):
        opts = [{"name": sub["name"], "type": sub["type"], "options": opts}]
    data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": opts}
    if resolved:
        data["resolved"] = resolved
    if "guild_id" in cmd:
        data["guild_id"] = cmd["guild_id"]
    kind = 2 if focused is None else 4
    return new_interaction(
        world,
        kind=kind,
        user=user,
        channel=channel,
        data=data,
        name=name,
        attachment_size_limit=size_limit,
        locale=locale,
    )


def message_command_interaction(
    world: World, user: User, name: str, target: Message, size_limit: int | None, locale: str
) -> Interaction:
    """A type 2 interaction for the message command ``name`` (Apps menu) on ``target``: ``data.type`` 3 with
    ``target_id`` and the message in ``resolved.messages`` (Discord's docs, "Application Commands: Message
    Commands", read 2026-12-06)."""
    channel = world.channels[target.channel_id]
    cmd = synced_command(world, name, channel.guild_id, kind=3)
    check_permitted(world, cmd, user, channel)
    if target.deleted:
        raise ValueError(f"message {target.id} was deleted")
    if target.ephemeral:
        raise ValueError(f"ephemeral message {target.id} has no Apps menu")
    resolved = {"messages": {str(target.id): world.message_dict(target, nested=True)}}
    data: dict[str, Any] = {
        "id": cmd["id"],
        "name": cmd["name"],
        "type": 3,
        "target_id": str(target.id),
        "resolved": resolved,
    }
    if "guild_id" in cmd:
        data["guild_id"] = cmd["guild_id"]
    return new_interaction(
        world,
        kind=2,
        user=user,
        channel=channel,
        data=data,
        name=name,
        attachment_size_limit=size_limit,
        locale=locale,
    )


def check_clickable(world: World, msg: Message, user: User) -> None:
    """Deleted messages cannot be clicked; ephemeral ones only by the user who saw them."""
    if msg.deleted:
        raise ValueError(f"message {msg.id} was deleted")
    owner = world.interactions[msg.interaction_id].user if msg.ephemeral and msg.interaction_id else None
    if owner is not None and owner.id != user.id:
        raise ValueError(f"only {owner.username} can see ephemeral message {msg.id}")


def select_data(msg: Message, custom_id: str, values: Iterable[str]) -> dict[str, Any]:
    """Interaction data for picking ``values`` in an enabled select menu."""
    component = msg.find_component(custom_id)
    if component is None or component.get("type") not in (3, 5, 6, 7, 8) or component.get("disabled"):
        raise ValueError(f"no enabled select menu {custom_id!r} on message {msg.id}")
    picked = [str(v) for v in values]
    allowed = {o["value"] for o in component.get("options") or []}
    if component["type"] == 3 and not set(picked) <= allowed:
        raise ValueError(f"{picked} are not all options of {custom_id!r}: {sorted(allowed)}")
    return {"custom_id": custom_id, "component_type": component["type"], "values": picked}
