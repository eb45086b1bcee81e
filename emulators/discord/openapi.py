"""Discord's published OpenAPI description as the law the emulator holds requests and its own answers to.

The description is ``schemas/discord-openapi.json`` (discord/discord-api-spec ``specs/openapi.json``, OpenAPI
3.1, version of 2026-07-18, vendored 2026-12-06; see ``schemas/README.md`` for the source and how to refresh it).

- :func:`check_request` finds the operation for a method and a concrete path (``/channels/123/messages`` →
  ``/channels/{channel_id}/messages``) and validates the JSON body (or the ``payload_json`` part of a multipart
  body) against the operation's ``application/json`` request schema with ``jsonschema`` (draft 2020-12;
  ``#/components/schemas/...`` resolved by a ``referencing`` registry holding the whole description).
- :func:`check_response` validates the emulator's own JSON answer against the operation's schema for that
  status (or tells that the status is not one the operation documents).

Validators are compiled lazily, one per operation (and per response status), and cached: the spec is parsed
once per process, on the first check; a request body found lawful is remembered (by operation and canonical
JSON) and not checked again.  Each body is first checked by a quick pass that only asks *whether* it is lawful
(:data:`_Quick`: ``anyOf``/``oneOf`` stop at a branch's first error instead of collecting every error of
every branch); only a body that fails it is walked again for its errors.  Both passes hold the body to the
same schema, so the answer is the same; a lawful body costs the quick pass alone (a fifth of the full walk,
measured on a burst's message bodies on 2026-12-06).

How the emulator reads the description (each choice is here, in code; the JSON file stays as published):

1. **Snowflakes as JSON integers (requests only).** ``SnowflakeType`` is a decimal string. Discord also takes
   a snowflake as a JSON integer, and discord.py sends ids that way (``message_reference.message_id``,
   ``attachments[].id`` = 0, ``allowed_mentions.users``...). In *request* schemas ``SnowflakeType`` is therefore
   "the string pattern, or an integer 0..2**64-1". Answers are held to the string form, as Discord sends it.
2. **Request objects are closed.** The description leaves every object open (no ``additionalProperties``,
   except ``InnerErrors``). A key Discord does not define is either dropped silently or refused by Discord;
   either way the bot sending it is wrong, so in *request* schemas every object that lists ``properties`` and
   says nothing about others gets ``additionalProperties: false`` (no request schema composes objects with
   ``allOf``, so this closes nothing that another branch would have allowed). Answers stay open: Discord adds
   fields before it documents them.
3. **Exceptions where the description is wrong** against what discord.py 2.7 sends and Discord accepts are
   listed in :data:`REQUEST_EXCEPTIONS` / :data:`RESPONSE_EXCEPTIONS`, each with its reason. Nothing else is
   more lenient than the description.

4. **Parameters** (:func:`check_parameters`). Each path parameter and query parameter is held to its schema in
   the operation's ``parameters`` (or its path's): a value's text is read as the schema's type first (a
   boolean is ``True``, ``true`` or ``1`` / ``False``, ``false`` or ``0``, as Discord's docs say: API
   Reference, "Boolean Query Strings", discord/discord-api-docs ``docs/Reference.md``, read 2026-12-06; an
   integer is decimal digits), then validated (a snowflake by the description's string pattern, a limit by its
   bounds).  A required query parameter must be there.  A query parameter the operation does not define is
   refused, as an unknown body key is (choice 2): Discord ignores it, so a misspelt ``with_components`` would
   silently lose a message's components.

Not checked: array-valued query parameters (none of which the bot sends), ``format`` keywords (``int64``,
``uri``, ``date-time``: ``jsonschema`` only asserts formats when asked, and Discord's ``snowflake`` / ``nonce``
formats are not standard), and bodies of operations that define no request body.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from jsonschema import Draft202012Validator
from jsonschema._utils import equal  # what the ``const`` keyword compares with (1 is not true)
from jsonschema.exceptions import ValidationError
from jsonschema.validators import extend
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).with_name("schemas") / "discord-openapi.json"
SPEC_URI = "urn:discord-openapi"
HTTP_METHODS = ("get", "put", "post", "patch", "delete")
# Request schemas: a snowflake is the spec's decimal string or a JSON integer (choice 1 in the module docstring).
SNOWFLAKE_REQUEST = {
    "anyOf": [
        {"type": "string", "pattern": "^(0|[1-9][0-9]*)$"},
        {"type": "integer", "minimum": 0, "maximum": 2**64 - 1},
    ]
}
# Exceptions to the description (choice 3): {JSON pointer into the description: the value put there}, each with
# the reason. Request schemas and answer schemas have their own lists.
REQUEST_EXCEPTIONS: dict[str, Any] = {
    # discord.py 2.7 sends ``nsfw`` with every command it syncs (app_commands/commands.py, ``to_dict``), and the
    # description's own ApplicationCommandResponse has ``nsfw`` (the age-restricted flag Discord stores and
    # returns; settable per command in Discord's docs, "Application Command Object"). Only the three request
    # schemas lack it; refusing it would refuse every real bot's sync.
    "/components/schemas/ApplicationCommandCreateRequest/properties/nsfw": {"type": ["boolean", "null"]},
    "/components/schemas/ApplicationCommandUpdateRequest/properties/nsfw": {"type": ["boolean", "null"]},
    "/components/schemas/ApplicationCommandPatchRequestPartial/properties/nsfw": {"type": ["boolean", "null"]},
    # discord.py 2.7 puts ``flags`` in every embed it sends: ``Embed.__init__`` sets ``_flags = 0`` and
    # ``Embed.to_dict`` copies every set slot (embeds.py), so each embed of each discord.py bot carries
    # ``"flags": 0``, and Discord takes it (embed flags are part of Discord's embed object). RichEmbed lacks it.
    "/components/schemas/RichEmbed/properties/flags": {"type": ["integer", "null"]},
    # discord.py 2.7 sends ``tts`` (false) in every message body it builds, edits included: ``http.py``
    # ``handle_message_parameters`` always sets ``payload['tts']`` (Message.edit, Webhook/followup and
    # ``edit_original_response`` edits), and ``webhook/async_.py`` ``interaction_message_response_params`` starts
    # the callback ``data`` with ``{'tts': tts}`` (type 7 of ``InteractionResponse.edit_message`` included).
    # Discord takes it: every discord.py bot edits messages this way. The three edit schemas lack ``tts``.
    "/components/schemas/MessageEditRequestPartial/properties/tts": {"type": ["boolean", "null"]},
    "/components/schemas/IncomingWebhookUpdateRequestPartial/properties/tts": {"type": ["boolean", "null"]},
    "/components/schemas/IncomingWebhookUpdateForInteractionCallbackRequestPartial/properties/tts": {
        "type": ["boolean", "null"]
    },
    # discord.py 2.7 keeps an attachment on an edit (``Message.edit(attachments=[kept])``, the documented way to
    # remove the others) by sending ``Attachment.to_dict()`` (message.py): id and filename, and also proxy_url,
    # size, url, spoiler and, when known, height, width and content_type. Discord takes it (it keeps the
    # attachment by ``id``; the docs call these "partial attachment objects"). MessageAttachmentRequest lists
    # none of those keys; the exception allows exactly them, with their types, and nothing else.
    "/components/schemas/MessageAttachmentRequest/properties/proxy_url": {"type": "string"},
    "/components/schemas/MessageAttachmentRequest/properties/url": {"type": "string"},
    "/components/schemas/MessageAttachmentRequest/properties/size": {"type": "integer", "minimum": 0},
    "/components/schemas/MessageAttachmentRequest/properties/spoiler": {"type": "boolean"},
    "/components/schemas/MessageAttachmentRequest/properties/height": {"type": ["integer", "null"]},
    "/components/schemas/MessageAttachmentRequest/properties/width": {"type": ["integer", "null"]},
    "/components/schemas/MessageAttachmentRequest/properties/content_type": {"type": ["string", "null"]},
}
RESPONSE_EXCEPTIONS: dict[str, Any] = {}


@dataclass(frozen=True)
class Operation:
    """One operation of the description: its method and path template."""

    method: str
    template: str

    @property
    def pointer(self) -> str:
        """JSON pointer (URI-fragment form) to the operation object in the description."""
        escaped = self.template.replace("~", "~0").replace("/", "~1")
        return f"/paths/{escaped}/{self.method}"


@dataclass(frozen=True)
class Problem:
    """One thing Discord would refuse: where in the body (a path of keys/indexes), a code and a message."""

    path: tuple[str | int, ...]
    code: str
    message: str

    def line(self) -> str:
        """``embeds.0.title: BASE_TYPE_MAX_LENGTH: ...``."""
        where = ".".join(str(p) for p in self.path) or "(body)"
        return f"{where}: {self.code}: {self.message}"


# ----- loading ----------------------------------------------------------------------------------------------
@functools.cache
def spec() -> dict[str, Any]:
    """The description as published (parsed once per process)."""
    with SPEC_PATH.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _close_objects(node: Any) -> None:
    """Choice 2: ``additionalProperties: false`` on every object schema that lists properties and is silent."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node and "unevaluatedProperties" not in node:
            node["additionalProperties"] = False
        for key, value in node.items():
            if key not in ("properties", "patternProperties", "$defs"):
                _close_objects(value)
            elif isinstance(value, dict):
                for sub in value.values():
                    _close_objects(sub)
    elif isinstance(node, list):
        for item in node:
            _close_objects(item)


