"""REST: channel messages (send/fetch/edit/delete/history), reactions, typing — with permission checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from ._util import ApiError, json_response, missing_permissions, unknown_channel, unknown_message
from .messages import check_file_sizes, create_message, delete_message, edit_message, read_body, same_nonce
from .models import Channel
from .perms import VIEW_CHANNEL, perm_value
from .reactions import add_reaction, remove_all, remove_emoji, remove_reaction
from .records import Message
from .rest_core import emu_of
from .serialize import normalize_emoji

if TYPE_CHECKING:
    from .emulator import DiscordEmulator

SEND = perm_value("send_messages")
ATTACH = perm_value("attach_files")
HISTORY = perm_value("read_message_history")
REACT = perm_value("add_reactions")
MANAGE = perm_value("manage_messages")
MAX_LIMIT = 100


def live_channel(emu: DiscordEmulator, request: web.Request) -> Channel:
    """The channel in the URL, or 404 10003 (unknown or "deleted")."""
    channel = emu.channels.get(int(request.match_info["channel_id"]))
    if channel is None or channel.deleted:
        raise unknown_channel()
    return channel


def require(emu: DiscordEmulator, channel: Channel, bits: int) -> None:
    """403 50001 without View Channel, 403 50013 without ``bits`` (the bot's DMs need nothing; a DM or group DM
    between users that the bot is not part of, where a user-installed app is used, is 50001)."""
    if channel.guild_id is None:
        if channel.recipient_ids and emu.bot.id not in channel.recipient_ids:
            raise ApiError(403, 50001, "Missing Access")
        return
    perms = emu.permissions_for(emu.bot, channel)
    if not perms & VIEW_CHANNEL:
        raise ApiError(403, 50001, "Missing Access")
    if perms & bits != bits:
        raise missing_permissions()


def live_message(emu: DiscordEmulator, channel: Channel, request: web.Request) -> Message:
    """The message in the URL, or 404 10008 (unknown, deleted, ephemeral or in another channel)."""
    msg = emu.message_store.get(int(request.match_info["message_id"]))
    if msg is None or msg.deleted or msg.ephemeral or msg.channel_id != channel.id:
        raise unknown_message()
    return msg


def upload_limit(emu: DiscordEmulator, channel: Channel) -> int:
    """Per-file limit for a channel (its guild's boost tier; 10 MiB in DMs)."""
    guild = emu.guilds.get(channel.guild_id) if channel.guild_id is not None else None
    return guild.filesize_limit if guild else 10 * 1024 * 1024


async def get_channel(request: web.Request) -> web.Response:
    """GET /channels/{channel_id}."""
    emu = emu_of(request)
    channel = live_channel(emu, request)
    require(emu, channel, 0)
    return json_response(emu.channel_dict(channel))


async def post_message(request: web.Request) -> web.Response:
    """POST /channels/{channel_id}/messages (JSON or multipart)."""
    emu = emu_of(request)
    channel = live_channel(emu, request)
    body = await read_body(request)
    needed = SEND | (ATTACH if body.files else 0) | (HISTORY if body.payload.get("message_reference") else 0)
    require(emu, channel, needed)
    check_file_sizes(body.files, upload_limit(emu, channel))
    msg = same_nonce(emu, channel, emu.bot, body.payload) or create_message(emu, channel, emu.bot, body)
    return json_response(emu.message_dict(msg))


async def get_messages(request: web.Request) -> web.Response:
    """GET /channels/{channel_id}/messages: history, newest first (limit/before/after/around)."""
    emu = emu_of(request)
    channel = live_channel(emu, request)
    require(emu, channel, HISTORY)
    limit = min(max(int(request.query.get("limit", 50)), 1), MAX_LIMIT)
    msgs = emu.messages(channel, ephemeral=False)
    if "before" in request.query:
        msgs = [m for m in msgs if m.id < int(request.query["before"])]
    if "after" in request.query:
        msgs = [m for m in msgs if m.id > int(request.query["after"])][:limit]
    if "around" in request.query:
        pivot = int(request.query["around"])
        older = [m for m in msgs if m.id <= pivot][-(limit - limit // 2) :]
        msgs = older + [m for m in msgs if m.id > pivot][: limit // 2]
    newest_first = list(reversed(msgs))[:limit]
    return json_response([emu.message_dict(m) for m in newest_first])


async def message(request: web.Request) -> web.StreamResponse:
    """GET/PATCH/DELETE /channels/{channel_id}/messages/{message_id}."""
    emu = emu_of(request)
    channel = live_channel(emu, request)
    require(emu, channel, HISTORY if request.method == "GET" else 0)
    msg = live_message(emu, channel, request)
    if request.method == "DELETE":
        if msg.author.id != emu.bot.id:
            require(emu, channel, MANAGE)
        delete_message(emu, msg)
        return web.Response(status=204)
    if request.method == "PATCH":
        if msg.author.id != emu.bot.id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        body = await read_body(request)
        if body.files:
            require(emu, channel, ATTACH)
            check_file_sizes(body.files, upload_limit(emu, channel))
        edit_message(emu, msg, body)
    return json_response(emu.message_dict(msg))


async def reactions(request: web.Request) -> web.StreamResponse:
    """PUT/DELETE/GET on .../reactions[/{emoji}[/{user}]] (``@me`` is the bot)."""
    emu = emu_of(request)
    channel = live_channel(emu, request)
    require(emu, channel, HISTORY)
    msg = live_message(emu, channel, request)
    raw_emoji = request.match_info.get("emoji")
    key = normalize_emoji(raw_emoji) if raw_emoji else None
    who = request.match_info.get("user")
    if request.method == "GET" and key is not None:
        users = [emu.users[u].to_dict() for u in msg.reactions.get(key, [])]
        return json_response(users[: int(request.query.get("limit", 25))])
    if request.method == "PUT" and key is not None and who == "@me":
        # Add Reactions is only needed to be the first to use an emoji on a message.
        if not msg.reactions.get(key):
            require(emu, channel, REACT)
        add_reaction(emu, msg, emu.bot, key)
        return web.Response(status=204)
    if request.method != "DELETE":
        raise web.HTTPMethodNotAllowed(request.method, ["DELETE"])
    if key is None:
        require(emu, channel, MANAGE)
        remove_all(emu, msg)
    elif who is None:
        require(emu, channel, MANAGE)
        remove_emoji(emu, msg, key)
    elif who == "@me":
        remove_reaction(emu, msg, emu.bot, key)
    else:
        require(emu, channel, MANAGE)
        user = emu.users.get(int(who))
        if user is not None:
            remove_reaction(emu, msg, user, key)
    return web.Response(status=204)


async def typing(request: web.Request) -> web.Response:
    """POST /channels/{channel_id}/typing."""
    emu = emu_of(request)
    require(emu, live_channel(emu, request), SEND)
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    """Register this module's routes."""
    chan = "/api/v10/channels/{channel_id:\\d+}"
    msg = chan + "/messages/{message_id:\\d+}"
    app.router.add_get(chan, get_channel)
    app.router.add_post(chan + "/messages", post_message)
    app.router.add_get(chan + "/messages", get_messages)
    app.router.add_route("*", msg, message)
    app.router.add_route("*", msg + "/reactions", reactions)
    app.router.add_route("*", msg + "/reactions/{emoji}", reactions)
    app.router.add_route("*", msg + "/reactions/{emoji}/{user}", reactions)
    app.router.add_post(chan + "/typing", typing)
