"""Requests: from what a user asks to stored, charged, queued jobs.

Each kind of request is a small class that owns what it needs, handed to it at construction by
:class:`~bot.app.App`, and queues through the one shared core (:class:`GenerationService`); the Discord cogs and
the CLI call the object that owns the request, and nothing here takes the service as an argument.

- :mod:`~bot.services.requests.generation` — :class:`GenerationService`: check, submit, extend, re-roll,
  cancel, read jobs, and the shared queueing core (prepare → cache → reserve → persist → wake);
- :mod:`~bot.services.requests.requester` — what a request carries (:class:`Requester`) and answers
  (:class:`Submitted`);
- :mod:`~bot.services.requests.remix` — :class:`Remixer`, video to video (/remix): one check before
  acknowledging, then one call that probes, trims and queues;
- :mod:`~bot.services.requests.edits` — :class:`Edits`: stitch, loop, soundtrack (``local:edit`` jobs);
- :mod:`~bot.services.requests.finishing` — :class:`Finisher`: /finish and ⬆️, a private quote, then the
  finished version (upscaled, smoother) queued on confirmation;
- :mod:`~bot.services.requests.sound` — :class:`Sounds`: sound made for a finished clip (🔊, /sound,
  /soundtrack ``prompt:``), queued as provider jobs in the clip's lineage;
- :mod:`~bot.services.requests.variations` — :class:`Variations`: 2-4 seeds of one request, reserved at once;
- :mod:`~bot.services.requests.sequence` — :class:`Sequences`: /sequence, a film of 2-8 shots as one job graph;
- :mod:`~bot.services.requests.presets` — :class:`Presets`: a user's saved options;
- :mod:`~bot.services.requests.intake` — the stored upload and the cache fingerprint;
- :mod:`~bot.services.requests.lineage` — what a result came from, in words.
"""
