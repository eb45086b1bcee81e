"""REST: interaction callbacks (3 s window, single ack) and the interaction webhook (followups, @original)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._util import (
    FLAG_COMPONENTS_V2,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    ApiError,
    invalid_form,
    json_response,
    missing_permissions,
    unknown_channel,
    unknown_interaction,
    unknown_message,
    unknown_webhook,
)
from .interactions import app_permissions
from .messages import MessageBody, check_file_sizes, create_message, delete_message, edit_message, read_body
from .modals import check_modal
from .models import Channel
from .records import CallbackAttempt, Interaction, Message
from .rest_channels import ATTACH
from .rest_core import emu_of

if TYPE_CHECKING:
    from .emulator import DiscordEmulator

# Discord (docs, "Receiving and Responding" → followup messages, read 2026-12-06): an interaction authorised only by
# a user install (the app is not installed where it is used) may have at most 5 followup messages.
USER_INSTALL_FOLLOWUPS = 5
# Callback types Discord accepts per interaction type (2 command, 3 component, 4 autocomplete, 5 modal): a modal
# submit cannot open another modal (9).
ALLOWED_CALLBACKS = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}


def _channel(emu: DiscordEmulator, inter: Interaction) -> Channel:
    channel = emu.channels.get(inter.channel_id)
    if channel is None or channel.deleted:
        raise unknown_channel()
    return channel


def _check_files(emu: DiscordEmulator, inter: Interaction, channel: Channel, body: MessageBody) -> None:
    """Per-file limit from the interaction's attachment_size_limit; the attach-files knob applies too."""
    if not body.files:
        return
    check_file_sizes(body.files, inter.attachment_size_limit)
    if channel.guild_id is not None and not app_permissions(emu, channel) & ATTACH:
        raise missing_permissions()


