"""What a result came from, in words: ``extend of #12``, ``remix of #9``, ``stitch of #3 + #5``…"""

from __future__ import annotations

from storage import Job

_RELATION = {"extend": "extend of", "reroll": "re-roll of", "remix": "remix of", "loop": "loop of",
             "soundtrack": "soundtrack on"}  # fmt: skip


def describe(job: Job) -> str | None:
    """The job's origin, or None for a fresh generation."""
    sources = job.inputs.get("source_jobs")
    if job.kind == "stitch" and isinstance(sources, list) and sources:
        return "stitch of " + " + ".join(f"#{int(s)}" for s in sources)
    if job.parent_job_id is None:
        return None
    return f"{_RELATION.get(job.kind, 'from')} #{job.parent_job_id}"
