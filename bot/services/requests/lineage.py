"""What a result came from, in words: ``extend of #12``, ``refined from #12``, ``stitch of #3 + #5``…, and the
cast it was made with (``with Mara``).  Each is a :class:`~bot.i18n.Phrase`: English as it reads (the web pages,
the command line), the member's language on Discord (``lineage.*`` in bot/locales)."""

from __future__ import annotations

from bot.i18n import Phrase, listed, phrase
from storage import Job, Storage

_RELATIONS = frozenset({"extend", "reroll", "remix", "refine", "loop", "soundtrack", "finish", "sound", "filmsound"})


def describe(job: Job) -> Phrase | None:
    """The job's origin, or None for a fresh generation."""
    sources = job.inputs.source_jobs
    of, parent = job.inputs.of or "?", job.parent_job_id
    if job.kind == "stitch" and sources:
        return phrase("lineage.stitch", ids=" + ".join(f"#{s}" for s in sources))
    if job.kind == "shot":  # a /sequence film's shot
        return phrase("lineage.shot", shot=job.inputs.shot or "?", of=of, film=parent)
    if job.kind == "sequence":  # a film; a new version of one (a shot re-rolled) names the film it came from
        return phrase("lineage.film_version", of=of, id=parent) if parent is not None else phrase("lineage.film", of=of)
    if job.kind == "variation":
        which = job.inputs.variation or "?"
        if parent is not None:
            return phrase("lineage.variation_of", variation=which, of=of, id=parent)
        return phrase("lineage.variation", variation=which, of=of)
    if parent is None:
        return None
    relation = job.kind if job.kind in _RELATIONS else "from"
    return phrase(f"lineage.{relation}", id=parent)


def with_cast(job: Job) -> Phrase | None:
    """ "with Mara and Teo" for a job made with a server's cast (None otherwise): its page, /history, the CLI.
    The names are the ones the job recorded, so a member deleted or renamed since still reads as it was."""
    names = [c.name for c in job.inputs.cast]
    if not names:
        return None
    return phrase("lineage.with", names=listed(names, "list.and"))


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
