"""What the provider laws share: vendored schemas carry their provenance and cover the catalogue (fal,
Replicate); a field the service does not know is refused through the real SDK with the API's own 400 and
nothing is made (Runway, Luma, whose law is their SDK's types)."""

from __future__ import annotations

import json

import lumaai
import pytest
import runwayml

from bot.providers.catalogue import models_for
from bot.providers.finishes import finish_models_for
from emulators.providers.fal import ENDPOINTS
from emulators.providers.law import _schemas
from emulators.providers.law import fal as fal_law
from emulators.providers.law import replicate as replicate_law
from emulators.providers.replicate import MODELS


def fal_ids() -> set[str]:
    ids = {m.model_id.format(mode=mode) for m in models_for("fal") for mode in ("text-to-video", "image-to-video")}
    return ids | {m.model_id for m in finish_models_for("fal")}


# provider -> (the catalogue's ids, the law's, the emulator's)
VENDORED = {
    "fal": lambda: (fal_ids(), set(fal_law.endpoints()), set(ENDPOINTS)),
    "replicate": lambda: (
        {m.model_id for m in [*models_for("replicate"), *finish_models_for("replicate")]},
        set(replicate_law.models()),
        set(MODELS),
    ),
}


@pytest.mark.parametrize("provider", sorted(VENDORED))
def test_every_catalogue_entry_has_a_vendored_schema_with_its_provenance(provider):
    catalogue, lawful, emulated = VENDORED[provider]()
    assert catalogue == lawful == emulated
    paths = list((_schemas.SCHEMAS / provider).glob("*.json"))
    assert len(paths) == len(catalogue)
    for path in paths:
        doc = json.loads(path.read_text())
        assert doc["source"] and doc["read"] == "2026-12-06" and doc["how"] and doc["notes"], path.name
        assert doc["schema"]["type"] == "object" and doc["schema"]["additionalProperties"] is False, path.name
        assert path == _schemas.file_for(provider, doc["endpoint"])


async def runway_unknown_field(sdk):
    return await sdk.text_to_video.create(
        model="gen4.5", prompt_text="a fox", ratio="1280:720", duration=5, extra_body={"motion": 3}
    )


async def luma_unknown_field(sdk):
    return await sdk.generations.create(model="ray-2", prompt="a lighthouse", extra_body={"seed": 3})


# provider -> (its SDK's 400 error, the create sending a made-up field, the API's answer)
UNKNOWN_FIELD = {
    "runway": (
        runwayml.BadRequestError,
        runway_unknown_field,
        {"error": "motion: unknown field (not a field of gen4.5)"},
    ),
    "luma": (lumaai.BadRequestError, luma_unknown_field, {"detail": "seed: unknown field (not a field of ray-2)"}),
}


@pytest.mark.parametrize("provider", sorted(UNKNOWN_FIELD))
async def test_sdk_unknown_field_is_refused_and_nothing_is_made(provider, emulator, runway_sdk, luma_sdk):
    error, create, answer = UNKNOWN_FIELD[provider]
    sdk = {"runway": runway_sdk, "luma": luma_sdk}[provider]
    with pytest.raises(error) as caught:
        await create(sdk)
    assert caught.value.status_code == 400 and caught.value.body == answer
    api = getattr(emulator, provider)
    assert api.create_count == 1 and api.tasks == {}
