"""Runway's law: the ``runwayml`` SDK's generated create params (5.24, from Runway's OpenAPI spec).

``check(endpoint, body)`` for ``endpoint`` in ``image_to_video``, ``text_to_video``, ``video_to_video``,
``video_upscale`` (the Magnific upscaler and ``enhance_frame_rate``, in the SDK since it added
``types/video_upscale_create_params.py``), ``video_to_audio``, ``sound_effect`` and ``recipes/multi_shot_video``
(``runwayml.types.recipe_multi_shot_video_params.RecipeMultiShotVideoParams``, a Union of the ``auto`` and ``custom``
modes told apart by ``mode``):
the body as it goes on the wire (camelCase aliases, as ``runwayml._utils._transform`` sends them) against
``runwayml.types.<endpoint>_create_params.<Endpoint>CreateParams``, a Union of one TypedDict per model,
told apart by ``model``.  Every key, required key, ``Literal``, JSON type and nested object/array is
read from the types; ranges and lengths from the fields' docstrings (``_typed.bounds_of``), strings
measured in UTF-16 code units as the docstrings say ("A non-empty string up to 1000 characters (measured
in UTF-16 code units)").  Where a docstring says "up to N characters" without naming the unit, UTF-16 is
used as well: it is never fewer than the code points, so the emulator is not more lenient than Runway.

What the create docstrings do not state, written here with its source (read 2026-12-06):

- ``seed``: an integer from 0 to 4294967295.  The video creates' ``seed`` docstrings give no range; the
  range is the one the same SDK states for Runway's seeds in ``runwayml/types/text_to_speech_create_params.py``
  (``seed``: "Optional seed for more deterministic output (0–4294967295)").
- The multi-shot recipe, from the docstrings of ``recipe_multi_shot_video_params.py`` (runwayml 5.24, read
  2026-12-06), which the type reader does not turn into rules: ``custom`` mode's ``shots`` is "Shot list for
  custom mode (3-5 shots). Per-shot durations must sum to `duration`", and ``duration`` "Defaults to 10
  seconds"; a shot's ``duration`` is "Duration of this shot in seconds", taken as a whole second from 1 (a shot
  of 0 s or less is no shot).
- Kling's multi-shot on ``text_to_video`` / ``image_to_video`` (``kling3.0_*`` and ``klingO3_*``), from the
  docstrings of their ``…ProviderSettings.multi_prompt`` (runwayml 5.24, read 2026-12-06): "An array of prompt
  segments for multishot video generation.  Each segment has its own prompt and duration.  Total duration across
  all segments must be between 3 and 15 seconds"; a segment's ``duration`` ("Duration in seconds for this
  segment") is taken as a whole second from 1.  No segment count is stated, so none is enforced.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cache
from typing import Any

from emulators.providers.law._typed import Law, utf16_len

ENDPOINTS = ("image_to_video", "text_to_video", "video_to_video", "video_upscale", "video_to_audio", "sound_effect")
RECIPE = "recipes/multi_shot_video"
RECIPE_SHOTS = (3, 5)  # custom mode's shot count (docstring of ``shots``, see above)
RECIPE_DEFAULT_SECONDS = 10  # ``duration``'s default (its docstring)
SEED_MAX = 4294967295  # runwayml 5.24 types/text_to_speech_create_params.py, seed docstring (see above)
MULTI_PROMPT_SECONDS = (3, 15)  # Kling's multiPrompt: the segments' total (its docstring, see above)


def _seed(value: Any, where: str) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and not 0 <= value <= SEED_MAX:
        return f"{where}: must be from 0 to {SEED_MAX}, not {value!r}"
    return None


def _multi_prompt(value: Any, where: str) -> str | None:
    """Kling's ``multiPrompt``: each segment at least 1 s, all of them 3-15 s together (the shape is the types')."""
    if not isinstance(value, list):
        return None  # the type reader says what is wrong with it
    found = [s.get("duration") if isinstance(s, Mapping) else None for s in value]
    lengths = [n for n in found if isinstance(n, int) and not isinstance(n, bool)]
    if len(lengths) != len(found):
        return None
    if any(n < 1 for n in lengths):
        return f"{where}: a segment's duration is a whole number of seconds from 1"
    low, high = MULTI_PROMPT_SECONDS
    if not low <= sum(lengths) <= high:
        return f"{where}: the segments add up to {sum(lengths)} s; their total must be between {low} and {high}"
    return None


@cache
def law(endpoint: str) -> Law:
    """The law of one create endpoint (built once, from the SDK's types)."""
    if endpoint == RECIPE:
        module = importlib.import_module("runwayml.types.recipe_multi_shot_video_params")
        return Law(module, module.RecipeMultiShotVideoParams, count=utf16_len)
    if endpoint not in ENDPOINTS:
        raise ValueError(f"no Runway create {endpoint!r}")
    module = importlib.import_module(f"runwayml.types.{endpoint}_create_params")
    root = getattr(module, "".join(part.title() for part in endpoint.split("_")) + "CreateParams")
    return Law(module, root, by_name={"seed": [_seed], "multi_prompt": [_multi_prompt]}, count=utf16_len)


def models(endpoint: str) -> set[str]:
    """The model names the SDK lists for a create endpoint."""
    return law(endpoint).tags()


def check(endpoint: str, body: Mapping[str, Any]) -> list[str]:
    """What Runway would refuse in a create ``body`` sent to ``/v1/{endpoint}`` (empty: it would accept it)."""
    problems = law(endpoint).check(dict(body) if isinstance(body, Mapping) else body)
    if endpoint == RECIPE and not problems and isinstance(body, Mapping) and body.get("mode") == "custom":
        problems = _shot_list(body)
    return problems


def _shot_list(body: Mapping[str, Any]) -> list[str]:
    """Custom mode's shot list: 3-5 shots, each at least 1 s, adding up to ``duration``."""
    shots = list(body.get("shots") or ())
    low, high = RECIPE_SHOTS
    if not low <= len(shots) <= high:
        return [f"shots: custom mode takes {low}-{high} shots, not {len(shots)}"]
    lengths = [s.get("duration") for s in shots]
    bad = [i for i, n in enumerate(lengths) if not isinstance(n, int) or isinstance(n, bool) or n < 1]
    if bad:
        return [f"shots[{bad[0]}].duration: must be a whole number of seconds from 1"]
    total = body.get("duration", RECIPE_DEFAULT_SECONDS)
    if sum(lengths) != total:
        return [f"shots: the shots' durations add up to {sum(lengths)}, not duration {total}"]
    return []
