"""Modals: checking the form a bot opens (callback type 9) and building the type 5 submit a member sends back.

What Discord allows and sends, from its docs ("Interactions: Receiving and Responding", "Component Reference":
Label, Text Input, File Upload; read 2026-12-06) and discord.py 2.7's ``types/interactions.py``: a modal has a
title of at most 45 characters, a custom_id of at most 100 and 1-5 top-level components (Labels, Text Displays,
or legacy Action Rows of one Text Input).  A Label (18) holds one component: a Text Input (4), a select or a
File Upload (19; only ever inside a Label).  The submit echoes the tree with each field's ``value``
(Text Input) or ``values`` (File Upload: attachment ids, with the files in ``resolved.attachments`` on the CDN).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._util import invalid_form
from .interactions import Upload
from .messages import numbered, store_attachment

if TYPE_CHECKING:
    from .models import Channel
    from .records import Interaction
    from .world import World

LABEL, TEXT_INPUT, TEXT_DISPLAY, FILE_UPLOAD, ACTION_ROW = 18, 4, 10, 19, 1
LABEL_CHILDREN = {3, 4, 5, 6, 7, 8, 19, 21, 22, 23}


class ModalNotOpen(LookupError):
    """The test submitted a modal the bot never opened for that interaction."""


@dataclass
class ModalAnswers:
    """What the member typed and attached, by the fields' custom ids."""

    text: dict[str, str] = field(default_factory=dict)
    files: dict[str, list[Upload]] = field(default_factory=dict)


def _int(spec: dict[str, Any], key: str, default: int) -> int:
    """An optional number of a component (discord.py sends unset ones as null)."""
    value = spec.get(key)
    return default if value is None else int(value)


def check_modal(data: dict[str, Any]) -> None:
    """Discord's form checks on a callback type 9 body (400 50035)."""
    title, custom_id = data.get("title") or "", data.get("custom_id") or ""
    if not 1 <= len(title) <= 45:
        raise invalid_form("data.title", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.")
    if not 1 <= len(custom_id) <= 100:
        raise invalid_form("data.custom_id", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        raise invalid_form("data.components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
    for i, top in enumerate(components):
        kind = top.get("type")
        if kind == LABEL:
            child = top.get("component") or {}
            if not 1 <= len(top.get("label") or "") <= 45 or len(top.get("description") or "") > 100:
                raise invalid_form(f"data.components.{i}.label", "BASE_TYPE_BAD_LENGTH", "Too long.")
            if child.get("type") not in LABEL_CHILDREN:
                raise invalid_form(f"data.components.{i}.component", "UNION_TYPE_CHOICES", "Not allowed in a Label.")
            if child.get("type") == FILE_UPLOAD and not 0 <= _int(child, "min_values", 1) <= 10:
                raise invalid_form(f"data.components.{i}.component", "NUMBER_TYPE_MAX", "At most 10 files.")
        elif kind == ACTION_ROW:
            row = top.get("components") or []
            if len(row) != 1 or row[0].get("type") != TEXT_INPUT:
                raise invalid_form(f"data.components.{i}", "UNION_TYPE_CHOICES", "One Text Input per row.")
        elif kind != TEXT_DISPLAY:
            raise invalid_form(f"data.components.{i}.type", "UNION_TYPE_CHOICES", f"Type {kind} is not allowed.")


def _fields(modal: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Each top-level component with its field (None for a Text Display)."""
    out: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for top in modal.get("components") or []:
        if top["type"] == LABEL:
            out.append((top, top["component"]))
        elif top["type"] == ACTION_ROW:
            out.append((top, top["components"][0]))
        else:
            out.append((top, None))
    return out


def _text_value(spec: dict[str, Any], value: str | None) -> str:
    custom_id = spec["custom_id"]
    value = value if value is not None else str(spec.get("value") or "")  # a prefilled value is sent back as is
    if not value and spec.get("required") is not False:
        raise ValueError(f"field {custom_id!r} is required")
    low, high = _int(spec, "min_length", 0), _int(spec, "max_length", 4000)
    if value and not low <= len(value) <= high:
        raise ValueError(f"field {custom_id!r}: length {len(value)} is outside [{low}, {high}]")
    if _int(spec, "style", 1) == 1 and "\n" in value:
        raise ValueError(f"field {custom_id!r} is a single line")
    return value


def _upload_values(
    world: World, spec: dict[str, Any], uploads: list[Upload], channel: Channel, limit: int, resolved: dict[str, Any]
) -> list[str]:
    custom_id = spec["custom_id"]
    low, high = _int(spec, "min_values", 1), _int(spec, "max_values", 1)
    if not uploads and spec.get("required") is False:
        return []
    if not low <= len(uploads) <= high:
        raise ValueError(f"field {custom_id!r} takes {low}-{high} files, not {len(uploads)}")
    ids = []
    for up in uploads:
        if len(up.data) > limit:  # Discord's client refuses the file before sending
            raise ValueError(f"{up.filename} is over the {limit}-byte upload limit")
        att = store_attachment(world, channel.id, up.filename, up.data, content_type=up.content_type, ephemeral=True)
        resolved.setdefault("attachments", {})[str(att.id)] = att.to_dict()
        ids.append(str(att.id))
    return ids


def submit_data(world: World, opened: Interaction, answers: ModalAnswers) -> dict[str, Any]:
    """The ``data`` of the type 5 interaction answering the modal ``opened`` showed (ValueError for what
    Discord's client would not let through: a required field left empty, a text too long, a wrong file count)."""
    modal = opened.modal
    if modal is None:
        raise ModalNotOpen(f"interaction {opened.id} opened no modal (ack_type={opened.ack_type})")
    channel = world.channels[opened.channel_id]
    known = {spec["custom_id"] for _, spec in _fields(modal) if spec is not None}
    unknown = (set(answers.text) | set(answers.files)) - known
    if unknown:
        raise ValueError(f"the modal has no field(s) {sorted(unknown)}; it has {sorted(known)}")
    resolved: dict[str, Any] = {}
    components: list[dict[str, Any]] = []
    for top, spec in _fields(numbered_modal(modal)):
        if spec is None:
            components.append({"type": TEXT_DISPLAY, "id": top["id"], "content": top.get("content", "")})
            continue
        answer: dict[str, Any] = {"type": spec["type"], "id": spec["id"], "custom_id": spec["custom_id"]}
        if spec["type"] == TEXT_INPUT:
            answer["value"] = _text_value(spec, answers.text.get(spec["custom_id"]))
        elif spec["type"] == FILE_UPLOAD:
            uploads = [Upload.coerce(u) for u in answers.files.get(spec["custom_id"], [])]
            limit = opened.attachment_size_limit
            answer["values"] = _upload_values(world, spec, uploads, channel, limit, resolved)
        else:
            answer["values"] = []
        if top["type"] == LABEL:
            components.append({"type": LABEL, "id": top["id"], "component": answer})
        else:
            components.append({"type": ACTION_ROW, "id": top["id"], "components": [answer]})
    data: dict[str, Any] = {"custom_id": modal["custom_id"], "components": components}
    if resolved:
        data["resolved"] = resolved
    return data


def numbered_modal(modal: dict[str, Any]) -> dict[str, Any]:
    """The modal with ids on every component, as Discord numbers them."""
    return {**modal, "components": numbered(modal.get("components") or [])}
