"""A running web server of the real App, and finished results put into it the way the worker leaves them."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import App
from bot.services.web.posters import add_poster
from storage import Job, JobInputs, JobState, NewJob

GUILD = 555


@dataclass
class Site:
    """A running web server and a way to put finished results into it."""

    app: App
    base: str
    clip: Path
    session: aiohttp.ClientSession

    async def add(
        self,
        owner_id: int = 1,
        *,
        name: str | None = "Alice",
        subject: str = "a red kite over green hills",
        model: str = "local:storyboard",
        guild_id: int | None = GUILD,
        created_at: float | None = None,
        parent: Job | None = None,
        kind: str = "generate",
        spec: dict[str, Any] | None = None,
        inputs: JobInputs | None = None,
    ) -> Job:
        """A DONE job with a real result file and poster, as a delivery leaves it."""
        now = created_at if created_at is not None else time.time()
        new = NewJob(
            kind=kind,
            owner_id=owner_id,
            guild_id=guild_id,
            channel_id=9,
            model=model,
            spec={"subject": subject, "duration": 1, "seed": 7, **(spec or {})},
            cost_seconds=0.0,
            delivery={"kind": "discord"},
            parent_job_id=parent.id if parent else None,
            state=JobState.DELIVERING,
            owner_name=name,
            inputs=inputs or JobInputs(),
        )
        job = await self.app.storage.jobs.create(new, charge=None, now=now)
        result = self.app.settings.media_dir / "results" / f"{job.id}.mp4"
        result.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.clip, result)
        job = await self.app.storage.jobs.update(job.id, result_path=str(result))
        job = await add_poster(self.app.media, self.app.storage, job, result)
        return await self.app.storage.jobs.finish(job.id, JobState.DONE, now=now, ledger=None)

    def url(self, path: str) -> str:
        """An absolute URL on the server."""
        return self.base + path

    def page(self, job_id: int) -> str:
        """The result page's URL."""
        return self.app.gallery.links.page_url(job_id)

    def gallery(self, member_id: int | None, guild_id: int = GUILD) -> str:
        """A fresh gallery link (a member's, or with None the server's)."""
        return self.app.gallery.gallery_link(guild_id, member_id)
