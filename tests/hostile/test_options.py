"""Option values outside their ranges: through the real slash-command path (with the schema's limits lifted
where Discord itself would stop them) and straight into the service."""

from __future__ import annotations

from typing import Any

import pytest

from bot.errors import InvalidRequest
from bot.prompt import PromptSpec
from tests.support.hostile import TEST_WHO, assert_nothing_kept, lift_limits, private_answer
from tests.support.hostile_cases import case

pytestmark = pytest.mark.timeout(60)

SLASH = {
    "duration_beyond_model": ("duration", {"duration": 30}),
    "duration_zero": ("duration", {"duration": 0}),
    "seed_negative": ("seed", {"seed": -1}),
    "aspect_unknown": ("aspect", {"aspect": "7:3"}),
    "model_3000_chars": ("model", {"model": "x" * 3000}),
    "model_wrong_kind": ("model", {"model": "local:motion"}),
}


async def test_refused_options(emu, launch):
    bot = await launch()
    for option in {"duration", "seed", "aspect"}:
        lift_limits(emu, "video", option)
    for name, (_, options) in SLASH.items():
        item = case(name)
        handle = await emu.slash(emu.alice, "video", prompt="a lighthouse in a storm", **options)
        text = await private_answer(emu, handle)
        assert item.says in text.lower(), (name, text)
        assert len(text) <= 2000
        await assert_nothing_kept(bot, emu, emu.alice.id, handle)


SERVICE: dict[str, dict[str, Any]] = {
    "duration_huge": {"duration": 10**9},
    "seed_2_32": {"seed": 2**32},
    "aspect_service": {"aspect": "7:3"},
    "camera_unknown": {"camera": "warp_drive"},
    "model_service": {"model": "../../etc/passwd"},
}


@pytest.mark.parametrize("name", sorted(SERVICE))
async def test_refused_options_in_the_service(service_app, name):
    """Both ways in: a spec built by PromptSpec.create (as the cogs and CLI do), and a spec built by hand
    and handed to the service, which must check it again."""
    item = case(name)
    app, provider, _ = await service_app()
    values = {"duration": 2, "model": "scripted:v1", **SERVICE[name]}
    if "model" not in SERVICE[name]:  # the model is the registry's to check, in the service
        with pytest.raises(InvalidRequest) as built:
            PromptSpec.create("a lighthouse in a storm", **values)
        assert item.says in built.value.user_message.lower()
    with pytest.raises(InvalidRequest) as submitted:
        await app.service.submit(TEST_WHO, PromptSpec("a lighthouse in a storm", **values))
    assert item.says in submitted.value.user_message.lower(), submitted.value.user_message
    assert await app.storage.jobs.search(limit=5) == []
    assert (await app.quota.status(TEST_WHO.user_id)).used == 0
    assert provider.calls["submit"] == 0


async def test_an_admin_cannot_set_a_negative_quota(emu, launch):
    item = case("admin_negative_quota")
    bot = await launch()
    lift_limits(emu, "admin", "quota.seconds")
    handle = await emu.slash(emu.admin, "admin quota", user=emu.alice, seconds=-5)
    assert item.says in (await private_answer(emu, handle)).lower()
    assert (await bot.app.quota.status(emu.alice.id, emu.guild.id)).limit == bot.settings.daily_seconds