def _respond(emu: DiscordEmulator, inter: Interaction, cb_type: int, body: MessageBody) -> dict[str, Any]:
    """Apply one callback and build the ``with_response`` body discord.py parses."""
    channel = _channel(emu, inter)
    ephemeral = FLAG_EPHEMERAL if int(body.payload.get("flags") or 0) & FLAG_EPHEMERAL else 0
    msg_type = 20 if inter.type == 2 else 0
    msg: Message | None = None
    if cb_type == 4:
        _check_files(emu, inter, channel, body)
        msg = create_message(emu, channel, emu.bot, body, interaction=inter, extra_flags=ephemeral, msg_type=msg_type)
        inter.response_ids.append(msg.id)
    elif cb_type == 5:
        if int(body.payload.get("flags") or 0) & FLAG_COMPONENTS_V2:
            # Discord: a deferred response is a "thinking…" placeholder; only what follows it may be V2
            raise invalid_form("data.flags", "INTERACTION_DEFERRED_CANNOT_USE_COMPONENTS_V2", "No V2 on a defer.")
        placeholder = MessageBody({"content": "", "flags": 0}, {})
        flags = FLAG_LOADING | ephemeral
        msg = create_message(
            emu,
            channel,
            emu.bot,
            placeholder,
            interaction=inter,
            extra_flags=flags,
            msg_type=msg_type,
            allow_empty=True,
        )
    elif cb_type in (6, 7):
        msg = emu.message_store.get(inter.message_id or 0)
        if msg is None or msg.deleted:
            raise unknown_message()
        if cb_type == 7:
            _check_files(emu, inter, channel, body)
            edit_message(emu, msg, body)
            inter.response_ids.append(msg.id)
    elif cb_type == 8:
        choices = body.payload.get("choices") or []
        if len(choices) > 25:
            raise invalid_form("data.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        inter.choices = choices
    elif cb_type == 9:
        check_modal(body.payload)
        inter.modal = body.payload
    part: dict[str, Any] = {"id": str(inter.id), "type": inter.type}
    result: dict[str, Any] = {"interaction": part}
    if msg is not None:
        inter.original_id = msg.id
        part.update(
            response_message_id=str(msg.id),
            response_message_loading=msg.loading,
            response_message_ephemeral=msg.ephemeral,
        )
        if cb_type in (4, 7):  # Discord's InteractionCallbackResponse has a resource only for these (and 12)
            result["resource"] = {"type": cb_type, "message": emu.message_dict(msg)}
    return result


async def callback(request: web.Request) -> web.Response:
    """POST /interactions/{interaction_id}/{token}/callback."""
    emu = emu_of(request)
    now = emu.now()
    inter = emu.interactions.get(int(request.match_info["interaction_id"]))
    if inter is None or inter.token != request.match_info["token"]:
        raise unknown_interaction()
    body = await read_body(request)
    cb_type = int(body.payload.get("type") or 0)
    elapsed = now - inter.created
    try:
        if inter.ack_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if elapsed > emu.interaction_deadline or inter.token_expired:
            raise unknown_interaction()
        if cb_type not in ALLOWED_CALLBACKS.get(inter.type, set()):
            raise invalid_form("type", "INTERACTION_RESPONSE_TYPE_INVALID", f"Invalid callback type {cb_type}")
        result = _respond(emu, inter, cb_type, MessageBody(body.payload.get("data") or {}, body.files))
    except ApiError as exc:
        inter.attempts.append(CallbackAttempt(cb_type, elapsed, exc.status, exc.code))
        emu.notify()
        raise
    inter.ack_type, inter.acked_at = cb_type, now
    inter.attempts.append(CallbackAttempt(cb_type, elapsed, 200))
    emu.notify()
    if request.query.get("with_response", "").lower() in ("1", "true"):
        return json_response(result)
    return web.Response(status=204)


def _webhook_interaction(emu: DiscordEmulator, request: web.Request) -> Interaction:
    """Resolve ``/webhooks/{app_id}/{token}``: 404 10015 unknown/unacknowledged, 401 50027 expired."""
    inter = emu.interactions_by_token.get(request.match_info["token"])
    if inter is None or int(request.match_info["app_id"]) != emu.application_id:
        raise unknown_webhook()
    if inter.token_expired or emu.now() - inter.created > emu.token_ttl:
        raise ApiError(401, 50027, "Invalid Webhook Token")
    if inter.ack_type is None:
        raise unknown_webhook()
    return inter


async def followup(request: web.Request) -> web.Response:
    """POST /webhooks/{app_id}/{token}: a followup (the first one after a defer fills the placeholder)."""
    emu = emu_of(request)
    inter = _webhook_interaction(emu, request)
    channel = _channel(emu, inter)
    if inter.user_install_only and inter.followup_posts >= USER_INSTALL_FOLLOWUPS:
        raise ApiError(400, 40094, "This interaction has hit the maximum number of follow up messages")
    body = await read_body(request)
    _check_files(emu, inter, channel, body)
    inter.followup_posts += 1
    original = emu.message_store.get(inter.original_id or 0)
    if inter.ack_type == 5 and original is not None and original.loading and not original.deleted:
        # Real Discord: the first followup after a deferred response edits the "thinking…" message.
        msg = edit_message(emu, original, body, filling_placeholder=True)
    else:
        ephemeral = FLAG_EPHEMERAL if int(body.payload.get("flags") or 0) & FLAG_EPHEMERAL else 0
        msg = create_message(emu, channel, emu.bot, body, interaction=inter, extra_flags=ephemeral)
        inter.followup_ids.append(msg.id)
    inter.response_ids.append(msg.id)
    emu.notify()
    if request.query.get("wait", "").lower() in ("1", "true"):
        return json_response(emu.message_dict(msg))
    return web.Response(status=204)


async def webhook_message(request: web.Request) -> web.StreamResponse:
    """GET/PATCH/DELETE /webhooks/{app_id}/{token}/messages/{@original|message_id}."""
    emu = emu_of(request)
    inter = _webhook_interaction(emu, request)
    ref = request.match_info["message_id"]
    msg_id = inter.original_id if ref == "@original" else int(ref)
    if msg_id is None or (msg_id != inter.original_id and msg_id not in inter.followup_ids):
        raise unknown_message()
    msg = emu.message_store.get(msg_id)
    if msg is None or msg.deleted:
        raise unknown_message()
    if request.method == "DELETE":
        delete_message(emu, msg)
        return web.Response(status=204)
    if request.method == "PATCH":
        body = await read_body(request)
        _check_files(emu, inter, _channel(emu, inter), body)
        edit_message(emu, msg, body, filling_placeholder=msg.loading)
        if msg.id not in inter.response_ids:
            inter.response_ids.append(msg.id)
        emu.notify()
    elif request.method != "GET":
        raise web.HTTPMethodNotAllowed(request.method, ["GET", "PATCH", "DELETE"])
    return json_response(emu.message_dict(msg))


def add_routes(app: web.Application) -> None:
    """Register this module's routes."""
    app.router.add_post("/api/v10/interactions/{interaction_id:\\d+}/{token}/callback", callback)
    hook = "/api/v10/webhooks/{app_id:\\d+}/{token}"
    app.router.add_post(hook, followup)
    app.router.add_route("*", hook + "/messages/{message_id}", webhook_message)
