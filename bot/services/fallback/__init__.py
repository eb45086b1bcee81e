"""Fallback: when a provider is down.

- :mod:`~bot.services.fallback.policy` — which model a failed job moves to, and the circuit breaker per provider;
- :mod:`~bot.services.fallback.health` — each provider's breaker, the fallback lists and the queue, for owners.

The move itself (a running job's step) is :mod:`bot.services.jobs.switching`.
"""
