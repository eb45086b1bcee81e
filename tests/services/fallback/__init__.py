"""Tests of bot/services/fallback: the fallback policy and moving queued jobs."""
