"""Push: what a provider's verified completion call (webhook) does to its job.

It only wakes the job: the call is recorded on the job's row (``pushed_at``) and the worker's wait between
polls is cut short (at once in this process, through ``wake``; in another process at once on PostgreSQL,
whose NOTIFY wakes that worker, which looks at its jobs' rows, else within a couple of seconds, when the
waiting job re-reads its row), so the job polls now.  The poll stays the source of truth, so a call is never trusted
for the outcome, and repeating one is harmless.  Calls for unknown or finished jobs, or naming another task,
change nothing.  The web server (:mod:`bot.web.hooks`) checks signatures and tokens before calling here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from bot.providers.registry import ProviderRegistry
from bot.settings import Settings
from storage import StaleJob, Storage

log = logging.getLogger(__name__)

ACCEPTED = "accepted"


class _HasSecret(Protocol):
    async def webhook_secret(self) -> str: ...


class PushService:
    """Records completion calls and wakes the jobs they are for."""

    def __init__(
        self,
        storage: Storage,
        registry: ProviderRegistry,
        settings: Settings,
        clock: Callable[[], float],
        wake: Callable[[int], None] | None = None,
    ):
        self.storage = storage
        self.registry = registry
        self.settings = settings
        self.clock = clock
        self.wake = wake  # Worker.interrupt: ends the job's current wait in this process

    async def replicate_secret(self) -> str | None:
        """Replicate's signing secret: ``VIDEOBOT_REPLICATE_WEBHOOK_SECRET``, else fetched once from Replicate."""
        if self.settings.replicate_webhook_secret is not None:
            return self.settings.replicate_webhook_secret.get_secret_value()
        provider = self.registry.providers.get("replicate")
        if provider is None or not hasattr(provider, "webhook_secret"):
            return None
        secret: _HasSecret = provider  # type: ignore[assignment]
        return await secret.webhook_secret()

    async def record(self, provider: str, job_id: int, task_id: str | None) -> str:
        """Wake job ``job_id`` for a verified call from ``provider`` about ``task_id``; say what was done."""
        job = await self.storage.jobs.get(job_id)
        if job is None:
            return "unknown job"
        if job.provider != provider:
            return "not this provider's job"
        if job.state.finished:
            return "job already finished"
        if task_id and job.provider_task_id and not _same_task(job.provider_task_id, task_id):
            return "another task"
        try:
            await self.storage.jobs.update(job_id, pushed_at=self.clock())
        except StaleJob:
            return "unknown job"
        if self.wake is not None:
            self.wake(job_id)
        await self.storage.notify_work()  # PostgreSQL: the worker running it elsewhere looks at once
        return ACCEPTED


def _same_task(stored: str, called: str) -> bool:
    """Whether a call's task id is the stored one (fal's stored ids are ``{endpoint}#{request_id}``)."""
    return stored == called or stored.rpartition("#")[2] == called
