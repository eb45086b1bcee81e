"""Fixtures for the parametrised contract suite (test_provider_contract.py) over the four cloud providers of
the table in ``helpers.py``."""

from __future__ import annotations

import pytest

from tests.support.providers import CASES, Case


@pytest.fixture(params=CASES, ids=[c.name for c in CASES])
def case(request) -> Case:
    """One cloud provider's row of the table."""
    return request.param


@pytest.fixture
def server(case, request):
    """The loopback emulator server the case's provider talks to (fal's over TLS)."""
    return request.getfixturevalue(case.server_fixture)


@pytest.fixture
def api(case, server):
    """The case's emulated API (knobs and records)."""
    return case.api(server)


@pytest.fixture
async def provider(case, server):
    """The case's provider, built with the real SDK against its emulator."""
    made = case.make(server)
    yield made
    await made.aclose()
