"""fal's law: each endpoint's input schema, as fal publishes it (the model page's ``llms.txt`` / ``/api``
"Input Schema", generated from the app's pydantic input model and served as the endpoint's OpenAPI).

fal validates the submitted JSON before it queues a request and answers FastAPI's 422
``{"detail": [{"loc": ["body", field], "msg": ..., "type": ...}]}`` with pydantic's messages and types
(``missing`` "Field required", ``extra_forbidden`` "Extra inputs are not permitted", ``enum`` "Input should
be '5' or '10'", ``less_than_equal``…).

``endpoint`` is the endpoint id (``fal-ai/pika/v2.2/text-to-video``); ``body`` is the submitted JSON.

Refreshing a schema: read ``https://fal.ai/models/<endpoint id>/llms.txt`` (or the ``/api`` page, or the
OpenAPI at ``https://fal.ai/api/openapi/queue/openapi.json?endpoint_id=<endpoint id>``): each input's type,
required/optional, options and range.  Edit ``schemas/fal/<endpoint id with / as __>.json``: the ``schema``
and ``source``, ``read`` (the date), ``how`` and ``notes``; then run
``pytest tests/emulator_tests/providers/test_fal_law.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import ValidationError

from emulators.providers.law import _schemas

PROVIDER = "fal"


@dataclass(frozen=True)
class Problem:
    """One entry of fal's 422 ``detail`` list."""

    loc: tuple[str | int, ...]  # ("body", field, ...)
    msg: str
    type: str

    def as_json(self) -> dict[str, Any]:
        """The entry as fal sends it."""
        return {"loc": list(self.loc), "msg": self.msg, "type": self.type}


def endpoints() -> list[str]:
    """Every endpoint with a vendored schema."""
    return _schemas.endpoints(PROVIDER)


def document(endpoint: str) -> dict[str, Any]:
    """The vendored file of ``endpoint`` (KeyError when there is none)."""
    return _schemas.document(PROVIDER, endpoint)


def problems(endpoint: str, body: object) -> list[Problem]:
    """What fal would list in the 422's ``detail`` (empty: it would accept the body)."""
    if not isinstance(body, Mapping):
        return [Problem(("body",), "Input should be a valid dictionary or object", "model_attributes_type")]
    errs = _schemas.errors(PROVIDER, endpoint, body)
    enums = {tuple(e.absolute_path) for e in errs if e.validator == "enum"}
    # pydantic reports an Enum field once ("Input should be '5' or '10'"), whatever the value's type
    found = [_problem(e) for e in errs if e.validator != "type" or tuple(e.absolute_path) not in enums]
    return found or _beyond_schema(endpoint, body)


def check(endpoint: str, body: Mapping[str, Any]) -> list[str]:
    """``field: reason`` for everything fal would refuse in ``body``."""
    return [f"{'.'.join(map(str, p.loc[1:])) or 'body'}: {p.msg}" for p in problems(endpoint, body)]


def _beyond_schema(endpoint: str, body: Mapping[str, Any]) -> list[Problem]:
    """Rules the page states in words (pydantic validators), which JSON Schema cannot: Pikaframes' transitions."""
    limit = document(endpoint).get("max_total_transition_seconds")
    transitions = body.get("transitions")
    if limit is None or not isinstance(transitions, list):
        return []
    out = []
    if len(transitions) != len(body.get("image_urls") or []) - 1:
        out.append(Problem(("body", "transitions"), "Value error, length must be len(image_urls) - 1", "value_error"))
    total = sum(t.get("duration", 5) for t in transitions if isinstance(t, Mapping))
    if total > limit:
        msg = f"Value error, total duration of all transitions must not exceed {limit} seconds"
        out.append(Problem(("body", "transitions"), msg, "value_error"))
    return out


def _problem(err: ValidationError) -> Problem:
    loc: tuple[str | int, ...] = ("body", *err.absolute_path)
    value: Any = err.instance  # types-jsonschema: Any | Unset; a failed check always has its instance
    schema = err.schema if isinstance(err.schema, dict) else {}
    match err.validator:
        case "required":
            return Problem((*loc, str(err.message).split("'")[1]), "Field required", "missing")
        case "additionalProperties":
            extra = next(k for k in value if k not in schema.get("properties", {}))
            return Problem((*loc, extra), "Extra inputs are not permitted", "extra_forbidden")
        case "enum":
            options = [f"'{v}'" for v in schema["enum"]]
            said = options[0] if len(options) == 1 else f"{', '.join(options[:-1])} or {options[-1]}"
            return Problem(loc, f"Input should be {said}", "enum")
        case "maximum":
            return Problem(loc, f"Input should be less than or equal to {schema['maximum']}", "less_than_equal")
        case "minimum":
            return Problem(loc, f"Input should be greater than or equal to {schema['minimum']}", "greater_than_equal")
        case "minItems":
            n = schema["minItems"]
            return Problem(loc, f"List should have at least {n} items after validation, not {len(value)}", "too_short")
        case "maxItems":
            n = schema["maxItems"]
            return Problem(loc, f"List should have at most {n} items after validation, not {len(value)}", "too_long")
        case "type":
            kind = {"integer": "int", "number": "float", "string": "string", "boolean": "bool", "array": "list"}
            expected = str(schema.get("type"))
            name = {"int": "integer", "float": "number", "bool": "boolean", "list": "list"}.get(kind.get(expected, ""))
            return Problem(loc, f"Input should be a valid {name or expected}", f"{kind.get(expected, expected)}_type")
        case _:
            return Problem(loc, str(err.message), str(err.validator))
