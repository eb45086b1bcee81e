"""Poster frames: a small JPEG beside each result (``results/{job}.poster.jpg``), made at delivery time.

The result pages and galleries show it; the janitor deletes it together with its result.  The result's frame
size and length are on the job (the player and the unfurl tags need them): noted when the result is
postprocessed, else (a job postprocessed before they were) when its poster is made.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from bot.errors import MediaError
from bot.media import Frame, Media, MediaInfo
from bot.media.ops import poster_time
from storage import Job, Storage

log = logging.getLogger(__name__)

POSTER_WIDTH = 480


def poster_of(result: Path | str) -> Path:
    """Where a result's poster lives."""
    result = Path(result)
    return result.with_name(f"{result.stem}.poster.jpg")


def result_facts(info: MediaInfo) -> dict[str, Any]:
    """The result's frame size and length as the job records them (the player and the unfurl tags need them)."""
    return {"result_width": info.width, "result_height": info.height, "result_seconds": round(info.duration, 3)}


async def add_poster(media: Media, storage: Storage, job: Job, result: Path) -> Job:
    """Make the poster (once) and note the result's size and length; best effort, never fails a delivery.
    A job whose size and length are noted already (postprocessing notes them) needs no probe: one ffmpeg run."""
    poster = poster_of(result)
    if poster.exists() and job.result_width:
        return job
    try:
        if job.result_width and job.result_seconds:
            await media.stills(result, [Frame(poster, POSTER_WIDTH, at=poster_time(job.result_seconds))])
            return job
        info = await media.poster(result, poster, POSTER_WIDTH)
    except (MediaError, OSError) as exc:
        log.info("job %s: no poster frame (%s)", job.id, exc)
        return job
    return await storage.jobs.update(job.id, **result_facts(info))
