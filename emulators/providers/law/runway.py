"""Runway's law: the ``runwayml`` SDK's generated create params (5.24, from Runway's OpenAPI spec).

``check(endpoint, body)`` for ``endpoint`` in ``image_to_video``, ``text_to_video``, ``video_to_video``,
``video_to_audio`` and ``sound_effect``:
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
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cache
from typing import Any

from emulators.providers.law._typed import Law, utf16_len

ENDPOINTS = ("image_to_video", "text_to_video", "video_to_video", "video_to_audio", "sound_effect")
SEED_MAX = 4294967295  # runwayml 5.24 types/text_to_speech_create_params.py, seed docstring (see above)


def _seed(value: Any, where: str) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and not 0 <= value <= SEED_MAX:
        return f"{where}: must be from 0 to {SEED_MAX}, not {value!r}"
    return None


@cache
def law(endpoint: str) -> Law:
    """The law of one create endpoint (built once, from the SDK's types)."""
    if endpoint not in ENDPOINTS:
        raise ValueError(f"no Runway create {endpoint!r}")
    module = importlib.import_module(f"runwayml.types.{endpoint}_create_params")
    root = getattr(module, "".join(part.title() for part in endpoint.split("_")) + "CreateParams")
    return Law(module, root, by_name={"seed": [_seed]}, count=utf16_len)


def models(endpoint: str) -> set[str]:
    """The model names the SDK lists for a create endpoint."""
    return law(endpoint).tags()


def check(endpoint: str, body: Mapping[str, Any]) -> list[str]:
    """What Runway would refuse in a create ``body`` sent to ``/v1/{endpoint}`` (empty: it would accept it)."""
    return law(endpoint).check(dict(body) if isinstance(body, Mapping) else body)
