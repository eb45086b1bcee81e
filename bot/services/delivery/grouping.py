"""The takes of one /variations request, seen from one of them: who its siblings are, whether they are all
ready to be shown together, and which one posts the group.  Decisions only, on stored rows; the Discord
target (:mod:`bot.edge.group`) does the posting.

* The group is the first take and the ``variation`` jobs that name it as parent (``create_many`` links them).
* A take is *ready* when it is DELIVERING (its video is made) or final (done, failed, cancelled).  A failed or
  cancelled take was refunded alone and is left out; the group waits for the others, bounded by the job
  deadlines (:func:`wait_ends_at`): past it the ready takes are shown and a late one follows on its own.
* The *poster* is the lowest-id DELIVERING take not yet covered by a decision.  Any take may be killed at any
  point: every one of them recomputes the same answer from the stored rows, so exactly one posts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.providers.registry import ProviderRegistry
from bot.settings import Settings
from storage import Job, JobState, Storage

GRACE_SECONDS = 300.0  # after the model's deadline: download, postprocessing and a retry or two
WAIT_STEP = 1.0  # how often a take that waits for its siblings looks again (seconds)
GONE = (JobState.FAILED, JobState.CANCELLED)


def is_grouped(job: Job) -> bool:
    """Whether the job is one take of a /variations request (delivered with its siblings)."""
    return job.kind == "variation" and (job.inputs.of or 0) > 1


def leader_id(job: Job) -> int:
    """The first take's id (the group's name)."""
    if (job.inputs.variation or 1) == 1 or job.parent_job_id is None:
        return job.id
    return job.parent_job_id


async def siblings(storage: Storage, job: Job) -> list[Job]:
    """Every take of the job's request, itself included, freshly read, by id."""
    first = leader_id(job)
    leader = await storage.jobs.get(first)
    found = {j.id: j for j in await storage.jobs.children(first) if j.kind == "variation"}
    if leader is not None:
        found[leader.id] = leader
    found[job.id] = found.get(job.id, job)
    return sorted(found.values(), key=lambda j: j.id)


class TakeGroups:
    """The groups of /variations takes as the stored rows say, for a delivery target: a take's siblings, and
    whether the wait for the ones not ready yet is over.  Built once by the composition root (``App.groups``)
    and handed to the target, which holds no service of its own for this."""

    def __init__(
        self, storage: Storage, registry: ProviderRegistry, settings: Settings, clock: Callable[[], float] = time.time
    ):
        self._storage = storage
        self._registry = registry
        self._settings = settings
        self._clock = clock

    async def siblings(self, job: Job) -> list[Job]:
        """Every take of the job's request, itself included, freshly read, by id."""
        return await siblings(self._storage, job)

    def wait_is_over(self, takes: Iterable[Job]) -> bool:
        """Whether the group has waited for its late takes as long as it will (:func:`wait_ends_at`)."""
        return self._clock() >= wait_ends_at(takes, self._registry, self._settings)


def ready(job: Job) -> bool:
    """Made (DELIVERING) or final."""
    return job.state is JobState.DELIVERING or job.state.finished


def wait_ends_at(takes: Iterable[Job], registry: ProviderRegistry, settings: Settings) -> float:
    """Until when the group waits for a take that is not ready: the latest of the takes' deadlines (created
    at + the model's task deadline) plus :data:`GRACE_SECONDS`."""
    ends = []
    for take in takes:
        try:
            limit = registry.model(take.model).deadline_seconds or settings.job_deadline_seconds
        except Exception:  # a model no longer configured: the bot-wide deadline
            limit = settings.job_deadline_seconds
        ends.append((take.started_at or take.created_at) + limit)
    return max(ends, default=0.0) + GRACE_SECONDS


@dataclass(frozen=True)
class Decision:
    """A poster's stored choice: which takes its group holds and how they are shown."""

    poster_id: int
    ids: tuple[int, ...]
    together: bool
    message_id: int | None


def covering(decisions: Iterable[Decision], job_id: int) -> Decision | None:
    """The decision that holds ``job_id`` (the newest poster's, if a failed poster left an older one)."""
    found = [d for d in decisions if job_id in d.ids]
    return max(found, key=lambda d: d.poster_id) if found else None


def members(takes: list[Job], decisions: Iterable[Decision]) -> list[Job]:
    """The DELIVERING takes no decision holds yet, by id (the first of them is the poster)."""
    covered = {i for d in decisions for i in d.ids}
    return [t for t in takes if t.state is JobState.DELIVERING and t.id not in covered]


def live_decisions(takes: list[Job], decision_of: Callable[[Job], Decision | None]) -> list[Decision]:
    """The decisions of the takes that were not failed or cancelled (a failed poster's group is void)."""
    out = []
    for take in takes:
        decision = decision_of(take)
        if decision is not None and take.state not in GONE:
            out.append(decision)
    return out