def _resolve_pointer(doc: Any, pointer: str) -> Any:
    for raw in pointer.lstrip("/").split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def _apply_exceptions(doc: dict[str, Any], exceptions: dict[str, Any]) -> None:
    for pointer, value in exceptions.items():
        parent_ptr, _, last = pointer.rpartition("/")
        _resolve_pointer(doc, parent_ptr)[last.replace("~1", "/").replace("~0", "~")] = value


@functools.cache
def _registry(for_requests: bool) -> Registry[Any]:
    """A registry holding the (adapted) description under :data:`SPEC_URI`; requests and answers differ."""
    doc = copy.deepcopy(spec())
    if for_requests:
        doc["components"]["schemas"]["SnowflakeType"] = SNOWFLAKE_REQUEST
        _close_objects(doc["paths"])
        _close_objects(doc["components"]["schemas"])
        _apply_exceptions(doc, REQUEST_EXCEPTIONS)
    else:
        _apply_exceptions(doc, RESPONSE_EXCEPTIONS)
    # The quick pass (:data:`_Quick`) is exact only while no schema looks back at which branches held.
    text = json.dumps(doc)
    for word in ("unevaluated", "$dynamicRef", "$id"):  # what the quick pass's shortcuts assume away
        assert f'"{word}' not in text, f"{word} in the description: the quick pass needs review"
    resource: Resource[Any] = Resource.from_contents(doc, default_specification=DRAFT202012)
    return Registry().with_resource(SPEC_URI, resource)


