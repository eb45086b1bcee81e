"""Discord's form rules for message bodies (lengths, embeds, components, allowed_mentions, emptiness).

Components V2 (flag ``IS_COMPONENTS_V2``, 1 << 15; Discord's docs "Component Reference" and "Message: Message
Flags", read 2026-12-06): such a message carries no ``content``, ``embeds``, ``poll`` or ``stickers`` (everything
it says is in Text Displays), holds at most 40 components in all, with at most 4000 characters of text, and
the flag cannot be taken off again.  Without the flag only Action Rows may be at the top level.  Which types
may sit where (Container 17: rows, Sections, Text Displays, Media Galleries, Files, Separators; Section 9: 1-3
Text Displays and a Thumbnail or Button accessory; Media Gallery 12: 1-10 items) is also in the OpenAPI
description, which every request meets as well.
"""

from __future__ import annotations

from typing import Any

from ._util import FLAG_COMPONENTS_V2, ApiError, invalid_form

EMBED_LIMITS = {"title": 256, "description": 4096}
V2_TOP_LEVEL = {1, 9, 10, 12, 13, 14, 17}  # row, section, text, gallery, file, separator, container
V2_MAX_COMPONENTS = 40
V2_MAX_TEXT = 4000


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


def _walk(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    stack = list(components)
    while stack:
        item = stack.pop()
        found.append(item)
        stack.extend(item.get("components") or [])
        for key in ("accessory", "component"):
            if isinstance(item.get(key), dict):
                stack.append(item[key])
        stack.extend(i for i in item.get("items") or [] if isinstance(i, dict) and "type" in i)
    return found


def _validate_v2(payload: dict[str, Any], flags: int, current_flags: int) -> None:
    """The Components V2 rules (module docstring)."""
    components = payload.get("components") or []
    if current_flags & FLAG_COMPONENTS_V2 and "flags" in payload and not flags & FLAG_COMPONENTS_V2:
        raise invalid_form("flags", "MESSAGE_CANNOT_REMOVE_COMPONENTS_V2_FLAG", "The V2 flag cannot be removed.")
    if not flags & FLAG_COMPONENTS_V2:
        if any(c.get("type") != 1 for c in components):
            raise invalid_form("components", "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "V2 components need the V2 flag.")
        return
    for legacy in ("content", "embeds", "poll", "sticker_ids"):
        if payload.get(legacy):
            raise invalid_form(legacy, "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2", f"No {legacy} with V2.")
    if any(c.get("type") not in V2_TOP_LEVEL for c in components):
        raise invalid_form("components", "UNION_TYPE_CHOICES", "Not allowed at the top level of a message.")
    every = _walk(components)
    if len(every) > V2_MAX_COMPONENTS:
        raise invalid_form("components", "BASE_TYPE_MAX_LENGTH", f"At most {V2_MAX_COMPONENTS} components.")
    text = sum(len(c.get("content") or "") for c in every if c.get("type") == 10)
    if text > V2_MAX_TEXT:
        raise invalid_form("components", "BASE_TYPE_MAX_LENGTH", f"At most {V2_MAX_TEXT} characters of text.")


def validate(
    payload: dict[str, Any], files: dict[int, tuple[str, bytes]], *, creating: bool, current_flags: int = 0
) -> None:
    """Discord's form checks for message create/edit bodies (400 50035 / 50006); ``current_flags``: the edited
    message's flags (an edit that sends none keeps them)."""
    content = payload.get("content") or ""
    if len(content) > 2000:
        raise invalid_form("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    _validate_embeds(payload.get("embeds") or [])
    flags = int(payload["flags"] or 0) if payload.get("flags") is not None else current_flags
    _validate_components(payload.get("components") or [], flags)
    _validate_v2(payload, flags, current_flags)
    allowed = payload.get("allowed_mentions")
    if allowed:
        parse = allowed.get("parse") or []
        for kind in ("users", "roles"):
            if kind in parse and allowed.get(kind):
                raise invalid_form(f"allowed_mentions.{kind}", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", "Exclusive")
    has_body = content or payload.get("embeds") or files or payload.get("attachments") or payload.get("components")
    if creating and not (has_body or payload.get("sticker_ids") or payload.get("poll")):
        raise ApiError(400, 50006, "Cannot send an empty message")
