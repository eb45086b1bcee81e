"""The first and last frame of a result, as small JPEGs for the result card's media gallery.

They are made for one delivery and deleted once it is posted (Discord keeps its copy); a delivery repeated
after a crash makes them again.  Best effort: a result whose frames cannot be read is shown without them.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.errors import MediaError
from bot.media import Frame, Media

log = logging.getLogger(__name__)

STILL_WIDTH = 320  # small: they ride along with the clip under the same upload limit


@dataclass(frozen=True)
class Stills:
    """A result's first and last frame (JPEG files)."""

    first: Path
    last: Path

    def remove(self) -> None:
        """Delete both files."""
        self.first.unlink(missing_ok=True)
        self.last.unlink(missing_ok=True)


class StillMaker:
    """Makes :class:`Stills` under ``folder``."""

    def __init__(self, media: Media, folder: Path):
        self.media = media
        self.folder = folder

    async def make(self, job_id: int, video: Path) -> Stills | None:
        """The first and last frame of ``video``, or None when they cannot be read."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tag = secrets.token_hex(4)
        stills = Stills(self.folder / f"{job_id}-{tag}-first.jpg", self.folder / f"{job_id}-{tag}-last.jpg")
        try:  # one ffmpeg run for both, no probe: a result is a checked video (a failed run falls back, then probes)
            await self.media.stills(
                video, [Frame(stills.first, STILL_WIDTH), Frame(stills.last, STILL_WIDTH, last=True)]
            )
        except (MediaError, OSError) as exc:
            log.info("job %s: no first/last frame for the card (%s)", job_id, exc)
            stills.remove()
            return None
        return stills
