"""What a request to the generation service carries (who asks, where the answer goes) and what it answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from storage import Job


@dataclass(frozen=True)
class Requester:
    """Who asks, and where the answer goes."""

    user_id: int
    guild_id: int | None = None
    channel_id: int | None = None
    delivery: dict[str, Any] = field(default_factory=dict)  # the target's record as JSON; its "kind" picks it
    # the record for the later jobs of one request (/variations' takes 2-4), which post on their own
    # (None: the same record as the first; a chat target leaves out what answers the request itself)
    later_delivery: dict[str, Any] | None = None
    is_admin: bool = False  # may cancel/delete others' jobs (Manage Messages / Manage Server)
    display_name: str | None = None  # shown on result pages (the name only, never an id)
    # asked where the app is installed on the user and the bot is no member (a DM, another server): the user's
    # own quota pool, no server's limits or budget (guild_id is None then)
    user_install: bool = False


@dataclass(frozen=True)
class Submitted:
    """The answer to a submit: the job, whether it came from the cache, and its queue position."""

    job: Job
    cached: bool
    queue_position: int
    notes: tuple[str, ...] = ()  # things the requester should know (e.g. only a GIF's first frame is used)


def page_name(display_name: str | None) -> str | None:
    """A display name fit for a web page: one line, at most 80 characters."""
    name = " ".join((display_name or "").split())[:80]
    return name or None