def prepare() -> None:
    """Read the description and build both registries now (about 60 ms), so the first request of a burst does not
    pay for them in its answer's time (the emulator calls this when it starts)."""
    with _lock:
        _registry(True)
        _registry(False)
        _operations()


@functools.cache
def _operations() -> dict[int, list[tuple[tuple[str, ...], str, frozenset[str]]]]:
    """Path templates by number of segments: (segments, template, methods)."""
    index: dict[int, list[tuple[tuple[str, ...], str, frozenset[str]]]] = {}
    for template, item in spec()["paths"].items():
        segments = tuple(template.strip("/").split("/"))
        methods = frozenset(m for m in item if m in HTTP_METHODS)
        index.setdefault(len(segments), []).append((segments, template, methods))
    return index


def find_operation(method: str, path: str) -> Operation | None:
    """The operation for ``method`` on a concrete ``path`` relative to ``/api/v10`` (literal segments win over
    parameters: ``/messages/@original`` is not ``/messages/{message_id}``); None when Discord has none."""
    parts = tuple(path.strip("/").split("/"))
    best: tuple[tuple[bool, ...], str] | None = None
    for segments, template, methods in _operations().get(len(parts), []):
        if method.lower() not in methods:
            continue
        literal: list[bool] = []
        for want, got in zip(segments, parts, strict=True):
            is_param = want.startswith("{") and want.endswith("}")
            if not is_param and want != got:
                break
            literal.append(not is_param)
        else:
            score = tuple(literal)
            if best is None or score > best[0]:
                best = (score, template)
    return Operation(method.lower(), best[1]) if best else None


# ----- validators -------------------------------------------------------------------------------------------
_lock = threading.Lock()  # the emulator may run in a thread of its own (python -m) next to tests' threads


def _any_of(validator: Any, any_of: list[Any], instance: Any, schema: Any) -> Any:
    """``anyOf`` for the quick pass: one error, and only when no branch holds (each branch stops at its first)."""
    if not any(_holding(validator, instance, any_of)):
        yield ValidationError(f"{instance!r} is not valid under any of the given schemas")


