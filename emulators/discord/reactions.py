"""Reaction state changes and the gateway events real Discord sends for them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._util import INTENT_GUILD_MESSAGE_REACTIONS
from .models import User
from .records import Message
from .serialize import emoji_dict

if TYPE_CHECKING:
    from .world import World


def _base(msg: Message, key: str) -> dict[str, Any]:
    data: dict[str, Any] = {"channel_id": str(msg.channel_id), "message_id": str(msg.id), "emoji": emoji_dict(key)}
    if msg.guild_id is not None:
        data["guild_id"] = str(msg.guild_id)
    return data


def add_reaction(world: World, msg: Message, user: User, key: str) -> bool:
    """Add ``user``'s reaction; False (and no event) if it was already there, as on Discord."""
    users = msg.reactions.setdefault(key, [])
    if user.id in users:
        return False
    users.append(user.id)
    data = _base(msg, key)
    data.update(user_id=str(user.id), burst=False, burst_colors=[], type=0, message_author_id=str(msg.author.id))
    member = world.member(msg.guild_id, user)
    if member is not None:
        data["member"] = world.member_dict(member)
    world.dispatch("MESSAGE_REACTION_ADD", data, intent=INTENT_GUILD_MESSAGE_REACTIONS, guild_id=msg.guild_id)
    world.notify()
    return True


def remove_reaction(world: World, msg: Message, user: User, key: str) -> bool:
    """Remove one user's reaction; False if it was not there."""
    users = msg.reactions.get(key, [])
    if user.id not in users:
        return False
    users.remove(user.id)
    if not users:
        msg.reactions.pop(key, None)
    data = _base(msg, key)
    data.update(user_id=str(user.id), burst=False, type=0)
    world.dispatch("MESSAGE_REACTION_REMOVE", data, intent=INTENT_GUILD_MESSAGE_REACTIONS, guild_id=msg.guild_id)
    world.notify()
    return True


def remove_emoji(world: World, msg: Message, key: str) -> None:
    """Remove every reaction of one emoji."""
    if msg.reactions.pop(key, None):
        event = _base(msg, key)
        world.dispatch(
            "MESSAGE_REACTION_REMOVE_EMOJI", event, intent=INTENT_GUILD_MESSAGE_REACTIONS, guild_id=msg.guild_id
        )
        world.notify()


def remove_all(world: World, msg: Message) -> None:
    """Remove every reaction on the message."""
    if msg.reactions:
        msg.reactions.clear()
        data = _base(msg, "x")
        data.pop("emoji")
        world.dispatch(
            "MESSAGE_REACTION_REMOVE_ALL", data, intent=INTENT_GUILD_MESSAGE_REACTIONS, guild_id=msg.guild_id
        )
        world.notify()
