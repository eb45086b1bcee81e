"""Fault tests: provider and Discord faults (``test_provider_faults``, ``test_discord_faults``), and the real bot
process killed at every step and under load (``test_kill``, ``test_load``; harness in :mod:`tests.support.harness`)."""
