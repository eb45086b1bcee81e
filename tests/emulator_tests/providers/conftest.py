"""The real SDKs of the APIs whose law is their SDK's own types, pointed at the loopback emulator."""

from __future__ import annotations

import lumaai
import pytest
import runwayml


@pytest.fixture
async def runway_sdk(emulator):
    """``runwayml.AsyncRunwayML`` against the Runway emulator, without retries."""
    async with runwayml.AsyncRunwayML(
        api_key=emulator.runway.api_key, base_url=emulator.runway_url, max_retries=0
    ) as sdk:
        yield sdk


@pytest.fixture
async def luma_sdk(emulator):
    """``lumaai.AsyncLumaAI`` against the Luma emulator, without retries."""
    key, url = emulator.luma.api_key, emulator.luma_url
    async with lumaai.AsyncLumaAI(auth_token=key, base_url=url, max_retries=0) as sdk:
        yield sdk