def _one_of(validator: Any, one_of: list[Any], instance: Any, schema: Any) -> Any:
    """``oneOf`` for the quick pass: one error unless exactly one branch holds (stops at the second that does)."""
    holding = 0
    for _ in filter(None, _holding(validator, instance, one_of)):
        holding += 1
        if holding > 1:
            break
    if holding != 1:
        yield ValidationError(f"{instance!r} is not valid under exactly one of the given schemas")


def _holding(validator: Any, instance: Any, branches: list[Any]) -> Iterator[bool]:
    """Whether each branch holds, one at a time.  Two shapes of branch are decided without a validator of
    their own: the description's enumerations are ``oneOf`` lists of ``{"const": …, "title": …,
    "description": …}`` (37 message types, 34 locales...), which hold when the value equals the ``const`` as
    that keyword compares (1 is not true); and a nullable value is ``oneOf: [{"$ref": …}, {"type": "null"}]``,
    whose ``{"type": …}`` branch holds when the value is of that type, as that keyword checks it."""
    for i, (kind, value) in enumerate(_shapes(branches)):
        if kind == "const":
            yield equal(instance, value)
        elif kind == "type":
            yield validator.is_type(instance, value)
        else:
            yield _holds(validator, instance, value, i)


def _holds(validator: Any, instance: Any, subschema: Any, index: int) -> bool:
    return next(validator.descend(instance, subschema, schema_path=index), None) is None


_ANNOTATIONS = frozenset({"title", "description"})  # keys that check nothing
_shape_cache: dict[int, tuple[list[Any], list[tuple[str, Any]]]] = {}  # id -> (the list, kept alive; shapes)


def _shapes(branches: list[Any]) -> list[tuple[str, Any]]:
    """Each branch as ("const", value), ("type", name) or ("schema", the branch) (cached by list)."""
    known = _shape_cache.get(id(branches))
    if known is None or known[0] is not branches:
        shapes: list[tuple[str, Any]] = []
        for branch in branches:
            checks = set(branch) - _ANNOTATIONS if isinstance(branch, dict) else None
            if checks == {"const"}:
                shapes.append(("const", branch["const"]))
            elif checks == {"type"} and isinstance(branch["type"], str):
                shapes.append(("type", branch["type"]))
            else:
                shapes.append(("schema", branch))
        known = _shape_cache[id(branches)] = (branches, shapes)
    return known[1]


# The quick pass: draft 2020-12 with the two keywords above, which say the same yes or no as jsonschema's own
# (an ``anyOf`` fails when every branch has an error, a ``oneOf`` unless exactly one branch has none) without
# building every failed branch's errors.  No schema of the description uses ``unevaluated*`` (the only
# keywords that look back at which branches held), so nothing else depends on the branches' errors.
_Quick = extend(Draft202012Validator, {"anyOf": _any_of, "oneOf": _one_of})


@functools.cache
def _quick_class(for_requests: bool) -> Any:
    """The quick pass for one of the two adapted descriptions, whose ``$ref`` remembers what each reference
    resolved to: every ``#/components/schemas/…`` is looked up once, not walked down by JSON pointer at each
    use.  One class (one memory) per description: the requests' and the answers' differ under the same URI.
    The description has no ``$id`` and no ``$dynamicRef``, so a reference means one thing wherever it is."""
    resolved: dict[tuple[str, str], Any] = {}

    def ref(validator: Any, ref: str, instance: Any, schema: Any) -> Any:
        resolver = validator._resolver  # (jsonschema's own ``$ref`` looks up with it the same way)
        key = (resolver._base_uri, ref)
        found = resolved.get(key)
        if found is None:
            found = resolved[key] = resolver.lookup(ref)
        yield from validator.descend(instance, found.contents, resolver=found.resolver)

    return extend(_Quick, {"$ref": ref})


@dataclass(frozen=True)
class _Law:
    """One schema's two validators: the quick yes-or-no pass and the full walk that words the errors."""

    quick: Any
    full: Draft202012Validator


def _validator(ref: str, for_requests: bool) -> _Law:
    schema, registry = {"$ref": f"{SPEC_URI}#{ref}"}, _registry(for_requests)
    quick = _quick_class(for_requests)(schema, registry=registry)
    return _Law(quick, Draft202012Validator(schema, registry=registry))


@functools.cache
def _request_validator(op: Operation) -> _Law | None:
    with _lock:
        body = spec()["paths"][op.template][op.method].get("requestBody")
        if body is None or "application/json" not in body.get("content", {}):
            return None
        return _validator(f"{op.pointer}/requestBody/content/application~1json/schema", True)


