"""The Discord edge: everything that speaks discord.py lives here (and in the ``cogs`` extensions).

- :mod:`bot.edge.client` — :class:`VideoBot`, the launcher (``videobot run``), loading the cogs;
- :mod:`bot.edge.delivery` — the Discord delivery target (progress edits, the result ladder, failures);
- :mod:`bot.edge.record` — :class:`~bot.edge.record.DiscordRecord`, the per-job delivery record;
- :mod:`bot.edge.start` — the Requester and its record (one builder), the moderator rule, the Starter;
- :mod:`bot.edge.views` — the persistent result buttons;
- :mod:`bot.edge.errors` — the command tree and its one error handler;
- :mod:`bot.edge.render` — embeds and message texts.
"""
