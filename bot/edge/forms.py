"""Forms: the Discord modals the bot opens (``/video`` with no prompt, ``/animate`` with no image, the Apps menu's
actions, ✏️ Refine) and the one place their submissions arrive.

A form is built from discord.py 2.7's own parts (``ui.Modal`` of ``ui.Label``s holding a ``ui.TextInput`` or a
``ui.FileUpload``) and is *stopped* before it is sent, so discord.py keeps no modal in its view store: what a
form is for lives in the :class:`FormBook` under the form's custom id (``videobot:form:<kind>:<token>``), for
``FORM_TTL`` seconds.  A submission (interaction type 5) reaches :meth:`FormBook.submitted` from the client's
``on_interaction``; the book hands its answers to the handler registered for the kind (by the cog or dispatcher
that opened it), and tells the member privately when the form is unknown: opened more than ``FORM_TTL`` ago, or
before a restart ("expired").  Files uploaded in a form are read from the URL in Discord's own payload (its CDN),
after their declared type and size were checked.
"""

from __future__ import annotations

import logging
import mimetypes
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.edge.errors import report
from bot.errors import InvalidMedia, InvalidRequest, NotJobOwner
from bot.i18n import said
from bot.prompt import MAX_PART_CHARS

log = logging.getLogger(__name__)

PREFIX = "videobot:form:"
FORM_TTL = 15 * 60.0  # seconds a form stays answerable (Discord keeps a modal open for about as long)
MAX_OPEN = 10_000  # forms remembered at once (the oldest go first)
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")


@dataclass(frozen=True)
class Upload:
    """A file in a submitted form or on a right-clicked message, as Discord describes it (not yet read)."""

    filename: str
    content_type: str
    size: int
    url: str

    @classmethod
    def from_attachment(cls, attachment: discord.Attachment) -> Upload:
        """A message's attachment."""
        kind = attachment.content_type or mimetypes.guess_type(attachment.filename)[0] or ""
        return cls(attachment.filename, kind.split(";")[0].strip().lower(), int(attachment.size), attachment.url)

    @property
    def is_image(self) -> bool:
        """Declared as an image (the bytes are judged again when the job is made)."""
        return self.content_type in IMAGE_TYPES

    @property
    def is_video(self) -> bool:
        """Declared as a video."""
        return self.content_type.startswith("video/")


@dataclass(frozen=True)
class Answers:
    """What the member typed (by field id; empty fields left out) and uploaded."""

    text: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, tuple[Upload, ...]] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        """A text field's value, None when left empty."""
        value = self.text.get(key, "").strip()
        return value or None

    def file(self, key: str) -> Upload | None:
        """The first file of an upload field, if any."""
        files = self.files.get(key) or ()
        return files[0] if files else None


@dataclass(frozen=True)
class OpenForm:
    """A form the bot showed: its kind, who it was shown to, when, and what it is about (``context``)."""

    kind: str
    user_id: int
    opened_at: float
    context: Mapping[str, Any]


Handler = Callable[[discord.Interaction[Any], OpenForm, Answers], Awaitable[None]]


def answers_of(data: Mapping[str, Any]) -> Answers:
    """Read a modal submit's ``data`` (Labels, legacy Action Rows; files from ``resolved.attachments``)."""
    resolved = (data.get("resolved") or {}).get("attachments") or {}
    text: dict[str, str] = {}
    files: dict[str, tuple[Upload, ...]] = {}
    stack = list(data.get("components") or [])
    while stack:
        item = stack.pop()
        stack.extend(item.get("components") or [])
        if isinstance(item.get("component"), dict):
            stack.append(item["component"])
        custom_id = item.get("custom_id")
        if custom_id is None:
            continue
        if item.get("type") == 4:
            text[custom_id] = str(item.get("value") or "")
        elif item.get("type") == 19:
            found = [resolved[v] for v in item.get("values") or [] if v in resolved]
            files[custom_id] = tuple(
                Upload(
                    str(a.get("filename") or "file"),
                    str(a.get("content_type") or "").split(";")[0].strip().lower(),
                    int(a.get("size") or 0),
                    str(a["url"]),
                )
                for a in found
            )
    return Answers(text, files)


def check_image(upload: Upload, cap: int, what: str = "file") -> None:
    """Refuse, before downloading, a file not declared as an image or over ``cap`` bytes (the bytes themselves
    are judged when the job is made: an SVG, an animated GIF… get their own answer).  ``what`` the file is:
    ``file``, ``start`` (frame) or ``end`` (frame), the words of the refusal."""
    if not upload.content_type.startswith("image/"):  # an image of a kind we cannot use is told apart later
        raise said(InvalidMedia, f"media.not_image.{what}", filename=upload.filename)
    if upload.size > cap:
        raise too_big(upload.size, cap, what)


