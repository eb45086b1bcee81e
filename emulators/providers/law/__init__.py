"""The providers' own descriptions of their APIs, as checks the emulators apply to every request.

Each module here states one provider's law and answers one question: what the real service would refuse in
a request body.  ``check(api, endpoint, body)`` returns the violations (empty when the service would accept
the body), each a short "field: reason" line; an emulator answers a non-empty list with the real service's
status and error body.

- ``runway``: ``endpoint`` is the create path's last part (``image_to_video``, ``text_to_video``,
  ``video_to_video``); the law is the ``runwayml`` SDK's own generated param types.
- ``luma``: ``endpoint`` is ``generations``; the law is ``lumaai.types.generation_create_params``.
- ``replicate``: ``endpoint`` is the model (``owner/name``); the law is each pinned version's vendored
  ``openapi_schema`` (``schemas/replicate/``).
- ``fal``: ``endpoint`` is the endpoint id (``fal-ai/...``); the law is its vendored OpenAPI input schema
  (``schemas/fal/``).

Nothing here imports the product: the law comes from the providers, not from the bot.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

APIS = ("runway", "luma", "replicate", "fal")


def check(api: str, endpoint: str, body: Mapping[str, Any]) -> list[str]:
    """What the real ``api`` would refuse in ``body`` sent to ``endpoint`` (empty: it would accept it)."""
    if api not in APIS:
        raise ValueError(f"no law for {api!r}")
    module = importlib.import_module(f"{__name__}.{api}")
    result: list[str] = module.check(endpoint, body)
    return result
