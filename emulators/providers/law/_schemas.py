"""The vendored input schemas (``schemas/<provider>/<endpoint with / as __>.json``) and one validator per endpoint.

Each file is ``{"endpoint", "source", "read", "how", "notes", "schema", ...}``: ``schema`` is a JSON Schema
(Draft 2020-12) for the request's input object, transcribed from the provider's published description (see the
file's ``source`` and ``how``); other keys carry rules JSON Schema cannot state (e.g. ``list_output``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

SCHEMAS = Path(__file__).with_name("schemas")


def file_for(provider: str, endpoint: str) -> Path:
    """Where ``endpoint``'s vendored schema lives."""
    return SCHEMAS / provider / (endpoint.replace("/", "__") + ".json")


@cache
def document(provider: str, endpoint: str) -> dict[str, Any]:
    """The vendored file for ``endpoint`` (KeyError when the provider has no such endpoint vendored)."""
    path = file_for(provider, endpoint)
    if not path.is_file():
        raise KeyError(f"no vendored {provider} schema for {endpoint!r}")
    doc: dict[str, Any] = json.loads(path.read_text())
    Draft202012Validator.check_schema(doc["schema"])
    return doc


def endpoints(provider: str) -> list[str]:
    """Every endpoint with a vendored schema."""
    return sorted(json.loads(p.read_text())["endpoint"] for p in (SCHEMAS / provider).glob("*.json"))


@cache
def _validator(provider: str, endpoint: str) -> Draft202012Validator:
    return Draft202012Validator(document(provider, endpoint)["schema"])


def errors(provider: str, endpoint: str, body: Mapping[str, Any]) -> list[ValidationError]:
    """Every leaf violation of ``body`` against the endpoint's schema, in a stable order."""
    found = list(_leaves(_validator(provider, endpoint).iter_errors(body)))
    return sorted(found, key=lambda e: (list(map(str, e.absolute_path)), e.validator, e.message))


def _leaves(errs: Iterator[ValidationError]) -> Iterator[ValidationError]:
    for err in errs:
        if err.context:
            yield from _leaves(iter(err.context))
        else:
            yield err
