"""Discord's form rules for message bodies (lengths, embeds, components, allowed_mentions, emptiness)."""

from __future__ import annotations

from typing import Any

from ._util import FLAG_COMPONENTS_V2, ApiError, invalid_form

EMBED_LIMITS = {"title": 256, "description": 4096}


def _validate_embeds(embeds: list[dict[str, Any]]) -> None:
    if len(embeds) > 10:
        raise invalid_form("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        for key, limit in EMBED_LIMITS.items():
            if len(embed.get(key) or "") > limit:
                raise invalid_form(f"embeds.{i}.{key}", "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            raise invalid_form(f"embeds.{i}.fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for j, fld in enumerate(fields):
            if len(fld.get("name") or "") > 256 or len(fld.get("value") or "") > 1024:
                raise invalid_form(f"embeds.{i}.fields.{j}", "BASE_TYPE_MAX_LENGTH", "Field too long.")
        texts = [embed.get("title"), embed.get("description"), (embed.get("footer") or {}).get("text")]
        texts.append((embed.get("author") or {}).get("name"))
        texts += [f.get("name") for f in fields] + [f.get("value") for f in fields]
        total += sum(len(t or "") for t in texts)
    if total > 6000:
        raise invalid_form("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def _validate_components(components: list[dict[str, Any]], flags: int) -> None:
    if not flags & FLAG_COMPONENTS_V2 and len(components) > 5:
        raise invalid_form("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    seen: set[str] = set()
    stack = list(components)
    while stack:
        item = stack.pop()
        custom_id = item.get("custom_id")
        if custom_id is not None:
            if len(custom_id) > 100:
                raise invalid_form("components", "BASE_TYPE_MAX_LENGTH", "custom_id must be 100 or fewer in length.")
            if custom_id in seen:
                raise invalid_form(
                    "components", "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"
                )
            seen.add(custom_id)
        if item.get("type") == 2 and (item.get("style") == 5) != ("url" in item):
            raise invalid_form("components", "BUTTON_COMPONENT_URL_REQUIRED", "Link buttons need a url, others none")
        stack.extend(item.get("components") or [])


def validate(payload: dict[str, Any], files: dict[int, tuple[str, bytes]], *, creating: bool) -> None:
    """Discord's form checks for message create/edit bodies (400 50035 / 50006)."""
    content = payload.get("content") or ""
    if len(content) > 2000:
        raise invalid_form("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    _validate_embeds(payload.get("embeds") or [])
    _validate_components(payload.get("components") or [], int(payload.get("flags") or 0))
    allowed = payload.get("allowed_mentions")
    if allowed:
        parse = allowed.get("parse") or []
        for kind in ("users", "roles"):
            if kind in parse and allowed.get(kind):
                raise invalid_form(f"allowed_mentions.{kind}", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", "Exclusive")
    has_body = content or payload.get("embeds") or files or payload.get("attachments") or payload.get("components")
    if creating and not (has_body or payload.get("sticker_ids") or payload.get("poll")):
        raise ApiError(400, 50006, "Cannot send an empty message")
