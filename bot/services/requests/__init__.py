"""Requests: from what a user asks to stored, charged, queued jobs.

- :mod:`~bot.services.requests.generation` — :class:`GenerationService`, the one entry point (submit, extend,
  re-roll, cancel, delete, and the kinds below);
- :mod:`~bot.services.requests.requester` — what a request carries (:class:`Requester`) and answers
  (:class:`Submitted`);
- :mod:`~bot.services.requests.remix` — video to video (/remix);
- :mod:`~bot.services.requests.edits` — stitch, loop, soundtrack (``local:edit`` jobs);
- :mod:`~bot.services.requests.variations` — 2-4 seeds of one request, reserved at once;
- :mod:`~bot.services.requests.presets` — a user's saved options;
- :mod:`~bot.services.requests.intake` — the stored upload and the cache fingerprint;
- :mod:`~bot.services.requests.lineage` — what a result came from, in words.
"""
