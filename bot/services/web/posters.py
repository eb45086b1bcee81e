"""Poster frames: a small JPEG beside each result (``results/{job}.poster.jpg``), made at delivery time.

The result pages and galleries show it; the janitor deletes it together with its result.  Making it also
records the result's frame size and length on the job (the player and the unfurl tags need them).
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.errors import MediaError
from bot.media import Media
from storage import Job, Storage

log = logging.getLogger(__name__)

POSTER_WIDTH = 480


def poster_of(result: Path | str) -> Path:
    """Where a result's poster lives."""
    result = Path(result)
    return result.with_name(f"{result.stem}.poster.jpg")


async def add_poster(media: Media, storage: Storage, job: Job, result: Path) -> Job:
    """Make the poster (once) and note the result's size and length; best effort, never fails a delivery."""
    poster = poster_of(result)
    if poster.exists() and job.result_width:
        return job
    try:
        info = await media.poster(result, poster, POSTER_WIDTH)
    except (MediaError, OSError) as exc:
        log.info("job %s: no poster frame (%s)", job.id, exc)
        return job
    return await storage.jobs.update(
        job.id, result_width=info.width, result_height=info.height, result_seconds=round(info.duration, 3)
    )
