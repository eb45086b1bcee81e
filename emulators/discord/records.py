"""What happened in the emulator: stored attachments, messages, interactions and callback attempts."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._util import FLAG_EPHEMERAL, FLAG_LOADING

if TYPE_CHECKING:
    from .models import User


@dataclass(eq=False)
class Attachment:
    """A stored upload: its bytes are served by the emulator's CDN at ``url``."""

    id: int
    channel_id: int
    filename: str
    data: bytes
    content_type: str | None
    url: str
    proxy_url: str
    ephemeral: bool = False
    description: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)

    def to_dict(self) -> dict[str, Any]:
        """The attachment object as Discord sends it."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": self.url,
            "proxy_url": self.proxy_url,
            "content_type": self.content_type,
        }
        for key in ("description", "width", "height"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.ephemeral:
            data["ephemeral"] = True
        return data


@dataclass
class Pings:
    """Who a message actually notified, after ``allowed_mentions`` and permissions were applied."""

    everyone: bool = False
    users: list[int] = field(default_factory=list)
    roles: list[int] = field(default_factory=list)

    @property
    def nobody(self) -> bool:
        """True when the message pinged no one at all."""
        return not (self.everyone or self.users or self.roles)


@dataclass(eq=False)
class Message:
    """A stored message, as the test sees it (raw embeds/components, attachment bytes, reactions)."""

    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    tts: bool = False
    # emoji key ("⏩" or "name:id") -> user ids in reaction order
    reactions: dict[str, list[int]] = field(default_factory=dict)
    allowed_mentions: dict[str, Any] | None = None  # exactly as the client sent it (None = not sent)
    pings: Pings = field(default_factory=Pings)
    reference: dict[str, Any] | None = None  # message_reference as stored
    interaction_id: int | None = None  # set for interaction responses and followups
    webhook_id: int | None = None
    deleted: bool = False
    edited_at: float | None = None
    edits: int = 0
    created_at: float = field(default_factory=time.time)
    nonce: str | None = None  # as the client sent it (channel sends); echoed back like Discord does

    @property
    def ephemeral(self) -> bool:
        """True for ephemeral interaction messages (never sent over the gateway)."""
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        """True while this is a deferred "thinking…" placeholder."""
        return bool(self.flags & FLAG_LOADING)

    def buttons(self) -> list[dict[str, Any]]:
        """Every button component (type 2) on the message, however deeply nested."""
        found: list[dict[str, Any]] = []

        def walk(items: list[dict[str, Any]]) -> None:
            for item in items:
                if item.get("type") == 2:
                    found.append(item)
                for key in ("components", "accessory"):
                    child = item.get(key)
                    if isinstance(child, list):
                        walk(child)
                    elif isinstance(child, dict):
                        walk([child])

        walk(self.components)
        return found

    def find_component(self, custom_id: str) -> dict[str, Any] | None:
        """The component with this custom_id (any type), or None."""
        stack = list(self.components)
        while stack:
            item = stack.pop()
            if item.get("custom_id") == custom_id:
                return item
            stack.extend(item.get("components") or [])
            if isinstance(item.get("accessory"), dict):
                stack.append(item["accessory"])
        return None


@dataclass
class CallbackAttempt:
    """One POST to an interaction's callback endpoint and how the emulator answered it."""

    type: int
    at: float  # monotonic seconds since the interaction was dispatched
    status: int
    code: int | None = None  # Discord error code when rejected (40060, 10062, ...)


@dataclass(eq=False)
class Interaction:
    """An interaction the emulator dispatched, and everything the bot did in reply."""

    id: int
    token: str
    type: int  # 2 command, 3 component, 4 autocomplete, 5 modal submit
    user: User
    guild_id: int | None
    channel_id: int
    payload: dict[str, Any]  # the INTERACTION_CREATE "d" sent to the bot
    attachment_size_limit: int
    name: str | None = None  # full command path for commands ("video extend")
    message_id: int | None = None  # the clicked message for components
    created: float = field(default_factory=time.monotonic)
    ack_type: int | None = None
    acked_at: float | None = None  # monotonic
    original_id: int | None = None  # @original message (component interactions: the clicked message)
    followup_ids: list[int] = field(default_factory=list)
    response_ids: list[int] = field(default_factory=list)  # messages the user saw as replies, in order
    choices: list[dict[str, Any]] | None = None  # autocomplete result
    modal: dict[str, Any] | None = None  # modal the bot opened
    attempts: list[CallbackAttempt] = field(default_factory=list)
    token_expired: bool = False
    followup_posts: int = 0  # accepted POSTs to the interaction webhook

    @property
    def user_install_only(self) -> bool:
        """Authorised only by the app's install on the user (``authorizing_integration_owners`` has only "1")."""
        return set(self.payload.get("authorizing_integration_owners") or {}) == {"1"}

    opened_by: int | None = None  # a modal submit (type 5): the interaction that opened the modal

    @property
    def ack_latency(self) -> float | None:
        """Seconds from dispatch to the first accepted callback, or None if never acknowledged."""
        return None if self.acked_at is None else self.acked_at - self.created
