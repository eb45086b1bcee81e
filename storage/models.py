"""Plain dataclasses returned by the repositories.  No SQL and no behaviour beyond small helpers."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any


class JobState(StrEnum):
    """A job's life, in order.  Every transition is written before the next step starts."""

    #: waiting for a free slot (overall, per provider, per user)
    QUEUED = "queued"
    #: about to call the provider's create; if we crash here the outcome is unknown
    SUBMITTING = "submitting"
    #: the provider has the task (provider_task_id is set); we poll it
    RUNNING = "running"
    #: the provider finished; the output is being downloaded to raw_path
    DOWNLOADING = "downloading"
    #: the raw file is being turned into the result (concat for extends, checks)
    POSTPROCESSING = "postprocessing"
    #: result_path is final; being handed to the delivery target
    DELIVERING = "delivering"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        """Whether the job will not change any more."""
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


ACTIVE_STATES = (
    JobState.SUBMITTING,
    JobState.RUNNING,
    JobState.DOWNLOADING,
    JobState.POSTPROCESSING,
    JobState.DELIVERING,
)


class LedgerState(StrEnum):
    """A quota reservation's state."""

    RESERVED = "reserved"
    COMMITTED = "committed"
    REFUNDED = "refunded"


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _number(value: Any) -> float | None:
    return float(value) if value is not None and value != "" else None


def _whole(value: Any) -> int | None:
    return int(value) if value is not None and value != "" else None


