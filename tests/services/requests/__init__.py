"""Tests of bot/services/requests: extend, re-roll and ownership."""
