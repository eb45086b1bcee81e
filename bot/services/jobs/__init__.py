"""Jobs: running what the requests stored, from QUEUED to DONE, restart-safe.

- :mod:`~bot.services.jobs.worker` — the dispatch loop (leases, limits, wake-ups);
- :mod:`~bot.services.jobs.runner` — one job's state machine;
- :mod:`~bot.services.jobs.polling` — the RUNNING step: poll the provider's task, wait between polls;
- :mod:`~bot.services.jobs.schedule` — when to poll next (pure);
- :mod:`~bot.services.jobs.switching` — a provider-side failure: count it, move the job to a fallback model;
- :mod:`~bot.services.jobs.jobcost` — a running job's money steps (re-price, the provider's figure);
- :mod:`~bot.services.jobs.push` — a provider's verified completion call wakes its job.
"""
