"""The model timings repository, shared by both backends (the only SQL about model timings).

One row per model: an exponentially weighted mean of its run times and of their absolute deviation from the mean
(the spread), updated by one upsert so two workers finishing at once both count (no read-modify-write). The first
few samples are simply averaged. A sample far above the mean (a provider queue, an outage) is clipped to mean +
``CLIP`` spreads first, so one outlier moves the estimate only a little."""

from __future__ import annotations

from typing import Protocol

from storage.database import Row, SqlDatabase
from storage.models import ModelTiming

GAIN = 0.25  # weight of a new sample in the mean (TCP's 1/8 learns too slowly from a handful of jobs)
SPREAD_GAIN = 0.25  # weight of a new sample's deviation in the spread
CLIP = 4.0  # a sample counts as at most mean + CLIP * spread
FIRST_SPREAD = 0.25  # the spread after the first sample, as a fraction of it

_OLD_MEAN = "model_timings.mean_seconds"
_OLD_SPREAD = "model_timings.spread_seconds"
_CAP = f"({_OLD_MEAN} + {CLIP} * {_OLD_SPREAD})"
_SAMPLE = f"(CASE WHEN excluded.last_seconds > {_CAP} THEN {_CAP} ELSE excluded.last_seconds END)"
# The first samples are averaged (gain 1/n) until 1/n falls to GAIN: a first guess is not kept for long.
_GAIN = f"(CASE WHEN model_timings.samples + 1 < {1 / GAIN:g} THEN 1.0 / (model_timings.samples + 1) ELSE {GAIN} END)"
_UPSERT = (
    "INSERT INTO model_timings (model, samples, mean_seconds, spread_seconds, last_seconds, updated_at)"
    " VALUES (?, 1, ?, ?, ?, ?) ON CONFLICT (model) DO UPDATE SET"
    " samples = model_timings.samples + 1,"
    f" mean_seconds = {_OLD_MEAN} + {_GAIN} * ({_SAMPLE} - {_OLD_MEAN}),"
    f" spread_seconds = {_OLD_SPREAD} + {SPREAD_GAIN} * (ABS({_SAMPLE} - {_OLD_MEAN}) - {_OLD_SPREAD}),"
    " last_seconds = excluded.last_seconds, updated_at = excluded.updated_at"
)
_COLUMNS = "model, samples, mean_seconds, spread_seconds, last_seconds, updated_at"


class TimingRepository(Protocol):
    """How long each model's provider tasks take, learned from the jobs done (``Storage.timings``)."""

    async def record(self, model: str, seconds: float, *, now: float) -> ModelTiming:
        """Count one run of ``seconds`` (task created → finished); the model's new estimate."""
        ...

    async def get(self, model: str) -> ModelTiming | None:
        """The model's estimate, or None before its first finished job."""
        ...

    async def all(self) -> list[ModelTiming]:
        """Every model's estimate, by name."""
        ...


class SqlTimings:
    """How long each model's tasks take, learned from the jobs done."""

    def __init__(self, db: SqlDatabase):
        self.db = db

    async def record(self, model: str, seconds: float, *, now: float) -> ModelTiming:
        """Count one run of ``seconds`` (task created → finished); the model's new estimate."""
        seconds = max(0.0, float(seconds))
        async with self.db.transaction(locks=[]) as conn:
            await conn.execute(_UPSERT, (model, seconds, seconds * FIRST_SPREAD, seconds, now))
        found = await self.get(model)
        assert found is not None  # just written
        return found

    async def get(self, model: str) -> ModelTiming | None:
        """The model's estimate, or None before its first finished job."""
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM model_timings WHERE model = ?", (model,))
        return _timing(row) if row is not None else None

    async def all(self) -> list[ModelTiming]:
        """Every model's estimate, by name."""
        return [_timing(r) for r in await self.db.fetchall(f"SELECT {_COLUMNS} FROM model_timings ORDER BY model")]


def _timing(row: Row) -> ModelTiming:
    return ModelTiming(str(row[0]), int(row[1]), float(row[2]), float(row[3]), float(row[4]), float(row[5]))