def too_big(size: int, cap: int, what: str = "file") -> InvalidMedia:
    """The refusal of an image of ``size`` bytes over the ``cap`` (``what``: as :func:`check_image`)."""
    return said(InvalidMedia, f"media.too_big.{what}", size=f"{size / 1_048_576:.1f}", cap=f"{cap / 1_048_576:.0f}")


def larger_than(cap: int) -> InvalidMedia:
    """The refusal of a downloaded file over the ``cap`` (the declared size was smaller)."""
    return said(InvalidMedia, "media.larger_than", cap=f"{cap / 1_048_576:.0f}")


def text_field(
    label: str,
    custom_id: str,
    *,
    paragraph: bool = False,
    required: bool = False,
    default: str | None = None,
    placeholder: str | None = None,
    max_length: int = MAX_PART_CHARS,
    description: str | None = None,
) -> discord.ui.Label[Any]:
    """A labelled text input (Discord's Label with a Text Input)."""
    style = discord.TextStyle.paragraph if paragraph else discord.TextStyle.short
    prefill = (default or "")[:max_length] or None
    if prefill is not None and not paragraph:
        prefill = " ".join(prefill.split())  # a short field is one line
    box = discord.ui.TextInput[Any](
        custom_id=custom_id,
        style=style,
        required=required,
        default=prefill,
        placeholder=placeholder,
        max_length=max_length,
    )
    return discord.ui.Label(text=label, component=box, description=description)


def file_field(label: str, custom_id: str, *, required: bool, description: str | None = None) -> discord.ui.Label[Any]:
    """A labelled single-file upload (Discord's Label with a File Upload)."""
    upload = discord.ui.FileUpload[Any](custom_id=custom_id, required=required, min_values=int(required), max_values=1)
    return discord.ui.Label(text=label, component=upload, description=description)


class FormBook:
    """The forms open now, and who handles each kind's submission (see the module docstring)."""

    def __init__(self, client: discord.Client, ttl: float = FORM_TTL, clock: Callable[[], float] = time.time):
        self.bot = client  # reads uploads from Discord's CDN
        self.ttl = ttl
        self.clock = clock
        self._open: dict[str, OpenForm] = {}
        self._handlers: dict[str, Handler] = {}

    def handle(self, kind: str, handler: Handler) -> None:
        """Send the submissions of ``kind`` forms to ``handler``."""
        self._handlers[kind] = handler

    def modal(self, kind: str, user_id: int, title: str, *fields: discord.ui.Item[Any], **context: Any) -> Any:
        """A form to show ``user_id`` (``interaction.response.send_modal``), remembered with ``context``."""
        if kind not in self._handlers:
            raise ValueError(f"no handler for {kind!r} forms")
        now = self.clock()
        for custom_id, form in list(self._open.items()):
            if now - form.opened_at > self.ttl or len(self._open) >= MAX_OPEN:
                del self._open[custom_id]
            else:
                break  # oldest first: the rest are younger
        custom_id = f"{PREFIX}{kind}:{secrets.token_hex(8)}"
        self._open[custom_id] = OpenForm(kind, user_id, now, dict(context))
        modal = discord.ui.Modal(title=title[:45], custom_id=custom_id, timeout=None)
        for item in fields:
            modal.add_item(item)
        modal.stop()  # not kept in discord.py's view store: the submission comes to submitted()
        return modal

    def take(self, custom_id: str, user_id: int) -> OpenForm:
        """The open form answered by ``custom_id`` (forgotten now: a form is answered once)."""
        form = self._open.get(custom_id)
        if form is None or self.clock() - form.opened_at > self.ttl:
            self._open.pop(custom_id, None)
            raise said(InvalidRequest, "form.expired")
        if form.user_id != user_id:
            raise said(NotJobOwner, "form.not_yours")
        del self._open[custom_id]
        return form

    async def download(self, upload: Upload, cap: int) -> bytes:
        """The file's bytes from the URL Discord gave (its CDN), refused when larger than ``cap``."""
        data = await self.bot.http.get_from_cdn(upload.url)
        if len(data) > cap:
            raise larger_than(cap)
        return data

    async def submitted(self, interaction: discord.Interaction[Any]) -> None:
        """A modal was submitted: hand it to its kind's handler; every refusal is told privately."""
        data: Mapping[str, Any] = interaction.data or {}
        custom_id = str(data.get("custom_id") or "")
        if interaction.type is not discord.InteractionType.modal_submit or not custom_id.startswith(PREFIX):
            return
        try:
            form = self.take(custom_id, interaction.user.id)
            await self._handlers[form.kind](interaction, form, answers_of(data))
        except Exception as exc:
            await report(interaction, exc)
