"""Tests of bot/services/jobs: the worker, its idle loop, the poll schedule, deadlines."""
