"""The Discord edge: everything that speaks discord.py lives here (and in the ``cogs`` extensions).

- :mod:`bot.edge.client` — :class:`VideoBot`, the launcher (``videobot run``), loading the cogs;
- :mod:`bot.edge.shards` — several processes on one token: shards, one command sync, identify buckets;
- :mod:`bot.edge.rest_worker` — ``videobot worker`` with a bot token: delivery over REST, no gateway;
- :mod:`bot.edge.start` — the Requester and its record (one builder), the moderator rule, the Starter;
- :mod:`bot.edge.cogkit` — what the job-starting cogs share: their constructor and the autocompletes;
- :mod:`bot.edge.delivery` — the Discord delivery target (progress edits, the result ladder, failures); it owns
  a channel helper and a group poster:
- :mod:`bot.edge.channel` — where a job's messages go: its record, the webhook or channel, the status message;
- :mod:`bot.edge.group` — the group poster: the takes of one /variations request delivered together;
- :mod:`bot.edge.posted` — exactly once across crashes: the per-job nonce, finding an already posted result;
- :mod:`bot.edge.record` — :class:`~bot.edge.record.DiscordRecord`, the per-job delivery record;
- :mod:`bot.edge.views` — the persistent result buttons, reading and editing result messages;
- :mod:`bot.edge.actions` — the one dispatcher of ⏩ extend, 🔁 re-roll, ✏️ refine, ❌ delete (buttons, reactions);
- :mod:`bot.edge.forms` — the forms (modals, with file uploads) and the one place their submissions arrive;
- :mod:`bot.edge.card` — the result card, a Components V2 message (media gallery, text displays, buttons);
- :mod:`bot.edge.errors` — the command tree and its one error handler;
- :mod:`bot.edge.embeds` — embeds and message texts.
"""
