"""Sharding as the gateway sees it: ``/gateway/bot`` numbers, IDENTIFY's ``shard`` checks, identify buckets.

Facts (discord-api-docs ``events/gateway.mdx``, "Sharding", "Rate Limiting", "Session Start Limit Object"):

* ``shard: [shard_id, num_shards]`` routes guild events by ``(guild_id >> 22) % num_shards``; events with no
  guild (DMs, entitlements) go to shard 0 only.  An invalid pair (id outside ``0..num_shards-1``) is closed
  with **4010 Invalid shard**; a session that would hold more than 2,500 guilds with **4011 Sharding required**.
* Several sessions may hold the same ``[id, count]`` and counts may differ between sessions (Discord allows it
  for zero-downtime hand-offs): so the emulator accepts both unless ``strict`` is set, a test aid that closes
  such an IDENTIFY with 4010 to catch a misconfigured deployment.
* IDENTIFYs go in buckets ``shard_id % max_concurrency``, one per bucket per 5 seconds.  Too early, "the
  Gateway will respond with an Invalid Session (opcode 9)".  Every IDENTIFY is recorded (``log``), accepted or
  not, so a test can assert the spacing per bucket; refusing is on with ``enforce_identify_limit``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

Shard = tuple[int, int]
GUILDS_PER_SHARD = 2500
DAY_MS = 24 * 3600 * 1000


def shard_of(guild_id: int, count: int) -> int:
    """The shard that receives a guild's events."""
    return (guild_id >> 22) % count


@dataclass(frozen=True)
class IdentifyRecord:
    """One IDENTIFY: when (``time.monotonic()``), which shard and bucket, and what the gateway answered."""

    at: float
    shard: Shard | None
    bucket: int
    outcome: str  # "ready", "rate_limited" (op 9), "invalid_shard" (4010), "sharding_required" (4011)


@dataclass
class ShardPolicy:
    """The gateway's sharding knobs and its record of IDENTIFYs."""

    recommended_shards: int = 1  # /gateway/bot "shards"
    max_concurrency: int = 1  # session_start_limit.max_concurrency
    identify_interval: float = 5.0  # one IDENTIFY per bucket per this many seconds
    enforce_identify_limit: bool = False  # answer a too-early IDENTIFY with op 9 (as Discord does)
    session_start_total: int = 1000
    strict: bool = False  # test aid: 4010 for a shard already live or a count differing from live ones
    guilds_per_shard: int = GUILDS_PER_SHARD
    log: list[IdentifyRecord] = field(default_factory=list)
    session_starts: int = 0

    def bucket(self, shard: Shard | None) -> int:
        """The identify rate-limit key of a shard (``shard_id % max_concurrency``)."""
        return (shard[0] if shard else 0) % max(1, self.max_concurrency)

    def gateway_bot(self, url: str) -> dict[str, object]:
        """The body of ``GET /gateway/bot``."""
        limit = {
            "total": self.session_start_total,
            "remaining": max(0, self.session_start_total - self.session_starts),
            "reset_after": DAY_MS,
            "max_concurrency": self.max_concurrency,
        }
        return {"url": url, "shards": self.recommended_shards, "session_start_limit": limit}

    def accepted(self, bucket: int | None = None) -> list[IdentifyRecord]:
        """IDENTIFYs answered with READY (of one bucket when given), oldest first."""
        return [r for r in self.log if r.outcome == "ready" and (bucket is None or r.bucket == bucket)]

    def refused(self) -> list[IdentifyRecord]:
        """IDENTIFYs the gateway refused, oldest first."""
        return [r for r in self.log if r.outcome != "ready"]

    def min_spacing(self, bucket: int) -> float | None:
        """The shortest gap between two accepted IDENTIFYs of one bucket (None with fewer than two)."""
        times = [r.at for r in self.accepted(bucket)]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        return min(gaps) if gaps else None

    def judge(self, raw: object, live: Iterable[Shard | None], guild_ids: Iterable[int]) -> tuple[Shard | None, str]:
        """Check an IDENTIFY's ``shard`` field; returns (shard, outcome) and records it."""
        now = time.monotonic()
        shard, outcome = self._parse(raw)
        if outcome == "ready" and shard is not None and self.strict:
            others = [s for s in live if s is not None]
            if shard in others or any(s[1] != shard[1] for s in others):
                outcome = "invalid_shard"
        if outcome == "ready":
            count = shard[1] if shard else 1
            mine = [g for g in guild_ids if shard is None or shard_of(g, count) == shard[0]]
            if len(mine) > self.guilds_per_shard:
                outcome = "sharding_required"
        bucket = self.bucket(shard)
        if outcome == "ready" and self.enforce_identify_limit:
            last = self.accepted(bucket)
            if last and now - last[-1].at < self.identify_interval:
                outcome = "rate_limited"
        self.log.append(IdentifyRecord(now, shard, bucket, outcome))
        if outcome == "ready":
            self.session_starts += 1
        return shard, outcome

    @staticmethod
    def _parse(raw: object) -> tuple[Shard | None, str]:
        if raw is None:
            return None, "ready"
        if not isinstance(raw, list | tuple) or len(raw) != 2:
            return None, "invalid_shard"
        try:
            shard_id, count = int(raw[0]), int(raw[1])
        except (TypeError, ValueError):
            return None, "invalid_shard"
        if count < 1 or not 0 <= shard_id < count:
            return None, "invalid_shard"
        return (shard_id, count), "ready"
