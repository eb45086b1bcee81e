"""The per-job Discord delivery record: where a job's status and result go, and what has been done so far.

A frozen value, stored with the job as JSON (``job.delivery``) so that it survives a restart::

    {"kind": "discord",
     "guild_id": 123, "channel_id": 456, "user_id": 789,
     "message_id": 1011,          # the status message (the interaction's response, or our placeholder)
     "application_id": 1213,      # interaction jobs only: edit/follow up through the webhook …
     "token": "…",                # … with this interaction token …
     "token_expires_at": 1.7e9,   # … until then (epoch seconds); afterwards channel messages are used
     "upload_limit": 10485760,    # bytes: the interaction's attachment_size_limit (or the guild's)
     "locale": "fr",              # the member's Discord locale: the language of the job's messages
     # a user-installed app where the bot is no member (a DM between members, a server without the bot):
     "token_only": true,          # only the interaction token reaches there: no channel messages, no reactions
     "followup_cap": 5,           # installed only on the user: Discord allows this many followups
     "followups": 1,              # followups the delivery target has sent so far
     # written later by the delivery target:
     "status_message_id": 1415,   # a channel reply used for progress once the token is dead
     "sending_at": 1.7e9,         # a result upload was started (a repeat looks for it first)
     # a /variations take that posts its group (bot.services.delivery.grouping):
     "group_ids": [41, 42, 43],   # the takes the group holds, decided before anything is posted …
     "group_together": true,      # … all in one message (else: each take posts its own)
     "group_message_id": 1617}    # the group's message, once posted

Rows written by earlier versions are plain dicts of the same keys, some missing (a reaction job has no
token); :meth:`DiscordRecord.from_json` reads them all.  Only :func:`bot.edge.start.requester` builds a new
record; the delivery target derives the later ones from it with :func:`dataclasses.replace`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, ClassVar

TOKEN_MARGIN = 60.0  # stop using a token a minute before Discord does


# Discord's per-file limit for unboosted servers and webhooks (2025): a record written before the limit was
# stored, a server we cannot see.  Each delivery target supplies its own limit to the delivery ladder.
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024


def _int(value: Any) -> int | None:
    return int(value) if value not in (None, "", 0) else None


@dataclass(frozen=True)
class DiscordRecord:
    """Where one job's messages go (see the module docstring)."""

    kind: ClassVar[str] = "discord"

    channel_id: int
    user_id: int
    guild_id: int | None = None
    message_id: int | None = None
    application_id: int | None = None
    token: str | None = None
    token_expires_at: float = 0.0
    upload_limit: int = DEFAULT_UPLOAD_LIMIT
    status_message_id: int | None = None
    sending_at: float | None = None
    group_ids: tuple[int, ...] = ()
    group_together: bool = False
    group_message_id: int | None = None
    locale: str = "en-US"
    token_only: bool = False
    followup_cap: int | None = None
    followups: int = 0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DiscordRecord:
        """Read a stored record (also one written by an earlier version: missing keys take their defaults,
        unknown ones are ignored)."""
        return cls(
            channel_id=int(data["channel_id"]),
            user_id=int(data.get("user_id") or 0),
            guild_id=_int(data.get("guild_id")),
            message_id=_int(data.get("message_id")),
            application_id=_int(data.get("application_id")),
            token=str(data["token"]) if data.get("token") else None,
            token_expires_at=float(data.get("token_expires_at") or 0.0),
            upload_limit=int(data.get("upload_limit") or DEFAULT_UPLOAD_LIMIT),
            status_message_id=_int(data.get("status_message_id")),
            sending_at=float(data["sending_at"]) if data.get("sending_at") else None,
            group_ids=tuple(int(i) for i in data.get("group_ids") or ()),
            group_together=bool(data.get("group_together")),
            group_message_id=_int(data.get("group_message_id")),
            locale=str(data.get("locale") or "en-US"),
            token_only=bool(data.get("token_only")),
            followup_cap=_int(data.get("followup_cap")),
            followups=int(data.get("followups") or 0),
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON dict stored with the job (``kind`` first: it picks the delivery target)."""
        return {"kind": self.kind, **asdict(self)}

    def token_alive(self, now: float | None = None) -> bool:
        """Whether the interaction token may still be used (it is retired a minute early)."""
        if not self.token or not self.application_id or not self.token_expires_at:
            return False
        return (time.time() if now is None else now) < self.token_expires_at - TOKEN_MARGIN

    def can_follow_up(self, now: float | None = None) -> bool:
        """Whether a new message may still be sent through the token (alive, and under the followup cap)."""
        under_cap = self.followup_cap is None or self.followups < self.followup_cap
        return under_cap and self.token_alive(now)

    def token_dead(self) -> DiscordRecord:
        """Discord refused the token: channel messages from now on (also after a restart)."""
        return replace(self, token_expires_at=0.0)

    def on_its_own(self) -> DiscordRecord:
        """The record for a later job of the same request (a /variations take after the first): it posts its
        own status and result in the channel, since the interaction's response belongs to the first."""
        return replace(self, token=None, message_id=None, application_id=None)

    def without_token(self) -> DiscordRecord:
        """The job is shown for good: its token (a credential for 15 minutes) leaves the database."""
        return replace(self, token=None)

    @property
    def status_id(self) -> int | None:
        """The channel message that shows progress once the webhook is not used: our channel reply, or a
        reaction job's placeholder (a plain channel message)."""
        return self.status_message_id or (self.message_id if not self.application_id else None)
