"""Message bodies (JSON or multipart), Discord's validation rules, mentions, and create/edit/delete."""

from __future__ import annotations

import hashlib
import io
import json
import mimetypes
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from ._util import (
    FLAG_COMPONENTS_V2,
    FLAG_LOADING,
    INTENT_GUILD_MESSAGES,
    REQUEST_NOTES,
    USER_SETTABLE_FLAGS,
    ApiError,
    invalid_form,
    too_large,
)
from .models import Channel, User
from .perms import perm_value
from .records import Attachment, Interaction, Message, Pings
from .validation import validate

if TYPE_CHECKING:
    from .world import World

MENTION_EVERYONE = perm_value("mention_everyone")
NONCE_MAX = 25  # characters
NONCE_WINDOW = 5 * 60.0  # seconds a nonce is remembered ("the past few minutes")
USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")


@dataclass
class MessageBody:
    """A parsed create/edit request: the JSON payload and uploaded files by index."""

    payload: dict[str, Any]
    files: dict[int, tuple[str, bytes]] = field(default_factory=dict)


# Where (in the request's REQUEST_NOTES) the REST middleware keeps the parsed body: it reads the body once, to
# check it against Discord's description before the handler runs, and a multipart stream cannot be read twice.
BODY_NOTE = "body"


@dataclass
class ParsedBody:
    """A request body as read once: the JSON value as sent (``payload_json`` for multipart) and the message
    body the handlers use (the payload when it is an object, else empty)."""

    raw: Any
    message: MessageBody


async def read_body(request: web.Request) -> MessageBody:
    """Parse a JSON body or a multipart body with ``payload_json`` and ``files[i]`` parts (the payload is also
    kept on the request for the request log, refused requests included)."""
    notes = REQUEST_NOTES.get({})
    parsed = notes.get(BODY_NOTE)
    if not isinstance(parsed, ParsedBody):
        parsed = await parse_body(request)
    notes["payload"] = parsed.message.payload
    return parsed.message


async def parse_body(request: web.Request) -> ParsedBody:
    """Read and parse the body (once: the result is kept in the request's notes for :func:`read_body`)."""
    parsed = await _parse_body(request)
    REQUEST_NOTES.get({})[BODY_NOTE] = parsed
    return parsed


async def _parse_body(request: web.Request) -> ParsedBody:
    if request.content_type.startswith("multipart/"):
        body = MessageBody({})
        raw: Any = {}
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            name = part.name or ""
            if name == "payload_json":
                raw = _json(await part.text())
                body.payload = raw if isinstance(raw, dict) else {}
            elif name.startswith("files[") and name.endswith("]"):
                body.files[int(name[6:-1])] = (part.filename or f"file{len(body.files)}", bytes(await part.read()))
        return ParsedBody(raw, body)
    if not request.can_read_body:
        return ParsedBody(None, MessageBody({}))
    raw = _json(await request.text() or "{}")  # text() keeps the bytes: request.json() still works afterwards
    return ParsedBody(raw, MessageBody(raw if isinstance(raw, dict) else {}))


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise ApiError(400, 50109, "The request body contains invalid JSON.") from None


