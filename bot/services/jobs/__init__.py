"""Jobs: running what the requests stored, from QUEUED to DONE, restart-safe.

- :mod:`~bot.services.jobs.worker` — the dispatch loop (leases, limits, wake-ups);
- :mod:`~bot.services.jobs.runner` — one job's state machine; it owns a poller and a fallback mover;
- :mod:`~bot.services.jobs.run` — one job's run as the runner and its helpers share it (and the worker's Context);
- :mod:`~bot.services.jobs.polling` — the poller, the RUNNING step: poll the provider's task, wait between polls;
- :mod:`~bot.services.jobs.schedule` — when to poll next (pure);
- :mod:`~bot.services.jobs.switching` — the fallback mover: count a provider-side failure, move the job on;
- :mod:`~bot.services.jobs.film` — a /sequence film's director: its shots made, retried, asked about, joined;
- :mod:`~bot.services.jobs.jobcost` — a running job's money steps (re-price, the provider's figure);
- :mod:`~bot.services.jobs.push` — a provider's verified completion call wakes its job;
- :mod:`~bot.services.jobs.sound` — a sound job's sound laid under its clip (the picture copied, never re-encoded).
"""