def _response_key(op: Operation, status: int) -> str | None:
    responses = spec()["paths"][op.template][op.method].get("responses", {})
    for key in (str(status), f"{str(status)[0]}XX"):
        if key in responses:
            return key
    return None


@functools.cache
def _response_validator(op: Operation, key: str) -> _Law | None:
    with _lock:
        response = spec()["paths"][op.template][op.method]["responses"][key]
        if "$ref" in response or "application/json" not in response.get("content", {}):
            return None
        return _validator(f"{op.pointer}/responses/{key}/content/application~1json/schema", False)


# ----- errors as Discord words them -------------------------------------------------------------------------
def _leaf(error: ValidationError) -> ValidationError:
    """The most telling error under an ``anyOf``/``oneOf``: the branch the body was meant for (its
    discriminating ``type``/choice matched, and the value is of the branch's type; then fewest errors), and in
    it the deepest error."""
    while error.context:
        depth = len(error.absolute_path)
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)

        errs = max(branches.values(), key=functools.partial(_fit, depth=depth))
        error = max(errs, key=lambda e: (len(e.absolute_path), e.validator not in ("type", "enum", "const")))
    return error


def _fit(errs: list[ValidationError], *, depth: int) -> tuple[bool, bool, int]:
    """How well an ``anyOf`` branch fits: its choice matched, the value is of its type, fewest errors."""
    choice_ok = not any(e.validator in ("enum", "const") for e in errs)
    type_ok = not any(e.validator == "type" and len(e.absolute_path) == depth for e in errs)
    return choice_ok, type_ok, -len(errs)


def _problem(error: ValidationError) -> list[Problem]:
    leaf = _leaf(error)
    path: tuple[str | int, ...] = tuple(leaf.absolute_path)
    kind, value = leaf.validator, cast(Any, leaf.validator_value)
    if kind == "required" and isinstance(leaf.instance, dict):
        missing = [k for k in value if k not in leaf.instance]
        return [Problem((*path, k), "BASE_TYPE_REQUIRED", "This field is required") for k in missing]
    if kind == "additionalProperties" and isinstance(leaf.instance, dict):
        known = leaf.schema.get("properties", {}) if isinstance(leaf.schema, dict) else {}
        # Not a Discord code: Discord drops or refuses an unknown key (module docstring, choice 2).
        extra = [k for k in leaf.instance if k not in known]
        return [Problem((*path, k), "UNKNOWN_FIELD", f"{k!r} is not a field of this object") for k in extra]
    codes = {
        "type": "BASE_TYPE_BAD_TYPE",
        "maxLength": "BASE_TYPE_MAX_LENGTH",
        "maxItems": "BASE_TYPE_MAX_LENGTH",
        "minLength": "BASE_TYPE_MIN_LENGTH",
        "minItems": "BASE_TYPE_MIN_LENGTH",
        "enum": "BASE_TYPE_CHOICES",
        "const": "BASE_TYPE_CHOICES",
        "minimum": "NUMBER_TYPE_MIN",
        "maximum": "NUMBER_TYPE_MAX",
        "pattern": "BASE_TYPE_BAD_FORMAT",
    }
    return [Problem(path, codes.get(str(kind), "BASE_TYPE_INVALID"), leaf.message)]


def _problems(law: _Law, instance: Any) -> list[Problem]:
    if law.quick.is_valid(instance):
        return []
    seen: dict[str, Problem] = {}
    for error in law.full.iter_errors(instance):
        for problem in _problem(error):
            seen.setdefault(problem.line(), problem)
    return list(seen.values())


def errors_object(problems: list[Problem]) -> dict[str, Any]:
    """Discord's nested ``errors`` of a 50035: ``{"embeds": {"0": {"title": {"_errors": [...]}}}}``."""
    tree: dict[str, Any] = {}
    for problem in problems:
        node = tree
        for part in problem.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": problem.code, "message": problem.message})
    return tree


