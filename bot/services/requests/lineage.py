"""What a result came from, in words: ``extend of #12``, ``refined from #12``, ``stitch of #3 + #5``…, and the
cast it was made with (``with Mara``)."""

from __future__ import annotations

from storage import Job, Storage

_RELATION = {
    "extend": "extend of",
    "reroll": "re-roll of",
    "remix": "remix of",
    "refine": "refined from",
    "loop": "loop of",
    "soundtrack": "soundtrack on",
    "finish": "finished version of",
    "sound": "sound for",
    "filmsound": "soundtrack of film",
}


def describe(job: Job) -> str | None:
    """The job's origin, or None for a fresh generation."""
    sources = job.inputs.source_jobs
    if job.kind == "stitch" and sources:
        return "stitch of " + " + ".join(f"#{s}" for s in sources)
    if job.kind == "shot":  # a /sequence film's shot
        return f"shot {job.inputs.shot or '?'}/{job.inputs.of or '?'} of film #{job.parent_job_id}"
    if job.kind == "sequence":  # a film; a new version of one (a shot re-rolled) names the film it came from
        film = f"film of {job.inputs.of or '?'} shots"
        return f"{film}, a new version of #{job.parent_job_id}" if job.parent_job_id is not None else film
    if job.kind == "variation":
        which = f"variation {job.inputs.variation or '?'}/{job.inputs.of or '?'}"
        return f"{which} of #{job.parent_job_id}" if job.parent_job_id is not None else which
    if job.parent_job_id is None:
        return None
    return f"{_RELATION.get(job.kind, 'from')} #{job.parent_job_id}"


def with_cast(job: Job) -> str | None:
    """ "with Mara and Teo" for a job made with a server's cast (None otherwise): its page, /history, the CLI.
    The names are the ones the job recorded, so a member deleted or renamed since still reads as it was."""
    names = [c.name for c in job.inputs.cast]
    if not names:
        return None
    return "with " + (", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0])


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
