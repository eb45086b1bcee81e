"""Luma's law: the ``lumaai`` SDK's generated create params (1.21, from Luma's OpenAPI spec).

``check("upscale", body)``: the body of ``POST /generations/{id}/upscale`` against
``lumaai.types.generation_upscale_params.GenerationUpscaleParams`` (``generation_type`` ``upscale_video``,
``resolution`` ``540p``/``720p``/``1080p``/``4k``, ``callback_url``).

``check("generations", body)``: the wire body (``lumaai`` sends the params' own names; it has no aliases)
against ``lumaai.types.generation_create_params.GenerationCreateParams``: ``model`` required and one of
its ``Literal``; ``aspect_ratio``, ``duration``, ``resolution``, ``generation_type`` from their
``Literal``s; ``loop`` a boolean; ``callback_url`` and ``prompt`` strings; ``concepts`` a list of
``{key}``; ``keyframes`` with only ``frame0``/``frame1``, each ``{type: "generation", id}`` or
``{type: "image", url}`` (the ``type`` ``Literal`` tells them apart) and nothing else.  ``duration`` and
``resolution`` are typed ``Union[Literal[...], str]``, Stainless's way of writing an enum left open to
values added later; the service refuses a value it does not list, so only the listed ones are lawful.

The SDK's docstrings state no lengths or ranges.  Luma's error reference states these refusals of a
create (docs.lumalabs.ai/docs/errors, "Before submission", read 2026-12-06), checked here as well:

- "Prompt is too short, minimum length is 3 characters"; "Prompt is too long, maximum length is 5000
  characters".
- "Prompt is required": "When image is not provided as keyframes, prompt is required."
- "Loop is not supported for end frame" (an image in frame1), "... for keyframes" (images in both frames),
  "... for extend reverse" (a generation in frame1), "... for interpolate ..." (both frames): that is,
  ``loop`` true with any ``frame1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from lumaai.types import generation_create_params, generation_upscale_params

from emulators.providers.law._typed import Law

ENDPOINTS = ("generations", "upscale")
PROMPT_MIN, PROMPT_MAX = 3, 5000  # docs.lumalabs.ai/docs/errors (see above)


def _prompt(value: Any, where: str) -> str | None:
    if isinstance(value, str) and not PROMPT_MIN <= len(value) <= PROMPT_MAX:
        if len(value) < PROMPT_MIN:
            return f"{where}: Prompt is too short, minimum length is {PROMPT_MIN} characters"
        return f"{where}: Prompt is too long, maximum length is {PROMPT_MAX} characters"
    return None


@cache
def law() -> Law:
    """The law of a create (built once, from the SDK's types)."""
    module = generation_create_params
    return Law(module, module.GenerationCreateParams, extra={("GenerationCreateParams", "prompt"): [_prompt]})


@cache
def upscale_law() -> Law:
    """The law of ``POST /generations/{id}/upscale`` (``generation_upscale_params.GenerationUpscaleParams``)."""
    module = generation_upscale_params
    return Law(module, module.GenerationUpscaleParams)


def models() -> set[str]:
    """The model names the SDK lists."""
    spec = law().fields(generation_create_params.GenerationCreateParams)["model"].type
    return {str(a) for a in spec.__args__}


def _documented(body: Mapping[str, Any]) -> list[str]:
    """The cross-field refusals of Luma's error reference (see the module docstring)."""
    out: list[str] = []
    keyframes = body.get("keyframes")
    frames = keyframes if isinstance(keyframes, dict) else {}
    has_image = any(isinstance(f, dict) and f.get("type") == "image" for f in frames.values())
    if not has_image and "prompt" not in body:
        out.append("prompt: Prompt is required")
    if body.get("loop") is True and "frame1" in frames:
        out.append("loop: Loop is not supported with a frame1 keyframe")
    return out


def check(endpoint: str, body: Mapping[str, Any]) -> list[str]:
    """What Luma would refuse in a create ``body`` (empty: it would accept it)."""
    if endpoint not in ENDPOINTS:
        raise ValueError(f"no Luma create {endpoint!r}")
    if endpoint == "upscale":
        return upscale_law().check(dict(body) if isinstance(body, Mapping) else body)
    found = law().check(dict(body) if isinstance(body, Mapping) else body)
    return found + _documented(body) if isinstance(body, Mapping) else found
