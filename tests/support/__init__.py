"""Plain helpers shared by the tests (no fixtures: those are in the conftest.py files)."""
