"""The JSON control API under ``/_emu/`` (the in-process test API, for tests in another process)."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._util import json_response
from .handle import InteractionHandle
from .interactions import Upload
from .records import Message
from .rest_core import emu_of

if TYPE_CHECKING:
    from .emulator import DiscordEmulator

Route = Callable[["DiscordEmulator", dict[str, Any]], Awaitable[Any]]


def message_summary(msg: Message, *, with_data: bool = False) -> dict[str, Any]:
    """What the control API reports about a message (attachment bytes as base64 on request)."""
    atts = []
    for att in msg.attachments:
        item = {"id": att.id, "filename": att.filename, "size": att.size, "content_type": att.content_type}
        item["url"] = att.url
        if with_data:
            item["data_b64"] = base64.b64encode(att.data).decode()
        atts.append(item)
    return {
        "id": msg.id,
        "channel_id": msg.channel_id,
        "author_id": msg.author.id,
        "content": msg.content,
        "embeds": msg.embeds,
        "components": msg.components,
        "attachments": atts,
        "reactions": msg.reactions,
        "flags": msg.flags,
        "ephemeral": msg.ephemeral,
        "loading": msg.loading,
        "allowed_mentions": msg.allowed_mentions,
        "pings": {"everyone": msg.pings.everyone, "users": msg.pings.users, "roles": msg.pings.roles},
        "reference": msg.reference,
        "interaction_id": msg.interaction_id,
        "webhook_id": msg.webhook_id,
        "deleted": msg.deleted,
        "edits": msg.edits,
    }


def interaction_summary(handle: InteractionHandle) -> dict[str, Any]:
    """What the control API reports about an interaction."""
    original = handle.original
    return {
        "id": handle.id,
        "token": handle.token,
        "ack_type": handle.ack_type,
        "ack_latency": handle.ack_latency,
        "attempts": [vars(a) for a in handle.attempts],
        "original": message_summary(original) if original else None,
        "responses": [message_summary(m) for m in handle.responses],
        "followups": [message_summary(m) for m in handle.followups],
        "choices": handle.choices,
        "modal": handle.modal,
    }


def _user(emu: DiscordEmulator, value: Any) -> Any:
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _uploads(raw: dict[str, Any] | None) -> dict[str, Upload]:
    return {
        name: Upload(spec["filename"], base64.b64decode(spec["data_b64"]), spec.get("content_type"))
        for name, spec in (raw or {}).items()
    }


async def _slash(emu: DiscordEmulator, b: dict[str, Any]) -> Any:
    handle = await emu.slash(
        _user(emu, b["user"]),
        b["name"],
        b.get("options") or {},
        attachments=_uploads(b.get("attachments")),
        in_channel=b.get("channel_id"),
        attachment_size_limit=b.get("attachment_size_limit"),
    )
    return interaction_summary(handle)


async def _autocomplete(emu: DiscordEmulator, b: dict[str, Any]) -> Any:
    handle = await emu.autocomplete(
        _user(emu, b["user"]),
        b["name"],
        b["focused"],
        b.get("value", ""),
        b.get("options") or {},
        in_channel=b.get("channel_id"),
    )
    return interaction_summary(handle)


async def _click(emu: DiscordEmulator, b: dict[str, Any]) -> Any:
    handle = await emu.click_button(
        _user(emu, b["user"]), int(b["message_id"]), b.get("custom_id"), label=b.get("label")
    )
    return interaction_summary(handle)


async def _select(emu: DiscordEmulator, b: dict[str, Any]) -> Any:
    handle = await emu.select(_user(emu, b["user"]), int(b["message_id"]), b["custom_id"], b["values"])
    return interaction_summary(handle)


async def _reaction(emu: DiscordEmulator, b: dict[str, Any]) -> Any:
    action = emu.remove_reaction if b.get("remove") else emu.add_reaction
    changed = await action(_user(emu, b["user"]), b.get("channel_id"), int(b["message_id"]), b["emoji"])
    return {"changed": changed}


async def _user_message(emu: DiscordEmulator, b: dict[str, Any]) -> Any:
    files = {u.filename: u.data for u in _uploads(b.get("files")).values()}
    msg = await emu.post_user_message(_user(emu, b["user"]), b.get("channel_id"), b.get("content", ""), files=files)
    return message_summary(msg)


async def _interaction(emu: DiscordEmulator, b: dict[str, Any]) -> Any:
    handle = InteractionHandle(emu, emu.interactions[int(b["interaction_id"])])
    timeout = float(b.get("timeout", 5.0))
    if b.get("wait") == "ack":
        await handle.wait_ack(timeout)
    elif b.get("wait") == "response":
        await handle.wait_responses(int(b.get("count", 1)), timeout)
    elif b.get("wait") == "choices":
        await handle.wait_choices(timeout)
    return interaction_summary(handle)


async def _messages(emu: DiscordEmulator, b: dict[str, Any]) -> Any:
    msgs = emu.messages(b.get("channel_id"), ephemeral=b.get("ephemeral", True), deleted=b.get("deleted", False))
    return [message_summary(m, with_data=bool(b.get("with_data"))) for m in msgs]


async def _wait_message(emu: DiscordEmulator, b: dict[str, Any]) -> Any:
    """Wait for a message by simple criteria: content_contains, has_attachments, author_id, after_id."""

    def ok(m: Message) -> bool:
        checks = [
            b.get("content_contains") is None or b["content_contains"] in m.content,
            b.get("has_attachments") is None or bool(m.attachments) == b["has_attachments"],
            b.get("author_id") is None or m.author.id == int(b["author_id"]),
            b.get("after_id") is None or m.id > int(b["after_id"]),
        ]
        return all(checks)

    msg = await emu.wait_for_message(ok, float(b.get("timeout", 5.0)), channel=b.get("channel_id"))
    return message_summary(msg, with_data=bool(b.get("with_data")))


async def _fault(emu: DiscordEmulator, b: dict[str, Any]) -> Any:
    count = int(b.get("count", 1))
    if b["kind"] == "rate_limit":
        fault = emu.rate_limit_next(b["pattern"], count, retry_after=float(b.get("retry_after", 0.05)))
    elif b["kind"] == "server_error":
        fault = emu.server_error_next(b["pattern"], count, status=int(b.get("status", 500)))
    else:
        fault = emu.fail_next(
            b["pattern"], int(b["status"]), int(b.get("code", 0)), b.get("message", "Injected"), count
        )
    return {"pattern": fault.pattern, "status": fault.status, "remaining": fault.remaining}


async def _knob(emu: DiscordEmulator, b: dict[str, Any]) -> Any:
    """One-shot knobs: disconnect, release, expire_token, delete_channel, delete_message, deny, config, sharding."""
    action = b["action"]
    if action == "disconnect":
        return {"closed": await emu.disconnect_gateway(int(b.get("code", 4000)), hold=bool(b.get("hold")))}
    if action == "release":
        emu.release_gateway()
    elif action == "expire_token":
        emu.expire_token(int(b["interaction_id"]))
    elif action == "delete_channel":
        emu.delete_channel(int(b["channel_id"]), notify=b.get("notify", True))
    elif action == "delete_message":
        emu.delete_message(int(b["message_id"]), notify=b.get("notify", True))
    elif action == "deny_bot_permission":
        emu.deny_bot_permission(int(b["channel_id"]), *b["permissions"])
    elif action == "config":
        for key in ("interaction_deadline", "token_ttl", "privileged_intents"):
            if key in b:
                setattr(emu, key, b[key])
    elif action == "sharding":  # ShardPolicy fields: recommended_shards, max_concurrency, enforce_identify_limit…
        emu.configure_sharding(**{k: v for k, v in b.items() if k != "action"})
    else:
        raise ValueError(f"unknown action {action!r}")
    return {"ok": True}


async def _info(emu: DiscordEmulator, b: dict[str, Any]) -> Any:
    return {
        "api_base": emu.api_base,
        "gateway_url": emu.gateway_url,
        "control_url": emu.control_url,
        "token": emu.token,
        "application_id": emu.application_id,
        "bot_id": emu.bot.id,
        "guild_id": emu.guild.id,
        "channel_id": emu.channel.id,
        "users": {u.username: u.id for u in emu.users.values()},
        "requests": [vars(r) for r in emu.rest.log[-int(b.get("requests", 0)) :]] if b.get("requests") else [],
        "unhandled": emu.rest.unhandled,
        # what Discord's OpenAPI description refuses (openapi.py); ``{"take_violations": true}`` also forgets them
        "violations": [vars(v) for v in (emu.take_violations() if b.get("take_violations") else emu.violations)],
        "identifies": [vars(r) for r in emu.gateway.shards.log],
        "websockets_opened": emu.gateway.websockets_opened,
    }


ROUTES: dict[str, Route] = {
    "info": _info,
    "slash": _slash,
    "autocomplete": _autocomplete,
    "click": _click,
    "select": _select,
    "reaction": _reaction,
    "user_message": _user_message,
    "interaction": _interaction,
    "messages": _messages,
    "wait_message": _wait_message,
    "fault": _fault,
    "knob": _knob,
}


async def handle(request: web.Request) -> web.Response:
    """POST /_emu/{op} with a JSON body → JSON result; test-usage errors come back as 400/408."""
    route = ROUTES.get(request.match_info["op"])
    if route is None:
        return json_response({"error": f"unknown control op; known: {sorted(ROUTES)}"}, 404)
    body = await request.json() if request.can_read_body else {}
    try:
        return json_response(await route(emu_of(request), body))
    except TimeoutError as exc:
        return json_response({"error": str(exc)}, 408)
    except (ValueError, LookupError, PermissionError, TypeError) as exc:
        return json_response({"error": f"{type(exc).__name__}: {exc}"}, 400)


def add_routes(app: web.Application) -> None:
    """Register the control endpoint."""
    app.router.add_post("/_emu/{op}", handle)
