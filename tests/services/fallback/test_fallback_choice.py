"""Which model a job moves to: the real catalogue and registry (providers built from settings, no network)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.media import Media
from bot.providers.base import GenerationRequest, Reference
from bot.providers.registry import ProviderRegistry
from bot.providers.setup import build_providers
from bot.services.fallback.policy import Fallback


def fallback(make_settings, **lists) -> Fallback:
    settings = make_settings(RUNWAYML_API_SECRET="k1", REPLICATE_API_TOKEN="k2", LUMAAI_API_KEY="k3", **lists)
    registry = ProviderRegistry(build_providers(settings, Media()))
    chooser = Fallback(registry, settings)
    chooser.check()
    return chooser


def text(model="runway:gen4.5", duration=5, aspect="16:9", **kw) -> GenerationRequest:
    return GenerationRequest(job_id=1, model=model, prompt="a fox in snow", duration=duration, aspect=aspect, **kw)


def test_the_first_listed_model_of_another_provider_that_can_make_it(make_settings):
    f = fallback(make_settings, fallback_text=["runway:veo3.1", "replicate:minimax-video-01", "luma:ray-2"])
    choice = f.choose(text(), tried=set(), skip=set())
    # veo3.1 is Runway too (down), minimax makes only 6 s: Luma ray-2 at the same 5 s and 16:9
    assert choice is not None and (choice.model, choice.duration, choice.aspect) == ("luma:ray-2", 5, "16:9")
    assert f.choose(text(), tried=set(), skip={"luma"}) is None  # Luma's breaker is open
    # a job that already left Runway and now fails on Luma does not go back to any Runway model
    assert f.choose(text(model="luma:ray-2"), tried={"runway:gen4.5"}, skip=set()) is None


def test_clamping_only_when_allowed_never_longer_and_the_nearest_aspect(make_settings):
    lists = {"fallback_text": ["luma:ray-2"], "fallback_image": ["replicate:minimax-video-01"]}
    strict = fallback(make_settings, **lists)
    assert strict.choose(text(duration=7), tried=set(), skip=set()) is None
    clamping = fallback(make_settings, fallback_clamp=True, **lists)
    choice = clamping.choose(text(duration=7), tried=set(), skip=set())
    assert choice is not None and (choice.duration, choice.aspect) == (5, "16:9")
    assert clamping.choose(text(duration=4), tried=set(), skip=set()) is None  # Luma's shortest is 5: never longer
    image = text(duration=6, aspect="4:3", image=Path("/tmp/x.png"))
    choice = clamping.choose(image, tried=set(), skip=set())  # minimax: 6 s, its image aspects
    assert choice is not None and choice.model == "replicate:minimax-video-01" and choice.duration == 6


def test_what_only_its_own_provider_can_do_never_moves(make_settings):
    f = fallback(make_settings, fallback_text=["runway:gen4.5"], fallback_image=["runway:gen4.5"])
    assert f.choose(text(model="luma:ray-2", extend_task_id="gen-1"), tried=set(), skip=set()) is None
    assert f.choose(text(model="local:storyboard"), tried=set(), skip=set()) is None
    assert f.choose(text(model="luma:ray-2"), tried=set(), skip=set()) is not None


@pytest.mark.parametrize(
    ("lists", "message"),
    [
        (
            {"fallback_text": ["luma:ray2"]},
            "VIDEOBOT_FALLBACK_TEXT: Unknown model 'luma:ray2'. Did you mean luma:ray-2",
        ),
        ({"fallback_video": ["luma:ray-2"]}, "VIDEOBOT_FALLBACK_VIDEO: luma:ray-2 cannot do video-to-video"),
    ],
)
def test_lists_are_checked_at_start(make_settings, lists, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        fallback(make_settings, **lists)


def test_the_issues_own_example_list_is_accepted(make_settings):
    f = fallback(make_settings, fallback_text=["runway:gen4.5", "luma:ray-2", "fal:kling"])  # fal has no key here
    assert f.lists["text"] == ["runway:gen4.5", "luma:ray-2", "fal:kling-2.1"]
    choice = f.choose(text(), tried=set(), skip=set())
    assert choice is not None and choice.model == "luma:ray-2"
    assert f.choose(text(), tried=set(), skip={"luma"}) is None  # fal:kling-2.1 is skipped while fal has no key


def test_a_job_with_a_cast_moves_only_to_another_reference_model(make_settings):
    cast = (Reference("Mara", (Path("/tmp/mara.png"),)),)
    lists = ["luma:ray-2", "runway:gen4.5", "replicate:seedance-2.0", "runway:seedance2"]
    f = fallback(make_settings, fallback_text=lists)
    with_cast = text(model="runway:seedance2_fast", references=cast)
    choice = f.choose(with_cast, tried=set(), skip=set())  # Luma and gen4.5 take no references: passed over
    assert choice is not None and choice.model == "replicate:seedance-2.0"
    assert f.choose(with_cast, tried=set(), skip={"replicate"}) is None  # seedance2 is Runway's: down too
    plain = f.choose(text(model="runway:seedance2_fast"), tried=set(), skip=set())
    assert plain is not None and plain.model == "luma:ray-2"  # without a cast any model that can will do


def finish(model: str, width: int, height: int, fps: int, duration: int = 2, **kw) -> GenerationRequest:
    extra = {"width": str(width), "height": str(height), "fps": str(fps), "scale": "1.5"}
    return GenerationRequest(
        job_id=1, model=model, prompt="", duration=duration, aspect="16:9", video=Path("/tmp/x.mp4"), extra=extra, **kw
    )


def test_a_finish_falls_back_only_to_a_finishing_model_that_makes_what_was_quoted(make_settings):
    f = fallback(make_settings, fallback_video=["runway:aleph2"])  # a remix model is never a finish's fallback
    # 1080p at 60 fps quoted on Replicate's Topaz: Runway makes only one of the two, local:finish makes both
    choice = f.choose(finish("replicate:topaz-video", 1920, 1080, 60), tried=set(), skip=set())
    assert choice is not None and choice.model == "local:finish"
    # a size only (the clip's 24 fps kept): Runway's upscaler makes exactly that
    choice = f.choose(finish("replicate:topaz-video", 3840, 2160, 24), tried=set(), skip=set())
    assert choice is not None and choice.model == "runway:magnific-upscale"
    # a rate only (the clip's 1280x720 kept), with Runway down: the next that makes it
    choice = f.choose(finish("replicate:topaz-video", 1280, 720, 60), tried=set(), skip={"runway"})
    assert choice is not None and choice.model == "local:finish"
    assert f.choose(finish("runway:frame-rate", 1280, 720, 60, duration=21), tried=set(), skip=set()) is None


def test_a_rife_finish_moves_only_where_its_rate_is_made_exactly(make_settings):
    f = fallback(make_settings)
    # 60 fps of a 30 fps clip (one frame between each pair): the first of the order that makes exactly 60
    choice = f.choose(finish("fal:rife", 1280, 720, 60, source_fps=30.0), tried=set(), skip=set())
    assert choice is not None and choice.model == "replicate:topaz-video"
    # 48 fps of a 24 fps clip: no other model makes 48, so none takes it over (never the clip's own 24 instead)
    assert f.choose(finish("fal:rife", 1280, 720, 48, source_fps=24.0), tried=set(), skip=set()) is None
    # the clip's own rate kept (a size only): as before, whatever its source rate
    choice = f.choose(finish("replicate:topaz-video", 3840, 2160, 24, source_fps=24.0), tried=set(), skip=set())
    assert choice is not None and choice.model == "runway:magnific-upscale"


def test_a_job_with_sound_only_moves_to_a_model_that_makes_sound(make_settings):
    settings = make_settings(
        RUNWAYML_API_SECRET="k1",
        FAL_KEY="k4",
        LUMAAI_API_KEY="k3",
        fallback_text=["luma:ray-2", "fal:kling-3"],
    )
    f = Fallback(ProviderRegistry(build_providers(settings, Media())), settings)
    f.check()
    sounding = f.choose(text(model="runway:veo3.1", duration=5, audio=True), tried=set(), skip=set())
    assert sounding is not None and sounding.model == "fal:kling-3"  # Luma makes no sound: passed over
    silent = f.choose(text(model="runway:veo3.1", duration=5, audio=False), tried=set(), skip=set())
    assert silent is not None and silent.model == "luma:ray-2"
    assert f.choose(text(model="runway:veo3.1", audio=True), tried=set(), skip={"fal"}) is None
