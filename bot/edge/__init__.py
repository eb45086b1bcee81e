"""The Discord edge: everything that speaks discord.py lives here (and in the ``cogs`` extensions).

- :mod:`bot.edge.client` — :class:`VideoBot`, the launcher (``videobot run``), loading the cogs;
- :mod:`bot.edge.delivery` — the Discord delivery target (progress edits, the result ladder, failures);
- :mod:`bot.edge.start` — starting a job from an interaction or a reaction;
- :mod:`bot.edge.views` — the persistent result buttons;
- :mod:`bot.edge.errors` — the command tree and its one error handler;
- :mod:`bot.edge.render` — embeds and message texts.
"""
