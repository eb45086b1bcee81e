"""Delivery: how a finished (or failed) job reaches its requester, without Discord.

- :mod:`~bot.services.delivery.port` — the delivery port: :class:`DeliveryTarget`, the router by ``kind``,
  the file target of the CLI (the Discord target is :mod:`bot.edge.delivery`);
- :mod:`~bot.services.delivery.ladder` — the ladder: attach → re-encode to fit → link → too large;
- :mod:`~bot.services.delivery.grouping` — which /variations takes are shown together, and who posts them;
- :mod:`~bot.services.delivery.notify` — when a result mentions its owner (late results; ``/settings notify``).
- :mod:`~bot.services.delivery.stills` — a result's first and last frame, for the Discord result card.
"""