def answered_embeds(embeds: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Embeds as Discord answers them: a sent embed is a ``rich`` one (MessageResponse requires ``type``)."""
    return [{"type": "rich", **embed} for embed in embeds or []]


def numbered(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of ``components`` as Discord answers them: each has an ``id`` (a component sent without one gets
    the next number not taken, in order: Discord's docs, "Component Reference", read 2026-12-06), and a unicode
    emoji has no ``id`` (discord.py sends ``"id": null``; Discord's ComponentEmojiResponse has a string or none)."""
    copies = json.loads(json.dumps(components))
    _drop_null_emoji_ids(copies)
    flat: list[dict[str, Any]] = []
    stack = list(reversed(copies))
    while stack:
        item = stack.pop()
        flat.append(item)
        children = list(item.get("components") or [])
        for key in ("accessory", "component"):  # a Section's accessory, a Label's field
            if isinstance(item.get(key), dict):
                children.append(item[key])
        stack.extend(reversed(children))
    taken = {c["id"] for c in flat if isinstance(c.get("id"), int)}
    next_id = 1
    for item in flat:
        if item.get("id") is None:
            while next_id in taken:
                next_id += 1
            item["id"] = next_id
            taken.add(next_id)
    return copies


def _drop_null_emoji_ids(node: Any) -> None:
    if isinstance(node, dict):
        emoji = node.get("emoji")
        if isinstance(emoji, dict) and emoji.get("id", 0) is None:
            del emoji["id"]
        for value in node.values():
            _drop_null_emoji_ids(value)
    elif isinstance(node, list):
        for item in node:
            _drop_null_emoji_ids(item)


def check_file_sizes(files: dict[int, tuple[str, bytes]], limit: int) -> None:
    """413 40005 when any single file is over the per-file limit (Discord checks per attachment)."""
    if any(len(data) > limit for _, data in files.values()):
        raise too_large()


def store_attachment(
    world: World,
    channel_id: int,
    filename: str,
    data: bytes,
    *,
    content_type: str | None = None,
    ephemeral: bool = False,
    description: str | None = None,
) -> Attachment:
    """Keep uploaded bytes and give them a signed-looking CDN URL served by the emulator."""
    att_id = world.snowflakes.next()
    now = int(time.time())
    expires = now + 24 * 3600
    digest = hashlib.sha256(f"{att_id}:{expires}".encode()).hexdigest()[:32]
    path = f"/attachments/{channel_id}/{att_id}/{quote(filename)}?ex={expires:x}&is={now:x}&hm={digest}"
    kind = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    att = Attachment(att_id, channel_id, filename, data, kind, world.base_url + path, world.base_url + path, ephemeral)
    att.description = description
    if kind.startswith("image/"):
        try:
            from PIL import Image

            with Image.open(io.BytesIO(data)) as img:
                att.width, att.height = img.size
        except Exception:  # not a decodable image: Discord then omits the size too
            pass
    world.attachments[att_id] = att
    return att


def build_attachments(
    world: World, channel_id: int, body: MessageBody, existing: list[Attachment], *, ephemeral: bool
) -> list[Attachment]:
    """Apply ``attachments`` (kept ids and new-file indexes) plus uploaded files to a message."""
    specs = body.payload.get("attachments")
    result: list[Attachment] = [] if specs is not None else list(existing)
    used: set[int] = set()
    for spec in specs or []:
        ref = int(spec["id"])
        if ref in body.files and ref not in used:
            filename, data = body.files[ref]
            result.append(
                store_attachment(
                    world,
                    channel_id,
                    spec.get("filename") or filename,
                    data,
                    ephemeral=ephemeral,
                    description=spec.get("description"),
                )
            )
            used.add(ref)
            continue
        kept = next((a for a in existing if a.id == ref), None)
        if kept is None:
            raise invalid_form("attachments", "ATTACHMENT_NOT_FOUND", f"Unknown attachment {ref}")
        result.append(kept)
    for index in sorted(set(body.files) - used):
        filename, data = body.files[index]
        result.append(store_attachment(world, channel_id, filename, data, ephemeral=ephemeral))
    return result


def readable_text(content: str, components: list[dict[str, Any]]) -> str:
    """What a message says, where mentions can ping: its content and, on a V2 message, its Text Displays."""
    texts = [content]
    stack = list(components)
    while stack:
        item = stack.pop()
        if item.get("type") == 10:
            texts.append(str(item.get("content") or ""))
        stack.extend(item.get("components") or [])
        if isinstance(item.get("accessory"), dict):
            stack.append(item["accessory"])
    return "\n".join(texts)


def _media_items(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every unfurled media item (``{"url": …}``) of a V2 tree: thumbnails', gallery items' and files'."""
    found: list[dict[str, Any]] = []
    stack = list(components)
    while stack:
        item = stack.pop()
        stack.extend(item.get("components") or [])
        if isinstance(item.get("accessory"), dict):
            stack.append(item["accessory"])
        holders = [item, *(i for i in item.get("items") or [] if isinstance(i, dict))]
        found += [h[key] for h in holders for key in ("media", "file") if isinstance(h.get(key), dict)]
    return found


def resolve_media(world: World, components: list[dict[str, Any]], attachments: list[Attachment]) -> None:
    """Answer each media item as Discord does (an id, url and proxy_url; ``attachment://name`` becomes the file's
    CDN URL with its ``attachment_id``); naming a file the message does not have is 400 50035."""
    by_name = {a.filename: a for a in attachments}
    for media in _media_items(components):
        url = str(media.get("url") or "")
        if url.startswith("attachment://"):
            att = by_name.get(url.removeprefix("attachment://"))
            if att is None:
                raise invalid_form("components", "ATTACHMENT_NOT_FOUND", f"No attached file for {url}")
            media.update(url=att.url, proxy_url=att.proxy_url, attachment_id=str(att.id), content_type=att.content_type)
            if att.width is not None:
                media.update(width=att.width, height=att.height)
        elif "proxy_url" not in media:
            media["proxy_url"] = url
        media.setdefault("id", str(world.snowflakes.next()))


def compute_pings(
    world: World,
    *,
    content: str,
    allowed: dict[str, Any] | None,
    channel: Channel,
    author: User,
    reply_to: Message | None,
) -> Pings:
    """Who actually gets notified: mentions in content, filtered by allowed_mentions and permissions."""
    parse = {"everyone", "users", "roles"} if allowed is None else set(allowed.get("parse") or [])
    users_ok = {int(u) for u in (allowed or {}).get("users") or []}
    roles_ok = {int(r) for r in (allowed or {}).get("roles") or []}
    reply_ok = True if allowed is None else bool(allowed.get("replied_user"))
    guild = world.guilds.get(channel.guild_id) if channel.guild_id is not None else None
    can_everyone = guild is None or bool(world.permissions_for(author, channel) & MENTION_EVERYONE)
    pings = Pings()
    for match in USER_MENTION.finditer(content):
        uid = int(match.group(1))
        if uid in world.users and ("users" in parse or uid in users_ok) and uid not in pings.users:
            pings.users.append(uid)
    for match in ROLE_MENTION.finditer(content):
        role = guild.roles.get(int(match.group(1))) if guild else None
        allowed_role = role is not None and ("roles" in parse or role.id in roles_ok)
        if role is not None and allowed_role and (role.mentionable or can_everyone) and role.id not in pings.roles:
            pings.roles.append(role.id)
    mentions_everyone = "@everyone" in content or "@here" in content
    pings.everyone = mentions_everyone and "everyone" in parse and can_everyone
    if reply_to is not None and reply_ok and reply_to.author.id != author.id and reply_to.author.id not in pings.users:
        pings.users.append(reply_to.author.id)
    return pings


def resolve_reference(world: World, channel: Channel, ref: dict[str, Any] | None) -> tuple[dict | None, Message | None]:
    """Validate a ``message_reference``: an unknown target is 400 unless fail_if_not_exists is false."""
    if not ref or ref.get("message_id") is None:
        return None, None
    target = world.message_store.get(int(ref["message_id"]))
    if target is None or target.deleted:
        if ref.get("fail_if_not_exists", True):
            raise invalid_form("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
        return None, None
    stored = {"type": ref.get("type", 0), "message_id": str(target.id), "channel_id": str(target.channel_id)}
    if target.guild_id is not None:
        stored["guild_id"] = str(target.guild_id)
    return stored, target


def same_nonce(world: World, channel: Channel, author: User, payload: dict[str, Any]) -> Message | None:
    """With ``enforce_nonce``, the author's message in this channel carrying the same nonce from the last few
    minutes (Discord answers a repeated send with it instead of posting again); 404 10008 if it was deleted."""
    nonce = payload.get("nonce")
    if nonce is None:
        return None
    if len(str(nonce)) > NONCE_MAX:
        raise invalid_form("nonce", "BASE_TYPE_MAX_LENGTH", f"Must be {NONCE_MAX} or fewer in length.")
    if not payload.get("enforce_nonce"):
        return None
    since = time.time() - NONCE_WINDOW
    for msg in reversed(list(world.message_store.values())):
        if msg.created_at < since:
            break
        if msg.channel_id == channel.id and msg.author.id == author.id and msg.nonce == str(nonce):
            if msg.deleted:
                raise ApiError(404, 10008, "Unknown Message")
            return msg
    return None


def create_message(
    world: World,
    channel: Channel,
    author: User,
    body: MessageBody,
    *,
    interaction: Interaction | None = None,
    extra_flags: int = 0,
    msg_type: int | None = None,
    allow_empty: bool = False,
) -> Message:
    """Validate, store and announce (MESSAGE_CREATE unless ephemeral) a new message."""
    payload = body.payload
    validate(payload, body.files, creating=not allow_empty)
    flags = (int(payload.get("flags") or 0) & USER_SETTABLE_FLAGS) | extra_flags
    reference, reply_to = resolve_reference(world, channel, payload.get("message_reference"))
    msg = Message(world.snowflakes.next(), channel.id, channel.guild_id, author, flags=flags)
    msg.type = msg_type if msg_type is not None else (19 if reference else 0)
    msg.content = payload.get("content") or ""
    msg.embeds = answered_embeds(payload.get("embeds"))
    msg.components = numbered(payload.get("components") or [])
    msg.tts = bool(payload.get("tts"))
    msg.reference = reference
    msg.allowed_mentions = payload.get("allowed_mentions")
    msg.nonce = str(payload["nonce"]) if payload.get("nonce") is not None else None
    msg.attachments = build_attachments(world, channel.id, body, [], ephemeral=msg.ephemeral)
    resolve_media(world, msg.components, msg.attachments)
    text = readable_text(msg.content, msg.components)
    msg.pings = compute_pings(
        world, content=text, allowed=msg.allowed_mentions, channel=channel, author=author, reply_to=reply_to
    )
    if interaction is not None:
        msg.interaction_id = interaction.id
        msg.webhook_id = world.application_id
    world.message_store[msg.id] = msg
    if not msg.ephemeral:
        world.dispatch("MESSAGE_CREATE", world.message_dict(msg), intent=INTENT_GUILD_MESSAGES, guild_id=msg.guild_id)
    world.notify()
    return msg


def edit_message(world: World, msg: Message, body: MessageBody, *, filling_placeholder: bool = False) -> Message:
    """Apply an edit body; clears the loading flag; announces MESSAGE_UPDATE unless ephemeral."""
    payload = body.payload
    validate(payload, body.files, creating=False, current_flags=msg.flags)
    flags = int(payload["flags"] or 0) if payload.get("flags") is not None else msg.flags
    kept = (msg.content and "content" not in payload) or (msg.embeds and "embeds" not in payload)
    if flags & FLAG_COMPONENTS_V2 and kept:  # turning a message into a V2 one: its content and embeds must go
        raise invalid_form("content", "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2", "Clear content/embeds.")
    if "content" in payload:
        msg.content = payload["content"] or ""
    if "embeds" in payload:
        msg.embeds = answered_embeds(payload["embeds"])
    if "components" in payload:
        msg.components = numbered(payload["components"] or [])
    if "flags" in payload and payload["flags"] is not None:
        msg.flags = (msg.flags & ~USER_SETTABLE_FLAGS) | (int(payload["flags"]) & USER_SETTABLE_FLAGS)
    msg.flags &= ~FLAG_LOADING
    msg.attachments = build_attachments(world, msg.channel_id, body, msg.attachments, ephemeral=msg.ephemeral)
    if "allowed_mentions" in payload:
        msg.allowed_mentions = payload["allowed_mentions"]
    channel = world.channels[msg.channel_id]
    reply_to = world.message_store.get(int(msg.reference["message_id"])) if msg.reference else None
    resolve_media(world, msg.components, msg.attachments)
    text = readable_text(msg.content, msg.components)
    msg.pings = compute_pings(
        world, content=text, allowed=msg.allowed_mentions, channel=channel, author=msg.author, reply_to=reply_to
    )
    if not filling_placeholder:
        msg.edited_at = time.time()
    msg.edits += 1
    if not msg.ephemeral:
        world.dispatch("MESSAGE_UPDATE", world.message_dict(msg), intent=INTENT_GUILD_MESSAGES, guild_id=msg.guild_id)
    world.notify()
    return msg


def delete_message(world: World, msg: Message) -> None:
    """Mark deleted and announce MESSAGE_DELETE (unless ephemeral)."""
    msg.deleted = True
    if not msg.ephemeral:
        data: dict[str, Any] = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
        if msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
        world.dispatch("MESSAGE_DELETE", data, intent=INTENT_GUILD_MESSAGES, guild_id=msg.guild_id)
    world.notify()
