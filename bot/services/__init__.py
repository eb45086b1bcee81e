"""Application services: everything between the edges (Discord, CLI, web server) and storage/providers/media.

Each subpackage holds one concern (its ``__init__`` says what is in it):

- :mod:`bot.services.requests` — turning a request into jobs: the generation service, its kinds of request
  (remix, edits, variations, presets), what a request carries (:mod:`~bot.services.requests.requester`),
  the upload and cache fingerprint (intake) and a result's lineage in words;
- :mod:`bot.services.jobs` — running jobs: the worker loop, one job's state machine, polling and its schedule,
  the fallback move, a running job's money steps, provider push calls;
- :mod:`bot.services.money` — quotas, spend caps and usage reports, and what a job costs;
- :mod:`bot.services.fallback` — which model a failed job moves to, the circuit breakers, provider health;
- :mod:`bot.services.delivery` — how a result reaches its requester: the delivery port, the ladder
  (attach → re-encode → link), the grouping of /variations takes;
- :mod:`bot.services.web` — what the web server shows: result pages and galleries, signed links, posters;
- :mod:`bot.services.janitor` — retention and the disk cap for media files.

The subpackages import each other without cycles (``tests/test_architecture.py``): ``requests`` and ``jobs``
(which never import each other) use ``money``, ``fallback``, ``delivery`` and ``web``, which stand on
storage/providers/media alone; ``janitor`` uses ``web``.
"""
