"""Retention and the disk cap for media files (``videobot cleanup``, and hourly inside the bot).

What lives where (under ``VIDEOBOT_DATA_DIR``)::

    media/results/{job}.mp4          finished videos (a job's result_path, result_cache rows)
    media/results/{job}.poster.jpg   their poster frames (kept and deleted with their result)
    media/raw/{job}.mp4              provider downloads, consumed by post-processing
    media/fitted/{job}-{bytes}.mp4   copies re-encoded to fit an upload limit
    media/local/local-{job}.*        the offline renderer's work files
    inputs/*.png                     cleaned uploads and last frames (a job's inputs)

The rules, in order:

1. A file an unfinished job uses is never deleted: referenced by path from its inputs, raw_path or
   result_path, or named after its id.
2. Age: a file last modified more than ``VIDEOBOT_RETENTION_DAYS`` ago is deleted, unless a job created
   or finished within that window references it (a re-roll of a recent job still finds its image, a
   recent cache hit its result).
3. Cap: while media (``media/`` and ``inputs/``) exceeds ``VIDEOBOT_MEDIA_DISK_CAP_MB``, files of finished
   jobs are deleted, oldest first: intermediates (raw, fitted, local work files) first, then results,
   then input images.  The cap is hard, so results within the retention window can go too; rule 1
   still holds.  Temporary files (names starting with a dot) are left to the age rule: one may be
   being written right now.
4. A poster goes with its result: when the result is deleted (or gone), so is its poster.
5. ``result_cache`` rows whose file is gone are dropped, so a repeat request renders again.

A job row is never deleted: its history, ledger and quota stay.  Extending a job whose result is gone
says so; the file server answers 404 for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.services.web.posters import poster_of
from bot.settings import Settings
from storage import Job, Storage

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 3600.0
DAY = 86_400.0
_JOB_FILE = re.compile(r"^(?:local-)?(\d{1,19})(?:[-.]|$)")
_INTERMEDIATE = ("raw", "fitted", "local")
POSTER_SUFFIX = ".poster.jpg"
_TIERS = {"intermediate": 0, "result": 1, "input": 2}


@dataclass(frozen=True)
class Report:
    """What one cleanup did."""

    deleted_files: int
    freed_bytes: int
    remaining_bytes: int  # media on disk afterwards
    cache_rows_dropped: int
    over_cap: bool  # still above the cap (everything left belongs to unfinished jobs)


@dataclass(frozen=True)
class _File:
    path: str  # absolute, symlinks resolved
    size: int
    mtime: float
    tier: str | None  # intermediate | result | input | None (only the age rule applies)
    job_id: int | None  # the job the name says it belongs to


def _references(jobs: Iterable[Job]) -> set[str]:
    """Every file path the jobs point at (inputs, raw_path, result_path), resolved."""
    found: set[str] = set()
    for job in jobs:
        values = [*job.inputs.files(), job.raw_path, job.result_path]
        for value in values:
            if isinstance(value, str) and value and "://" not in value:
                found.add(os.path.realpath(value))
        if job.result_path and "://" not in job.result_path:
            found.add(os.path.realpath(poster_of(job.result_path)))
    return found


def _classify(media_dir: str, inputs_dir: str, path: str) -> tuple[str | None, int | None]:
    name = os.path.basename(path)
    if name.startswith("."):
        return None, None  # temporary: only old age removes it
    if os.path.dirname(path) == inputs_dir:
        return "input", None
    relative = os.path.relpath(path, media_dir).split(os.sep)
    match = _JOB_FILE.match(name)
    job_id = int(match.group(1)) if match else None
    if len(relative) != 2 or job_id is None:
        return None, None
    if relative[0] == "results":
        return "result", job_id
    if relative[0] in _INTERMEDIATE:
        return "intermediate", job_id
    return None, None


def _scan(media_dir: Path, inputs_dir: Path) -> list[_File]:
    """Every regular file under media/ and inputs/ (blocking: run in a thread)."""
    media, inputs = os.path.realpath(media_dir), os.path.realpath(inputs_dir)
    files: list[_File] = []
    for root in dict.fromkeys((media, inputs)):
        for folder, _, names in os.walk(root):
            for name in names:
                path = os.path.join(folder, name)
                try:
                    info = os.lstat(path)
                except FileNotFoundError:
                    continue
                if not os.path.isfile(path) or os.path.islink(path):
                    continue  # regular files only; symlinks are never followed or touched
                tier, job_id = _classify(media, inputs, path)
                files.append(_File(path, info.st_size, info.st_mtime, tier, job_id))
    return files


def _delete(paths: Iterable[str]) -> int:
    """Delete files (blocking); return how many were removed."""
    removed = 0
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            removed += 1
    return removed


def _posters_without_result(files: list[_File], doomed: set[str]) -> set[str]:
    """Posters whose result is being deleted or is already gone (rule 4)."""
    staying = {f.path for f in files if f.path not in doomed}
    posters = {f.path: f.path[: -len(POSTER_SUFFIX)] + ".mp4" for f in files if f.path.endswith(POSTER_SUFFIX)}
    return {poster for poster, result in posters.items() if result not in staying}


def _prune_dirs(media_dir: Path, older_than: float, emptied: set[str]) -> None:
    """Remove empty sub-folders left by interrupted renders: old ones, and those this pass emptied (an
    active render's folder is neither).  The top-level folders (results, raw, local…) always stay."""
    top = os.path.realpath(media_dir)
    for folder, dirs, names in os.walk(top, topdown=False):
        if os.path.dirname(folder) == top or folder == top or names or dirs:
            continue
        with contextlib.suppress(OSError):
            if folder in emptied or os.stat(folder).st_mtime < older_than:
                os.rmdir(folder)


class Janitor:
    """Applies the retention and disk-cap rules of the module docstring."""

    def __init__(self, storage: Storage, settings: Settings, clock: Callable[[], float] = time.time):
        self.storage = storage
        self.settings = settings
        self.clock = clock
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()  # the loop ends at its next look even if the cancel was swallowed
        self._lock = asyncio.Lock()

    async def run(self) -> Report:
        """One cleanup pass."""
        async with self._lock:
            return await self._run()

    async def _run(self) -> Report:
        s = self.settings
        now = self.clock()
        cutoff = now - s.retention_days * DAY
        files = await asyncio.to_thread(_scan, s.media_dir, s.inputs_dir)
        # Read the jobs after listing the files: a file that appeared meanwhile is newer than any cutoff.
        kept_jobs = await self.storage.jobs.touched_since(cutoff)
        unfinished = [job for job in kept_jobs if not job.state.finished]
        busy_ids = {job.id for job in unfinished}
        in_use = _references(unfinished)
        recent = _references(kept_jobs)

        def protected(f: _File) -> bool:
            return f.path in in_use or (f.job_id is not None and f.job_id in busy_ids)

        aged = [f for f in files if f.mtime < cutoff and not protected(f) and f.path not in recent]
        doomed = {f.path for f in aged}
        left = [f for f in files if f.path not in doomed]
        total = sum(f.size for f in left)
        cap = s.media_disk_cap_mb * 1024 * 1024
        if total > cap:
            candidates = sorted(
                (f for f in left if f.tier is not None and not protected(f)),
                key=lambda f: (_TIERS[str(f.tier)], f.mtime),
            )
            for f in candidates:
                if total <= cap:
                    break
                doomed.add(f.path)
                total -= f.size
        doomed |= _posters_without_result(files, doomed)
        freed = sum(f.size for f in files if f.path in doomed)
        removed = await asyncio.to_thread(_delete, sorted(doomed))
        await asyncio.to_thread(_prune_dirs, s.media_dir, cutoff, {os.path.dirname(path) for path in doomed})
        dropped = await self._drop_missing_cache_rows()
        report = Report(removed, freed, total, dropped, total > cap)
        if removed or dropped:
            log.info(
                "cleanup: deleted %d file(s), %.1f MiB; %d cache row(s) dropped; %.1f MiB of media left",
                removed,
                freed / 1048576,
                dropped,
                total / 1048576,
            )
        if report.over_cap:
            log.warning("media is still over VIDEOBOT_MEDIA_DISK_CAP_MB: what is left belongs to unfinished jobs")
        return report

    async def _drop_missing_cache_rows(self) -> int:
        entries = await self.storage.cache.entries()
        missing = await asyncio.to_thread(lambda: [e for e in entries if not os.path.isfile(e.result_path)])
        for entry in missing:
            await self.storage.cache.drop(entry.fingerprint)
        return len(missing)

    def start(self, interval: float = INTERVAL_SECONDS) -> None:
        """Run now, then every ``interval`` seconds, in the background, until :meth:`stop`."""
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._loop(interval), name="videobot-janitor")

    async def _loop(self, interval: float) -> None:
        while not self._stopping.is_set():
            try:
                await self.run()
            except asyncio.CancelledError:
                raise
            except Exception:  # a full disk or a locked file must not end the loop
                log.exception("cleanup failed; trying again in %.0f s", interval)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await self._stopping.wait()

    async def stop(self) -> None:
        """Stop the background loop (a pass in progress is cancelled between files).  Told to stop as well as
        cancelled: a cancel swallowed on the way (Python 3.11's ``asyncio.wait_for`` drops one that arrives as
        its call completes) must not leave the loop sleeping for an hour (see Worker.stop)."""
        task, self._task = self._task, None
        if task is not None:
            self._stopping.set()
            task.cancel()
            await asyncio.wait([task])
            if not task.cancelled() and task.exception() is not None:
                log.error("the cleanup loop ended with an error", exc_info=task.exception())
