"""With ``VIDEOBOT_DEFAULT_MODEL`` unset, each kind of request (text, image, video) gets the first enabled model of
its preference order (bot/providers/defaults.py), never the alphabetically first: the real catalogue and
registry, providers built from settings (no network)."""

from __future__ import annotations

import pytest

from bot.media import Media
from bot.providers._comfy_workflows import load_workflows
from bot.providers._local_render import MODELS as LOCAL_MODELS
from bot.providers.base import Capability
from bot.providers.catalogue import CATALOGUE
from bot.providers.defaults import DEFAULT_ORDER, IMAGE, TEXT, VIDEO
from bot.providers.registry import ProviderRegistry
from bot.providers.setup import build_providers

KEYS = {"runway": "RUNWAYML_API_SECRET", "replicate": "REPLICATE_API_TOKEN", "luma": "LUMAAI_API_KEY", "fal": "FAL_KEY"}
NEEDS = {TEXT: Capability.TEXT_TO_VIDEO, IMAGE: Capability.IMAGE_TO_VIDEO, VIDEO: Capability.VIDEO_TO_VIDEO}


async def registry_with(make_settings, providers: tuple[str, ...], **extra) -> ProviderRegistry:
    settings = make_settings(**{KEYS[p]: f"key-{p}" for p in providers}, **extra)
    return ProviderRegistry(build_providers(settings, Media()))


@pytest.mark.parametrize(
    ("providers", "expected"),
    [
        (("fal",), {TEXT: "fal:hailuo-02", IMAGE: "fal:hailuo-02", VIDEO: "local:restyle"}),
        # the alphabet gave replicate:animate-diff (2 s square loops) for text
        (
            ("replicate",),
            {TEXT: "replicate:minimax-video-01", IMAGE: "replicate:kling-v2.1", VIDEO: "replicate:zeroscope"},
        ),
        # Luma without a public file server takes no image: the image default passes it over
        (
            ("runway", "replicate", "luma", "fal"),
            {TEXT: "luma:ray-flash-2", IMAGE: "runway:gen4_turbo", VIDEO: "runway:aleph2"},
        ),
        (
            ("replicate", "luma"),
            {TEXT: "luma:ray-flash-2", IMAGE: "replicate:kling-v2.1", VIDEO: "replicate:zeroscope"},
        ),
        ((), {TEXT: "local:storyboard", IMAGE: "local:motion", VIDEO: "local:restyle"}),
    ],
)
async def test_each_kind_gets_the_first_enabled_model_of_its_order(make_settings, providers, expected):
    registry = await registry_with(make_settings, providers)
    try:
        enabled = {m.name for m in registry.models()}
        for kind, need in NEEDS.items():
            chosen = registry.choose(None, need)
            first = next(n for n in DEFAULT_ORDER[kind] if n in enabled and registry.model(n).can(need))
            assert chosen.name == first == expected[kind], kind
            assert registry.defaults()[kind] is chosen
    finally:
        await registry.aclose()


async def test_the_order_passes_over_a_model_that_cannot_do_what_the_request_needs(make_settings):
    registry = await registry_with(make_settings, ("luma", "fal"))
    try:
        assert registry.choose(None, {Capability.TEXT_TO_VIDEO, Capability.LOOP}).name == "luma:ray-flash-2"
        assert registry.choose(None, Capability.INTERPOLATE).name == "fal:pikaframes"
        assert registry.choose(None, Capability.IMAGE_TO_VIDEO).name == "fal:hailuo-02"  # Luma: no file server
    finally:
        await registry.aclose()


async def test_videobot_default_model_still_comes_first_when_it_can(make_settings):
    registry = await registry_with(make_settings, ("replicate",), default_model="replicate:zeroscope")
    registry.default_model = "replicate:zeroscope"
    try:
        assert registry.choose(None, Capability.TEXT_TO_VIDEO).name == "replicate:zeroscope"
        assert registry.choose(None, Capability.IMAGE_TO_VIDEO).name == "replicate:kling-v2.1"  # zeroscope cannot
    finally:
        await registry.aclose()


def test_every_model_is_in_the_order_of_each_kind_it_can_do_and_local_comes_last():
    kinds = {
        TEXT: {Capability.TEXT_TO_VIDEO},
        IMAGE: {Capability.IMAGE_TO_VIDEO, Capability.INTERPOLATE},
        VIDEO: {Capability.VIDEO_TO_VIDEO},
    }
    models = {m.name: m.capabilities for m in CATALOGUE.values()} | {m.name: m.capabilities for m in LOCAL_MODELS}
    models |= {w.name: w.info.capabilities for w in load_workflows(None).values()}  # the bundled ComfyUI templates
    for kind, caps in kinds.items():
        order = DEFAULT_ORDER[kind]
        assert len(order) == len(set(order)), kind
        assert set(order) == {name for name, can in models.items() if can & caps}, kind
        local = [i for i, name in enumerate(order) if name.startswith("local:")]
        assert local == list(range(len(order) - len(local), len(order))), kind


async def test_with_comfyui_set_its_bundled_templates_lead_text_and_image(make_settings):
    registry = await registry_with(make_settings, ("runway",), COMFYUI_URL="http://127.0.0.1:9")
    defaults = registry.defaults()
    assert defaults[TEXT] is not None and defaults[TEXT].name == "comfyui:wan2.2-ti2v"
    assert defaults[IMAGE] is not None and defaults[IMAGE].name == "comfyui:wan2.2-ti2v"
    assert defaults[VIDEO] is not None and defaults[VIDEO].name == "runway:aleph2"
    await registry.aclose()