@dataclass(frozen=True)
class JobInputs:
    """What a job is made from besides its prompt (stored with the job as JSON, ``inputs_json``)::

        {"image": "/data/inputs/ab12.png",      # a cleaned upload or an extend's last frame (image to video)
         "end_image": "/data/inputs/cd34.png",  # the frame to end on (interpolation)
         "loop": true,                          # end where it started
         "video": "/data/inputs/clip-….mp4",    # /remix's trimmed clip; /loop's and /soundtrack's source result
         "strength": 0.8,                       # /remix: how far from the source
         "extend_task_id": "…",                 # a native extend continues this provider task
         "concat_with": "/data/media/12.mp4",   # an extend by last frame is joined onto this result
         "variation": 2, "of": 4,               # a /variations take
         "op": "stitch",                        # an edit (local:edit): stitch, loop or soundtrack …
         "sources": ["/data/media/3.mp4", …],   # … /stitch's results in order, with ``crossfade`` seconds
         "times": 3,                            # … /loop's repeats
         "audio": "/data/inputs/audio-…",       # … /soundtrack's file, at ``volume``
         "mix": "under",                        # sound laid under the clip's own (ducked) or replacing it
         "seconds": 4.37,                       # a sound job: the clip's exact length (the sound is made to it)
         "source_jobs": [3, 5],                 # the results an edit was made from (lineage)
         "shot": 3,                             # a /sequence shot (with ``of``: the film's shot count) …
         "continuity": true,                    # … a film whose shots start from the last frame before them
         "transition": "crossfade",             # … a film's join: cut, crossfade or fade
         "width": 1920, "height": 1080, "fps": 60,  # /finish: the size and frame rate to make
         "source_task_id": "…",                 # /finish on the provider that made the result (Luma upscale)
         "scale": 1.5,                          # /finish: target over source short side (a model asked by factor)
         "source_fps": 24.0,                    # /finish: the source clip's probed frame rate (fal:rife asks by it)
         "fallback_tried": ["runway:gen4.5"],   # models the job already left (written by the fallback mover)
         "cast": [{"id": 3, "name": "Mara", "photos": ["ab12…"], "voice": "cd34….mp3"}]}  # cast members used

    Every key is optional; :meth:`to_json` writes only those set.  Rows written by earlier versions are plain
    dicts of the same keys; :meth:`from_json` reads them all (missing keys take their defaults, unknown ones are
    ignored), like :class:`bot.edge.record.DiscordRecord`.
    """

    image: str | None = None
    end_image: str | None = None
    loop: bool = False
    video: str | None = None
    strength: float | None = None
    extend_task_id: str | None = None
    concat_with: str | None = None
    variation: int | None = None
    of: int | None = None
    op: str | None = None
    sources: tuple[str, ...] | None = None
    times: int | None = None
    crossfade: float | None = None
    audio: str | None = None
    volume: float | None = None
    mix: str | None = None
    seconds: float | None = None
    source_jobs: tuple[int, ...] = ()
    fallback_tried: tuple[str, ...] = ()
    shot: int | None = None
    continuity: bool = False
    transition: str | None = None
    cast: tuple[CastUse, ...] = ()
    width: int | None = None
    height: int | None = None
    fps: int | None = None
    source_task_id: str | None = None
    scale: float | None = None
    source_fps: float | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> JobInputs:
        """Read stored inputs (also ones written by an earlier version)."""
        data = data or {}
        sources = data.get("sources")
        source_jobs = data.get("source_jobs")
        return cls(
            image=_text(data.get("image")),
            end_image=_text(data.get("end_image")),
            loop=bool(data.get("loop")),
            video=_text(data.get("video")),
            strength=_number(data.get("strength")),
            extend_task_id=_text(data.get("extend_task_id")),
            concat_with=_text(data.get("concat_with")),
            variation=_whole(data.get("variation")),
            of=_whole(data.get("of")),
            op=_text(data.get("op")),
            sources=tuple(str(s) for s in sources) if isinstance(sources, list | tuple) else None,
            times=_whole(data.get("times")),
            crossfade=_number(data.get("crossfade")),
            audio=_text(data.get("audio")),
            volume=_number(data.get("volume")),
            mix=_text(data.get("mix")),
            seconds=_number(data.get("seconds")),
            source_jobs=tuple(int(i) for i in source_jobs) if isinstance(source_jobs, list | tuple) else (),
            fallback_tried=tuple(str(m) for m in data.get("fallback_tried") or ()),
            shot=_whole(data.get("shot")),
            continuity=bool(data.get("continuity")),
            transition=_text(data.get("transition")),
            cast=tuple(CastUse.from_json(c) for c in data.get("cast") or () if isinstance(c, Mapping)),
            width=_whole(data.get("width")),
            height=_whole(data.get("height")),
            fps=_whole(data.get("fps")),
            source_task_id=_text(data.get("source_task_id")),
            scale=_number(data.get("scale")),
            source_fps=_number(data.get("source_fps")),
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON dict stored with the job: only the keys that are set (tuples as lists)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value is False or value == ():
                continue
            if f.name == "cast":
                out["cast"] = [c.to_json() for c in value]
                continue
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def files(self) -> Iterator[str]:
        """Every local file these inputs point at (the janitor keeps them while the job needs them)."""
        for path in (self.image, self.end_image, self.video, self.concat_with, self.audio, *(self.sources or ())):
            if path:
                yield path


@dataclass(frozen=True)
class Job:
    """One row of the jobs table."""

    id: int
    kind: str
    state: JobState
    owner_id: int
    guild_id: int | None
    channel_id: int | None
    model: str
    spec: dict[str, Any]
    inputs: JobInputs
    delivery: dict[str, Any]
    parent_job_id: int | None
    provider_task_id: str | None
    progress: float
    cost_seconds: float
    raw_path: str | None
    result_path: str | None
    result_url: str | None
    error: str | None
    error_detail: str | None
    attempts: int
    cancel_requested: bool
    message_id: int | None
    delivered_at: float | None
    lease_owner: str | None
    lease_expires: float | None
    next_attempt_at: float | None
    created_at: float
    updated_at: float
    started_at: float | None
    finished_at: float | None
    fingerprint: str | None = None
    delivery_attempts: int = 0
    owner_name: str | None = None  # the requester's display name at submit (shown on result pages)
    removed_at: float | None = None  # deleted with ❌: its pages answer 410 and galleries skip it
    result_width: int | None = None
    result_height: int | None = None
    result_seconds: float | None = None
    pushed_at: float | None = None  # when a provider's completion call (webhook) last arrived
    fallback_from: str | None = None  # the model the job was asked for, when it moved to a fallback
    fallback_reason: str | None = None  # why it moved, for the user ("Runway is unavailable")
    push_missed_at: float | None = None  # its result was found by a poll although a completion call was expected
    result_audio: bool | None = None  # its result has a sound track; None: not recorded (made before it was)

    @property
    def provider(self) -> str:
        """The provider part of the model name."""
        return self.model.split(":", 1)[0]

    @property
    def delivery_kind(self) -> str:
        """Which delivery target takes the job (``"discord"``, ``"file"``); the rest of ``delivery`` is that
        target's own record, read only by the target (``DiscordRecord``, :class:`FileRecord`)."""
        return str(self.delivery.get("kind") or "")


JSON_COLUMNS = {"spec": "spec_json", "inputs": "inputs_json", "delivery": "delivery_json"}


def job_from_row(row: Any) -> Job:
    """Build a Job from an sqlite3.Row (or any mapping with the table's columns)."""
    data = dict(row)
    for attr, column in JSON_COLUMNS.items():
        data[attr] = json.loads(data.pop(column) or "{}")
    data["inputs"] = JobInputs.from_json(data["inputs"])
    data["state"] = JobState(data["state"])
    data["cancel_requested"] = bool(data["cancel_requested"])
    if data.get("result_audio") is not None:
        data["result_audio"] = bool(data["result_audio"])
    return Job(**data)


@dataclass(frozen=True)
class NewJob:
    """What the service asks storage to create."""

    kind: str
    owner_id: int
    guild_id: int | None
    channel_id: int | None
    model: str
    spec: dict[str, Any]
    cost_seconds: float
    inputs: JobInputs = field(default_factory=JobInputs)
    delivery: dict[str, Any] = field(default_factory=dict)
    parent_job_id: int | None = None
    fingerprint: str | None = None
    state: JobState = JobState.QUEUED
    result_path: str | None = None  # set for cache hits, which are created DELIVERING
    owner_name: str | None = None


@dataclass(frozen=True)
class ShotDecision:
    """What happened to a /sequence shot that failed after its fallback and its one retry (``sequence_shots``)."""

    sequence_id: int
    shot: int  # 1-based place in the film
    asked_at: float  # when the member was asked: finish without it, or cancel the rest
    answer: str | None  # "finish", "cancel", "timeout"; None while waiting
    answered_at: float | None
    dropped_at: float | None  # when its seconds were given back (at most once)
    refunded: float  # the seconds of the film's reservation given back for it


@dataclass(frozen=True)
class Charge:
    """A quota reservation to make together with a job, atomically with the limit check.

    The reservation is refused when the user's usage since ``window_start`` plus ``seconds``
    would exceed ``user_limit``, or the guild's would exceed ``guild_budget`` (when set).  ``user_install``:
    the job is made where the app is installed on the user, not in a server it is in; the user's usage there is a
    pool of its own (``VIDEOBOT_USER_INSTALL_DAILY_SECONDS``).
    """

    seconds: float
    window_start: float
    user_limit: float
    guild_budget: float | None = None
    max_queued: int | None = None  # refuse when the user already has this many unfinished jobs
    spend: Spend | None = None  # the money side: the job's estimated cost, checked against the spend caps
    user_install: bool = False


@dataclass(frozen=True)
class Cost:
    """What a job costs (or was estimated to): ``units`` of the provider's ``unit`` and US dollars."""

    units: float
    unit: str  # "credits" (Runway), "GPU s" (Replicate hardware seconds), "output s", "videos"
    usd: float


@dataclass(frozen=True)
class Spend:
    """A job's money reservation, made with its quota reservation and checked against the monthly caps.

    Refused when the server's (or the whole bot's) dollars reserved or spent since ``month_start``, plus
    ``cost.usd``, would pass ``guild_cap_usd`` (``bot_cap_usd``).  A free job is never refused."""

    model: str
    cost: Cost
    month_start: float
    guild_cap_usd: float | None = None
    bot_cap_usd: float | None = None


@dataclass(frozen=True)
class SpendLine:
    """One row of a usage report: a model (with its unit) or a member."""

    key: str  # the model name, or the member's id as text
    label: str  # the model name, or the member's display name
    jobs: int
    units: float
    unit: str
    usd: float


@dataclass(frozen=True)
class SpendReport:
    """Spend since a moment, for one server or the whole bot (storage's answer for ``/admin usage``)."""

    since: float
    jobs: int
    usd: float  # settled spend plus what unfinished jobs have reserved
    reserved_usd: float  # the unfinished jobs' part of ``usd``
    unfinished: int
    failures_refunded: int  # failed jobs whose quota was given back
    failures_usd: float  # what providers still billed for them (Runway keeps moderated inputs' credits)
    cache_hits: int
    cache_saved_usd: float
    by_model: tuple[SpendLine, ...]
    by_member: tuple[SpendLine, ...]  # top 10 by dollars


@dataclass(frozen=True)
class Usage:
    """Quota seconds used in a window, and when the oldest of them leave it."""

    used: float
    oldest_at: float | None  # created_at of the oldest charge in the window (frees first)
    entries: tuple[tuple[float, float], ...] = ()  # (created_at, seconds), oldest first


@dataclass(frozen=True)
class QuotaLimits:
    """An admin override row; None fields fall through to the next level."""

    guild_id: int
    user_id: int
    user_daily_seconds: float | None
    guild_daily_budget: float | None


@dataclass(frozen=True)
class GalleryQuery:
    """One gallery page: a server's finished, not removed results, newest first, after a keyset cursor."""

    guild_id: int
    owner_id: int | None = None  # a member's own gallery (or the admin's member filter)
    model: str | None = None
    before: tuple[float, int] | None = None  # (created_at, id) of the last card already shown
    limit: int = 24
    sound: bool | None = None  # only results with a sound track (True) or silent ones (False)


@dataclass(frozen=True)
class ModelTiming:
    """How long a model's provider tasks take (task created → finished), learned from the jobs done."""

    model: str
    samples: int
    mean_seconds: float  # exponentially weighted mean
    spread_seconds: float  # exponentially weighted mean absolute deviation from the mean
    last_seconds: float
    updated_at: float


@dataclass(frozen=True)
class CacheEntry:
    """A cached result."""

    fingerprint: str
    job_id: int
    result_path: str
    created_at: float


@dataclass(frozen=True)
class Caps:
    """Running-job caps a claim checks for a QUEUED job, counted over every process (leased unfinished jobs)."""

    per_user: int | None = None  # the job owner's running jobs
    per_provider: int | None = None  # running jobs on the job's provider (the part of ``model`` before ':')
    total: int | None = None  # running jobs overall


@dataclass(frozen=True)
class Breaker:
    """One provider's circuit breaker: its provider-side failures in a row and until when it is open."""

    provider: str
    failures: int
    opened_at: float | None
    open_until: float | None
    last_failure_at: float | None
    last_reason: str | None
    updated_at: float

    def is_open(self, now: float) -> bool:
        """Whether new jobs skip this provider at ``now``."""
        return self.open_until is not None and now < self.open_until


@dataclass(frozen=True)
class CastMember:
    """One member of a server's cast: a named character from 1-3 reference photos (content hashes of the stored
    PNGs, in order), an optional voice sample (its stored file name) and a description added to prompts."""

    id: int
    guild_id: int
    name: str
    photos: tuple[str, ...]
    voice: str | None
    voice_seconds: float | None
    description: str
    added_by: int
    added_by_name: str | None
    created_at: float


@dataclass(frozen=True)
class NewCastMember:
    """What the cast service asks storage to create (its files already stored)."""

    guild_id: int
    name: str
    photos: tuple[str, ...]
    added_by: int
    voice: str | None = None
    voice_seconds: float | None = None
    description: str = ""
    added_by_name: str | None = None


@dataclass(frozen=True)
class CastUse:
    """A cast member as a job used it (stored in the job's inputs): enough to remake the request after the
    member is deleted or changed.  ``photos`` and ``voice`` are the stored files, each named by its content hash
    (``<sha256>.png``), which are kept while jobs use them."""

    id: int
    name: str
    photos: tuple[str, ...]
    voice: str | None = None
    description: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CastUse:
        """Read one stored entry."""
        return cls(
            id=int(data.get("id") or 0),
            name=str(data.get("name") or ""),
            photos=tuple(str(p) for p in data.get("photos") or ()),
            voice=_text(data.get("voice")),
            description=str(data.get("description") or ""),
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON stored with the job."""
        out: dict[str, Any] = {"id": self.id, "name": self.name, "photos": list(self.photos)}
        if self.voice:
            out["voice"] = self.voice
        if self.description:
            out["description"] = self.description
        return out
