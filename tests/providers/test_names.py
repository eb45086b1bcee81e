"""Models answer to the names users know (Replicate ``owner/name``); an unknown name is refused with the
close matches; a retired one with its note."""

from __future__ import annotations

import pytest

from bot.errors import InvalidOption
from bot.providers.catalogue import CATALOGUE, lookup, models_for
from bot.providers.registry import ProviderRegistry
from bot.providers.replicate import ReplicateProvider


@pytest.fixture
async def registry(emulator):
    provider = ReplicateProvider(emulator.replicate.api_key, emulator.replicate_url)
    yield ProviderRegistry([provider])
    await provider.aclose()


async def test_every_replicate_entry_answers_to_its_owner_and_name(registry):
    entries = models_for("replicate")
    assert entries
    for entry in entries:
        assert registry.model(f"replicate:{entry.model_id}").name == entry.name
        assert registry.model(f" Replicate:{entry.model_id.upper()} ").name == entry.name
        assert lookup(f"replicate:{entry.model_id}") is entry
    svd = registry.model("replicate:stability-ai/stable-video-diffusion")
    assert svd is registry.model("replicate:stable-video-diffusion")


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("replicate:zeroscop", "replicate:zeroscope"),
        ("replicate:stability-ai/stable-video-difusion", "replicate:stability-ai/stable-video-diffusion"),
        ("kling", "replicate:kling-v2.1"),
    ],
)
async def test_an_unknown_name_is_refused_with_close_matches(registry, typed, suggested):
    with pytest.raises(InvalidOption) as info:
        registry.model(typed)
    message = info.value.user_message
    assert f"Unknown model {typed!r}" in message and f"Did you mean {suggested}" in message.replace(" or ", ", ")


async def test_a_catalogued_model_without_its_key_and_a_retired_one(registry):
    assert "fal:pika-2.2" in CATALOGUE
    with pytest.raises(InvalidOption, match="not enabled on this bot"):
        registry.model("fal:pika-2.2")
    with pytest.raises(InvalidOption, match="retired: the Sora API was shut down on 2026-09-24"):
        registry.model("openai:sora-2")
    with pytest.raises(InvalidOption, match="retired"):
        registry.model("sora-2")
    with pytest.raises(InvalidOption) as info:
        registry.model("something-else-entirely")
    assert "Did you mean" not in info.value.user_message
