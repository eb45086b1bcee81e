"""Replicate's law: each model's input schema, as the model's version publishes it (``openapi_schema``).

Replicate checks a prediction's ``input`` against the version's schema before it queues anything and answers
422 problem details ``{"title": "Input validation failed", "status": 422, "detail": "- input.seed: Must be
less than or equal to 2147483647\\n", "invalid_fields": [{"type", "field", "description"}]}``; the messages are
gojsonschema's (Replicate's validator), e.g. ``prompt is required``, ``Additional property foo is not allowed``,
``mode must be one of the following: "standard", "pro"``.

``endpoint`` is the model, ``owner/name``; ``body`` is the prediction's ``input``.

Refreshing a schema: open the model's version API page (``https://replicate.com/<owner>/<name>/versions/<id>/api``,
"Input schema" table: field, type, default, options, min/max) or ``GET /v1/models/<owner>/<name>/versions/<id>``
(``openapi_schema.components.schemas.Input``); for a community model the Cog ``predict.py`` (``Input(ge=, le=,
choices=)``) is the truth.  Edit ``schemas/replicate/<owner>__<name>.json``: the ``schema`` and ``source``, ``read``
(the date), ``how`` and ``notes``; then run ``pytest tests/emulator_tests/providers/test_replicate_law.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import ValidationError

from emulators.providers.law import _schemas

PROVIDER = "replicate"


@dataclass(frozen=True)
class Invalid:
    """One entry of Replicate's ``invalid_fields``."""

    type: str  # gojsonschema's error type: required, additional_property_not_allowed, enum, number_lte…
    field: str  # "input" or "input.<name>"
    description: str

    @property
    def line(self) -> str:
        """The entry as a line of the 422's ``detail``."""
        return f"- {self.field}: {self.description}"


def models() -> list[str]:
    """Every model with a vendored schema."""
    return _schemas.endpoints(PROVIDER)


def document(model: str) -> dict[str, Any]:
    """The vendored file of ``model`` (KeyError when there is none)."""
    return _schemas.document(PROVIDER, model)


def invalid_fields(model: str, body: object) -> list[Invalid]:
    """What Replicate would list in ``invalid_fields`` for this ``input`` (empty: it would accept it)."""
    if not isinstance(body, Mapping):
        return [Invalid("invalid_type", "input", f"Invalid type. Expected: object, given: {_kind(body)}")]
    found = _schemas.errors(PROVIDER, model, body)
    wrong_type = {tuple(e.absolute_path) for e in found if e.validator == "type"}
    # gojsonschema stops at a value of the wrong type: no enum or range error for it as well
    return [_invalid(e) for e in found if e.validator == "type" or tuple(e.absolute_path) not in wrong_type]


def check(endpoint: str, body: Mapping[str, Any]) -> list[str]:
    """``field: reason`` for everything Replicate would refuse in ``body`` (the model's ``input``)."""
    return [f"{v.field}: {v.description}" for v in invalid_fields(endpoint, body)]


def _invalid(err: ValidationError) -> Invalid:
    path = [str(p) for p in err.absolute_path]
    field = ".".join(["input", *path])
    name = path[-1] if path else "input"
    value: Any = err.instance  # types-jsonschema: Any | Unset; a failed check always has its instance
    schema = err.schema if isinstance(err.schema, dict) else {}
    match err.validator:
        case "required":
            missing = str(err.message).split("'")[1]
            return Invalid("required", field, f"{missing} is required")
        case "additionalProperties":
            extras = [k for k in value if k not in schema.get("properties", {})]
            return Invalid("additional_property_not_allowed", field, f"Additional property {extras[0]} is not allowed")
        case "enum":
            allowed = ", ".join(_json(v) for v in schema["enum"])
            return Invalid("enum", field, f"{name} must be one of the following: {allowed}")
        case "const":
            return Invalid("const", field, f"{name} does not match: {_json(schema['const'])}")
        case "maximum":
            return Invalid("number_lte", field, f"Must be less than or equal to {schema['maximum']}")
        case "minimum":
            return Invalid("number_gte", field, f"Must be greater than or equal to {schema['minimum']}")
        case "minItems":
            return Invalid("array_min_items", field, f"Array must have at least {schema['minItems']} items")
        case "maxItems":
            return Invalid("array_max_items", field, f"Array must have at most {schema['maxItems']} items")
        case "type":
            return Invalid("invalid_type", field, f"Invalid type. Expected: {schema['type']}, given: {_kind(value)}")
        case _:
            return Invalid(str(err.validator), field, str(err.message))


def _json(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"
