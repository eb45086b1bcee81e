"""Money: what users may make and what it costs.

- :mod:`~bot.services.money.quota` — seconds of video per rolling 24 h, per user, guild budgets;
- :mod:`~bot.services.money.spend` — monthly spend caps and usage reports;
- :mod:`~bot.services.money.costs` — a job's estimated and actual cost, in the provider's unit and in dollars.
"""