# ----- the two checks ---------------------------------------------------------------------------------------
def check_request(method: str, path: str, body: Any) -> list[Problem]:
    """What Discord would refuse in ``body`` (parsed JSON, or the parsed ``payload_json``) sent as ``method
    path``; empty when it would take it, when Discord has no such operation (the route answers 404 itself) or
    when the operation defines no JSON body."""
    op = find_operation(method, path)
    if op is None:
        return []
    validator = _request_validator(op)
    if validator is None:
        return []
    key = _body_key(op, body)
    if key is not None and key in _lawful:
        return []
    problems = _problems(validator, body)
    if key is not None and not problems:
        with _lock:
            if len(_lawful) >= MAX_LAWFUL:
                _lawful.clear()
            _lawful[key] = None
    return problems


# Request bodies found lawful, by operation and canonical JSON: validation is a pure function of the two, so a
# body seen before is lawful again without the validator (a burst of 200 identical deferrals costs one check).
# Only lawful bodies are kept (a refused one is checked each time, for its errors); bounded, cleared when full.
MAX_LAWFUL = 4096
_lawful: dict[tuple[Operation, str], None] = {}


def _body_key(op: Operation, body: Any) -> tuple[Operation, str] | None:
    """``op`` and ``body`` as canonical JSON (sorted keys), or None for a body that is not plain JSON."""
    try:
        return op, json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        return None


# Discord's docs, API Reference, "Boolean Query Strings" (choice 4)
TRUE_WORDS, FALSE_WORDS = frozenset({"True", "true", "1"}), frozenset({"False", "false", "0"})


@dataclass(frozen=True)
class _Parameter:
    """One path or query parameter of an operation: how its text is read, and its schema's law."""

    required: bool
    kind: str  # the schema's type: "boolean", "integer", "number", "array" or "string"
    law: _Law  # (answers' reading: a snowflake is the string it is in a path or a query)
    lawful: Callable[[Any], bool] | None  # a quick yes for the plain schemas (a snowflake, a bounded integer)


def _resolved(schema: Any) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = _resolve_pointer(spec(), str(schema["$ref"]).removeprefix("#"))
    return schema


def _kind(schema: Any) -> str:
    kind = schema.get("type") if isinstance(schema, dict) else None
    return kind if kind in ("boolean", "integer", "number", "array") else "string"


PLAIN_KEYWORDS = frozenset({"type", "pattern", "maxLength", "minLength", "minimum", "maximum", "format", "title"})


def _quick_yes(schema: Any) -> Callable[[Any], bool] | None:
    """For a schema of plain keywords only, a check that says yes only where ``jsonschema`` would (each keyword
    as it reads it: ``pattern`` searched, lengths in code points, bounds inclusive, ``format`` not asserted); a
    no is left to the full walk, which words the errors.  Every request's path carries its parameters: the
    walk took about 30 µs each, a deferral's three about a tenth of a millisecond of a burst's acks."""
    if not isinstance(schema, dict) or not set(schema) <= PLAIN_KEYWORDS or schema.get("type") not in KINDS:
        return None
    kind, pattern = KINDS[schema["type"]], re.compile(schema["pattern"]) if "pattern" in schema else None
    low, high = schema.get("minimum"), schema.get("maximum")
    shortest, longest = schema.get("minLength", 0), schema.get("maxLength")

    def lawful(value: Any) -> bool:
        if type(value) not in kind:
            return False
        if isinstance(value, str):
            return (
                shortest <= len(value)
                and (longest is None or len(value) <= longest)
                and (pattern is None or pattern.search(value) is not None)
            )
        return isinstance(value, bool) or ((low is None or value >= low) and (high is None or value <= high))

    return lawful


KINDS: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}


@functools.cache
def _parameters(op: Operation) -> dict[tuple[str, str], _Parameter]:
    """The operation's parameters by (where, name): the path item's, then the operation's own (which win)."""
    with _lock:
        item = spec()["paths"][op.template]
        found: dict[tuple[str, str], _Parameter] = {}
        levels = ((op.pointer.rsplit("/", 1)[0], item), (op.pointer, item[op.method]))
        for pointer, level in levels:
            for index, param in enumerate(level.get("parameters", [])):
                law = _validator(f"{pointer}/parameters/{index}/schema", False)
                required, plain = bool(param.get("required")), _resolved(param.get("schema"))
                found[(str(param["in"]), str(param["name"]))] = _Parameter(
                    required, _kind(plain), law, _quick_yes(plain)
                )
        return found


