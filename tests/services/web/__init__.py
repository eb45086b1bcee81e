"""Tests of bot/services/web: the file server's links to inputs."""
