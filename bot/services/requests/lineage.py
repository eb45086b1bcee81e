"""What a result came from, in words: ``extend of #12``, ``refined from #12``, ``stitch of #3 + #5``…"""

from __future__ import annotations

from storage import Job, Storage

_RELATION = {
    "extend": "extend of",
    "reroll": "re-roll of",
    "remix": "remix of",
    "refine": "refined from",
    "loop": "loop of",
    "soundtrack": "soundtrack on",
}


def describe(job: Job) -> str | None:
    """The job's origin, or None for a fresh generation."""
    sources = job.inputs.source_jobs
    if job.kind == "stitch" and sources:
        return "stitch of " + " + ".join(f"#{s}" for s in sources)
    if job.kind == "variation":
        which = f"variation {job.inputs.variation or '?'}/{job.inputs.of or '?'}"
        return f"{which} of #{job.parent_job_id}" if job.parent_job_id is not None else which
    if job.parent_job_id is None:
        return None
    return f"{_RELATION.get(job.kind, 'from')} #{job.parent_job_id}"


def parents(job: Job) -> list[int]:
    """The jobs this one was made from (a stitch has several)."""
    ids = list(job.inputs.source_jobs)
    if job.parent_job_id is not None and job.parent_job_id not in ids:
        ids.insert(0, job.parent_job_id)
    return ids


async def chain(storage: Storage, job: Job, *, limit: int = 25) -> tuple[list[Job], list[Job]]:
    """(ancestors, oldest first; descendants among the owner's jobs, in the order they were made)."""
    ancestors: list[Job] = []
    seen = {job.id}
    todo = parents(job)
    while todo and len(ancestors) < limit:
        found = await storage.jobs.get(todo.pop(0))
        if found is None or found.id in seen:
            continue
        seen.add(found.id)
        ancestors.append(found)
        todo.extend(parents(found))
    ancestors.sort(key=lambda j: j.id)
    mine = await storage.jobs.search(owner_id=job.owner_id, limit=500, newest_first=False)
    descendants: list[Job] = []
    family = {job.id}
    for other in mine:  # oldest first: a child always comes after its parents
        if other.id not in family and family & set(parents(other)):
            family.add(other.id)
            descendants.append(other)
    return ancestors, descendants[:limit]
