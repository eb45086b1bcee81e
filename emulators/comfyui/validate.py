"""``POST /prompt``'s check, after upstream ``execution.validate_prompt`` / ``validate_inputs``.

Returns ``(ok, error, outputs_to_execute, node_errors)`` as upstream does: a prompt with an unknown node class
or no output node is refused outright (``missing_node_type``, ``prompt_no_outputs``); each output node's inputs
(and those of the nodes it depends on) are checked against ``/object_info`` — required inputs present, links to
an existing node's output of the right type, numbers within min/max, combo values in their list.  When some
outputs pass, the prompt is queued with ``node_errors`` naming the failing ones (a ``200`` that still carries
errors); when none pass it is refused with ``prompt_outputs_failed_validation``.
"""

from __future__ import annotations

from typing import Any

Error = dict[str, Any]


def _error(kind: str, message: str, details: str = "", **extra: Any) -> Error:
    return {"type": kind, "message": message, "details": details, "extra_info": extra}


def _spec(info: dict[str, Any], name: str) -> tuple[list[Any] | None, bool]:
    """(the input's spec, whether it is required)."""
    required = info["input"].get("required", {})
    if name in required:
        return required[name], True
    optional = info["input"].get("optional", {})
    return optional.get(name), False


def _check_value(name: str, value: Any, spec: list[Any]) -> Error | None:
    kind, options = spec[0], (spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {})
    if isinstance(kind, list) or kind == "COMBO":
        allowed = kind if isinstance(kind, list) else options.get("options", [])
        if value not in allowed:
            shown = allowed if len(allowed) < 20 else f"{allowed[:20]}..."
            return _error(
                "value_not_in_list",
                "Value not in list",
                f"{name}: '{value}' not in {shown}",
                input_name=name,
                input_config=spec,
                received_value=value,
            )
        return None
    if kind in ("INT", "FLOAT"):
        try:
            number = int(value) if kind == "INT" else float(value)
        except (TypeError, ValueError):
            return _error(
                "invalid_input_type",
                f"Failed to convert an input value to a {kind} value",
                f"{name}, {value}",
                input_name=name,
                received_value=value,
            )
        if "min" in options and number < options["min"]:
            return _error(
                "value_smaller_than_min",
                f"Value {number} smaller than min of {options['min']}",
                name,
                input_name=name,
                received_value=value,
            )
        if "max" in options and number > options["max"]:
            return _error(
                "value_bigger_than_max",
                f"Value {number} bigger than max of {options['max']}",
                name,
                input_name=name,
                received_value=value,
            )
    if kind == "STRING" and not isinstance(value, str):
        return _error(
            "invalid_input_type",
            "Failed to convert an input value to a STRING value",
            f"{name}, {value}",
            input_name=name,
            received_value=value,
        )
    return None


def _validate_node(
    prompt: dict[str, Any], node_id: str, catalog: dict[str, Any], seen: dict[str, list[Error]]
) -> list[Error]:
    """The errors of one node and (recursively) of those it links to; cached in ``seen``."""
    if node_id in seen:
        return seen[node_id]
    seen[node_id] = []
    node = prompt[node_id]
    info = catalog[node["class_type"]]
    inputs = node.get("inputs", {}) if isinstance(node.get("inputs"), dict) else {}
    errors: list[Error] = []
    for name in info["input"].get("required", {}):
        if name not in inputs:
            errors.append(_error("required_input_missing", "Required input is missing", name, input_name=name))
    for name, value in inputs.items():
        spec, _required = _spec(info, name)
        if spec is None:
            continue  # upstream ignores inputs the node does not declare
        if isinstance(value, list):
            if len(value) != 2 or str(value[0]) not in prompt:
                errors.append(
                    _error(
                        "bad_linked_input",
                        "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                        name,
                        input_name=name,
                        received_value=value,
                    )
                )
                continue
            source = prompt[str(value[0])]
            source_info = catalog.get(source.get("class_type"))
            outputs = source_info["output"] if source_info else []
            slot = value[1]
            if not isinstance(slot, int) or not 0 <= slot < len(outputs) or outputs[slot] != spec[0]:
                received = outputs[slot] if isinstance(slot, int) and 0 <= slot < len(outputs) else None
                errors.append(
                    _error(
                        "return_type_mismatch",
                        "Return type mismatch between linked nodes",
                        f"{name}, received_type({received}) mismatch input_type({spec[0]})",
                        input_name=name,
                        linked_node=value,
                    )
                )
                continue
            if _validate_node(prompt, str(value[0]), catalog, seen):
                errors.append(
                    _error(
                        "exception_during_inner_validation",
                        "Exception when validating inner node",
                        name,
                        input_name=name,
                        linked_node=value,
                    )
                )
            continue
        problem = _check_value(name, value, spec)
        if problem is not None:
            errors.append(problem)
    seen[node_id] = errors
    return errors


def validate_prompt(prompt: Any, catalog: dict[str, Any]) -> tuple[bool, Error | None, list[str], dict[str, Any]]:
    """Upstream's ``(valid, error, outputs_to_execute, node_errors)``."""
    if not isinstance(prompt, dict):
        return False, _error("invalid_prompt", "Invalid prompt: the prompt must be an object"), [], {}
    outputs: list[str] = []
    for node_id, node in prompt.items():
        if not isinstance(node, dict) or "class_type" not in node:
            message = "Cannot execute because a node is missing the class_type property."
            return False, _error("invalid_prompt", message, f"Node ID '#{node_id}'"), [], {}
        class_type = node["class_type"]
        if class_type not in catalog:
            message = f"Node '{class_type}' not found. The custom node may not be installed."
            error = _error(
                "missing_node_type", message, f"Node ID '#{node_id}'", node_id=node_id, class_type=class_type
            )
            return False, error, [], {}
        if catalog[class_type].get("output_node"):
            outputs.append(node_id)
    if not outputs:
        return False, _error("prompt_no_outputs", "Prompt has no outputs"), [], {}
    seen: dict[str, list[Error]] = {}
    good: list[str] = []
    node_errors: dict[str, Any] = {}
    for output in outputs:
        _validate_node(prompt, output, catalog, seen)
        failing = {nid: errs for nid, errs in seen.items() if errs and _depends(prompt, output, nid)}
        if not failing:
            good.append(output)
        for nid, errs in failing.items():
            entry = node_errors.setdefault(
                nid, {"errors": errs, "dependent_outputs": [], "class_type": prompt[nid]["class_type"]}
            )
            entry["dependent_outputs"].append(output)
    if not good:
        lines = "\n".join(f"{e['message']}: {e['details']}" for v in node_errors.values() for e in v["errors"])
        return (
            False,
            _error("prompt_outputs_failed_validation", "Prompt outputs failed validation", lines),
            [],
            node_errors,
        )
    return True, None, good, node_errors


def _depends(prompt: dict[str, Any], output: str, node_id: str) -> bool:
    """Whether ``output`` is ``node_id`` or reaches it through links."""
    stack, seen = [output], set()
    while stack:
        current = stack.pop()
        if current == node_id:
            return True
        if current in seen or current not in prompt:
            continue
        seen.add(current)
        for value in prompt[current].get("inputs", {}).values():
            if isinstance(value, list) and len(value) == 2:
                stack.append(str(value[0]))
    return False
