"""More than one process on one bot token: which gateway shards a process runs, one command sync, identify buckets.

* :class:`Processes` is what ``videobot run --shards 0,1 --shard-count 4 [--no-worker]`` asked for.
* :func:`sync_once`: the slash commands are synced by one process only, the holder of the storage lock
  ``videobot:command-sync`` (held until that process closes; a process started later finds it taken).
* :class:`IdentifyGate` is the bot's ``before_identify_hook``: Discord accepts one IDENTIFY per bucket
  (``shard_id % max_concurrency``, ``max_concurrency`` from ``GET /gateway/bot``) per 5 seconds across *every*
  process of the token, while discord.py only spaces the logins of one process.  So each IDENTIFY takes the
  bucket's storage lock, and the lock is kept 5 s (plus a margin for the frame's way out) after it is sent.
  The kernel (SQLite's file locks) or the server (PostgreSQL's advisory locks) frees a dead holder's lock.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

from storage import NamedLock, Storage

if TYPE_CHECKING:
    from bot.edge.client import VideoBot

log = logging.getLogger(__name__)

SYNC_LOCK = "videobot:command-sync"
IDENTIFY_SECONDS = 5.0  # Discord: one IDENTIFY per bucket per 5 s
IDENTIFY_MARGIN = 0.5  # the IDENTIFY leaves after the hook returns; keep the bucket a little longer


@dataclass(frozen=True)
class Processes:
    """How this process shares the work: its gateway shards (None: all, counted by Discord) and the worker."""

    shard_ids: tuple[int, ...] | None = None
    shard_count: int | None = None
    worker: bool = True

    def client_options(self) -> dict[str, Any]:
        """``AutoShardedBot`` options (none: discord.py asks ``/gateway/bot`` for the shard count)."""
        options: dict[str, Any] = {}
        if self.shard_count is not None:
            options["shard_count"] = self.shard_count
        if self.shard_ids is not None:
            options["shard_ids"] = list(self.shard_ids)
        return options


def parse_shards(text: str) -> tuple[int, ...]:
    """``"0,1"`` or ``"0-3"`` (or a mix) → shard ids, sorted, each once."""
    ids: set[int] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        low, sep, high = part.partition("-")
        if not low.isdigit() or (sep and not high.isdigit()):
            raise ValueError(f"not a shard id or range: {part!r}")
        ids.update(range(int(low), int(high) + 1) if sep else [int(low)])
    if not ids:
        raise ValueError("no shard ids given")
    return tuple(sorted(ids))


def check_processes(plan: Processes) -> str | None:
    """What is wrong with a plan (a message for the command line), or None."""
    if plan.shard_ids is not None and plan.shard_count is None:
        return "--shards needs --shard-count (every process must agree on the total)"
    if plan.shard_count is not None and plan.shard_count < 1:
        return "--shard-count must be at least 1"
    if plan.shard_ids and plan.shard_count is not None and max(plan.shard_ids) >= plan.shard_count:
        return f"shard ids must be below --shard-count ({plan.shard_count})"
    return None


async def sync_once(bot: VideoBot) -> NamedLock | None:
    """Sync the slash commands if no other process does; returns the held lock (release it on close)."""
    lock = await bot.app.storage.try_lock(SYNC_LOCK)
    if lock is None:
        log.info("another process syncs the slash commands; not syncing here")
        return None
    try:
        await bot.sync_commands()
    except BaseException:
        await lock.release()
        raise
    return lock


async def max_concurrency(bot: discord.Client) -> int:
    """``session_start_limit.max_concurrency`` from ``GET /gateway/bot`` (1 if Discord cannot say)."""
    try:
        _, _, limits = await bot.http.get_bot_gateway()
        return max(1, int(limits.get("max_concurrency", 1)))
    except (discord.HTTPException, discord.GatewayNotFound, KeyError, TypeError, ValueError) as exc:
        log.warning("could not read the identify concurrency from /gateway/bot (%s); assuming 1", exc)
        return 1


class IdentifyGate:
    """Spaces IDENTIFYs per bucket across processes through a storage lock per bucket."""

    def __init__(self, storage: Storage, concurrency: int, *, hold: float = IDENTIFY_SECONDS + IDENTIFY_MARGIN):
        self.storage = storage
        self.concurrency = max(1, concurrency)
        self.hold = hold
        self._holds: set[asyncio.Task[None]] = set()

    def bucket(self, shard_id: int | None) -> int:
        """Discord's rate-limit key of a shard."""
        return (shard_id or 0) % self.concurrency

    async def wait_turn(self, shard_id: int | None) -> None:
        """Return when this shard may IDENTIFY; its bucket stays locked ``hold`` seconds from now."""
        bucket = self.bucket(shard_id)
        got = asyncio.Event()
        task = asyncio.create_task(self._hold(bucket, got), name=f"videobot-identify-{bucket}")
        self._holds.add(task)
        task.add_done_callback(self._holds.discard)
        waiter = asyncio.create_task(got.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if not got.is_set():
            task.result()  # the lock could not be taken: raise why
        log.info("shard %s may identify (bucket %d of %d)", shard_id, bucket, self.concurrency)

    async def _hold(self, bucket: int, got: asyncio.Event) -> None:
        async with self.storage.advisory_lock(f"videobot:identify:{bucket}"):
            got.set()
            await asyncio.sleep(self.hold)