def _read(name: str, text: str, kind: str) -> tuple[Any, Problem | None]:
    """A parameter's text as the value its schema types (or the problem Discord would name)."""
    if kind == "boolean":
        if text in TRUE_WORDS or text in FALSE_WORDS:
            return text in TRUE_WORDS, None
        return None, Problem((name,), "BOOLEAN_TYPE_COERCE", f'Value "{text}" is not a boolean.')
    if kind in ("integer", "number"):
        if re.fullmatch(r"-?[0-9]+" if kind == "integer" else r"-?[0-9]+(\.[0-9]+)?", text):
            return (int(text) if kind == "integer" else float(text)), None
        return None, Problem((name,), "NUMBER_TYPE_COERCE", f'Value "{text}" is not {kind}.')
    return text, None


def check_parameters(method: str, path: str, query: Iterable[tuple[str, str]]) -> list[Problem]:
    """What Discord would refuse in the path's parameters and the query string's (``query``: its pairs, a
    name as often as it is given) of ``method path`` (choice 4 in the module docstring); empty when Discord has
    no such operation."""
    op = find_operation(method, path)
    if op is None:
        return []
    params = _parameters(op)
    given = [
        (("path", want[1:-1]), got)
        for want, got in zip(op.template.strip("/").split("/"), path.strip("/").split("/"), strict=True)
        if want.startswith("{")
    ]
    pairs = list(query)
    given += [(("query", name), text) for name, text in pairs]
    problems: list[Problem] = []
    for (where, name), text in given:
        param = params.get((where, name))
        if param is None:
            if where == "query":  # not a Discord code: Discord ignores what it does not define (choice 4)
                problems.append(Problem((name,), "UNKNOWN_QUERY_PARAMETER", f"{name!r} is not a parameter here"))
            continue
        if param.kind == "array":
            continue  # (not checked: the module docstring)
        value, problem = _read(name, text, param.kind)
        if problem is not None:
            problems.append(problem)
            continue
        if param.lawful is None or not param.lawful(value):
            problems += [Problem((name, *p.path), p.code, p.message) for p in _problems(param.law, value)]
    named = {name for name, _ in pairs}
    for (where, name), param in params.items():
        if where == "query" and param.required and name not in named:
            problems.append(Problem((name,), "BASE_TYPE_REQUIRED", "This field is required"))
    return problems


def check_response(method: str, path: str, status: int, body: Any | None) -> list[Problem]:
    """What in the emulator's answer (``status``, parsed JSON ``body`` or None) Discord's description says
    Discord never sends. Only 2xx answers are checked (errors are checked by the emulator's own error helpers)."""
    if not 200 <= status < 300:
        return []
    op = find_operation(method, path)
    if op is None:
        return [Problem((), "UNDOCUMENTED_OPERATION", f"Discord documents no {method} {path}")]
    key = _response_key(op, status)
    if key is None:
        return [Problem((), "UNDOCUMENTED_STATUS", f"{op.method.upper()} {op.template} never answers {status}")]
    validator = _response_validator(op, key)
    if validator is None:
        if body is not None:
            return [Problem((), "UNDOCUMENTED_BODY", f"{status} of {op.method.upper()} {op.template} has no body")]
        return []
    if body is None:
        return [Problem((), "MISSING_BODY", f"{status} of {op.method.upper()} {op.template} has a JSON body")]
    return _problems(validator, body)


def operation_name(method: str, path: str) -> str:
    """``POST /channels/{channel_id}/messages`` for a concrete request (or the request itself)."""
    op = find_operation(method, path)
    return f"{method.upper()} {op.template}" if op else f"{method.upper()} {path}"


_WS = re.compile(r"\s+")


def short(value: Any, limit: int = 300) -> str:
    """A one-line excerpt of a JSON value for a violation report."""
    text = _WS.sub(" ", json.dumps(value, default=str))
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Violation:
    """A request Discord would refuse, or an answer Discord never gives, as the emulator recorded it."""

    kind: str  # "request" (the bot sent it; answered 400 50035) or "response" (the emulator answered it)
    operation: str  # "POST /channels/{channel_id}/messages"
    path: str  # the concrete path, relative to /api/v10
    status: int  # the status answered
    problems: tuple[str, ...]
    body: str  # a one-line excerpt of the offending body

    def report(self) -> str:
        """Several lines for a test failure."""
        who = "the bot sent" if self.kind == "request" else f"the emulator answered {self.status}"
        lines = [f"{self.operation} ({self.path}): {who} what Discord's OpenAPI description refuses:"]
        lines += [f"    {p}" for p in self.problems]
        lines.append(f"    body: {self.body}")
        return "\n".join(lines)
