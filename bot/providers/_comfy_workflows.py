"""ComfyUI workflows as models: an API-format workflow JSON plus a small sidecar that says what it can do.

A sidecar is ``<name>.sidecar.json`` in ``VIDEOBOT_COMFYUI_WORKFLOWS`` (the bundled templates ``wan2.2-ti2v`` and
``ltx-video`` live in ``bot/providers/workflows/``; a sidecar of the same name in the owner's folder replaces
one).  The model is ``comfyui:<name>``.  Fields::

    description      one line for `videobot models`
    workflow         the API-format JSON (ComfyUI: Workflow → Export (API)), relative to the sidecar
    capabilities     ["text-to-video", "image-to-video", ...] (Capability values)
    durations        whole seconds it makes
    fps, frame_step  frames = round(seconds × fps / frame_step) × frame_step + 1 (Wan: 4, LTX-Video: 8)
    sizes            {"16:9": [width, height], ...}: the aspects it makes
    roles            our role → {"node": id, "input": name} (or a list of them): prompt, negative_prompt,
                     seed, width, height, frames, fps, image, end_image, video
    image_workflow   optional: another workflow for image-started requests, with its own ``image_roles``
    deadline_seconds optional: how long a job may take (default 3600)

A role left unset in a request (no image, no negative prompt) keeps the workflow's own value, except a media
role (image, end image, video): its node is removed with every link to it, so one workflow can serve text and
image to video when its ``LoadImage`` feeds an optional input (Wan 2.2's ``start_image``).
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.providers.base import Capability, GenerationRequest, ModelInfo

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).with_name("workflows")
TEMPLATE_NAMES = ("comfyui:wan2.2-ti2v", "comfyui:ltx-video")
ROLES = ("prompt", "negative_prompt", "seed", "width", "height", "frames", "fps", "image", "end_image", "video")
MEDIA_ROLES = ("image", "end_image", "video")
COMFY_MAX_SEED = 2**32 - 1  # ComfyUI takes 64-bit seeds; we stay within what every sampler node accepts
_ALL_ASPECTS = ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9")
# model-file inputs of the common loader nodes → the /object_info input that lists the files
MODEL_INPUTS = {
    "UNETLoader": "unet_name",
    "CLIPLoader": "clip_name",
    "DualCLIPLoader": "clip_name1",
    "VAELoader": "vae_name",
    "CheckpointLoaderSimple": "ckpt_name",
    "LoraLoader": "lora_name",
    "LoraLoaderModelOnly": "lora_name",
}


@dataclass(frozen=True)
class Binding:
    """One node input a role is written to."""

    node: str
    input: str


@dataclass(frozen=True)
class Variant:
    """One workflow and where each role goes in it."""

    graph: Mapping[str, Any]
    roles: Mapping[str, tuple[Binding, ...]]
    source: str  # the file it was read from (for messages)


@dataclass(frozen=True)
class Workflow:
    """A ``comfyui:<name>`` model."""

    name: str
    info: ModelInfo
    text: Variant
    image: Variant | None
    fps: int
    frame_step: int
    sizes: Mapping[str, tuple[int, int]]
    sidecar: Path

    def variants(self) -> tuple[Variant, ...]:
        """Every workflow file of this model."""
        return (self.text,) if self.image is None else (self.text, self.image)

    def variant(self, *, has_image: bool) -> Variant:
        """The workflow a request uses."""
        return self.image if has_image and self.image is not None else self.text

    def frames(self, seconds: int) -> int:
        """The frame count for a clip of ``seconds`` (a multiple of ``frame_step``, plus one)."""
        steps = max(1, round(seconds * self.fps / self.frame_step))
        return steps * self.frame_step + 1

    def build(self, request: GenerationRequest, *, seed: int, uploads: Mapping[str, str]) -> dict[str, Any]:
        """The API-format prompt for ``request``: roles written in, absent media nodes removed.  ``uploads``
        maps media roles to the names ComfyUI gave the uploaded files."""
        variant = self.variant(has_image=request.image is not None)
        graph: dict[str, Any] = copy.deepcopy(dict(variant.graph))
        width, height = self.sizes[request.aspect]
        values: dict[str, Any] = {
            "prompt": request.prompt or None,
            "negative_prompt": request.negative_prompt or None,
            "seed": request.seed if request.seed is not None else seed,
            "width": width,
            "height": height,
            "frames": self.frames(request.duration),
            "fps": self.fps,
            **{role: uploads.get(role) for role in MEDIA_ROLES},
        }
        for role, bindings in variant.roles.items():
            value = values.get(role)
            for binding in bindings:
                if value is None and role in MEDIA_ROLES:
                    _remove_node(graph, binding.node)
                elif value is not None and binding.node in graph:
                    graph[binding.node].setdefault("inputs", {})[binding.input] = value
        return graph


def _remove_node(graph: dict[str, Any], node_id: str) -> None:
    """Drop a node and every input linked to it."""
    graph.pop(node_id, None)
    for node in graph.values():
        inputs = node.get("inputs", {})
        for name in [n for n, v in inputs.items() if isinstance(v, list) and len(v) == 2 and str(v[0]) == node_id]:
            del inputs[name]


def _bindings(raw: Any, where: str) -> dict[str, tuple[Binding, ...]]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: 'roles' must be an object of role → {{node, input}}.")
    roles: dict[str, tuple[Binding, ...]] = {}
    for role, spec in raw.items():
        if role not in ROLES:
            raise ConfigError(f"{where}: unknown role {role!r}; roles are {', '.join(ROLES)}.")
        items = spec if isinstance(spec, list) else [spec]
        try:
            roles[role] = tuple(Binding(str(item["node"]), str(item["input"])) for item in items)
        except (KeyError, TypeError):
            raise ConfigError(f'{where}: role {role!r} needs {{"node": id, "input": name}}.') from None
    return roles


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not readable JSON ({exc}).") from exc


def _variant(folder: Path, file: Any, roles: Any, where: str) -> Variant:
    path = folder / str(file)
    if not path.is_file():
        raise ConfigError(f"{where}: its workflow file {path.name} is not there (a path relative to the sidecar).")
    graph = _read_json(path)
    if not isinstance(graph, dict) or not all(isinstance(n, dict) and "class_type" in n for n in graph.values()):
        raise ConfigError(f"{path}: not an API-format workflow (export it with Workflow → Export (API)).")
    bound = _bindings(roles, where)
    for role, bindings in bound.items():
        for binding in bindings:
            if binding.node not in graph:
                raise ConfigError(f"{where}: role {role!r} names node {binding.node}, which {path.name} lacks.")
    return Variant(graph, bound, str(path))


def load_workflow(sidecar: Path) -> Workflow:
    """One model from its sidecar (ConfigError naming the file and the problem)."""
    data = _read_json(sidecar)
    where = str(sidecar)
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: a sidecar is a JSON object.")
    stem = sidecar.name.removesuffix(".sidecar.json")
    name = f"comfyui:{stem}"
    try:
        capabilities = frozenset(Capability(c) for c in data["capabilities"])
        durations = tuple(sorted(int(s) for s in data["durations"]))
        fps = int(data["fps"])
        frame_step = int(data.get("frame_step", 1))
        sizes = {str(a): (int(w), int(h)) for a, (w, h) in data["sizes"].items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: needs capabilities, durations, fps and sizes ({exc}).") from exc
    if not durations or not sizes or fps <= 0 or frame_step <= 0:
        raise ConfigError(f"{where}: durations, sizes and fps must not be empty or zero.")
    text = _variant(sidecar.parent, data.get("workflow", f"{stem}.json"), data.get("roles", {}), where)
    image = None
    if "image_workflow" in data:
        image = _variant(sidecar.parent, data["image_workflow"], data.get("image_roles", data.get("roles")), where)
    roles = set(text.roles) | (set(image.roles) if image else set())
    info = ModelInfo(
        name=name,
        capabilities=capabilities,
        durations=durations,
        aspects=tuple(a for a in _ALL_ASPECTS if a in sizes) + tuple(a for a in sizes if a not in _ALL_ASPECTS),
        description=str(data.get("description", f"ComfyUI workflow {stem}")),
        max_prompt_chars=int(data.get("max_prompt_chars", 2000)),
        deadline_seconds=float(data.get("deadline_seconds", 3600)),
        takes_prompt="prompt" in roles,
        seed_max=COMFY_MAX_SEED if "seed" in roles else None,
    )
    return Workflow(name, info, text, image, fps, frame_step, sizes, sidecar)


def load_workflows(folder: Path | None) -> dict[str, Workflow]:
    """The bundled templates, then the owner's folder (a sidecar of the same name replaces a template)."""
    found: dict[str, Workflow] = {}
    for directory in (TEMPLATES_DIR, folder):
        if directory is None:
            continue
        if not directory.is_dir():
            raise ConfigError(f"VIDEOBOT_COMFYUI_WORKFLOWS: {directory} is not a folder.")
        for sidecar in sorted(directory.glob("*.sidecar.json")):
            workflow = load_workflow(sidecar)
            found[workflow.name] = workflow
    return found


def missing_parts(workflow: Workflow, object_info: Mapping[str, Any]) -> list[str]:
    """What the server lacks to run ``workflow``, one plain sentence each (empty: it can run it)."""
    problems: list[str] = []
    for variant in workflow.variants():
        file = Path(variant.source).name
        for node_id, node in variant.graph.items():
            class_type = node.get("class_type")
            info = object_info.get(class_type)
            if info is None:
                problems.append(
                    f"{file}: node {node_id} is a {class_type}, which this ComfyUI does not have "
                    "(install the custom node that provides it, or update ComfyUI)."
                )
                continue
            declared = {**info.get("input", {}).get("required", {}), **info.get("input", {}).get("optional", {})}
            for name, value in node.get("inputs", {}).items():
                if name not in declared:
                    problems.append(f"{file}: node {node_id} ({class_type}) has no input named {name!r}.")
                    continue
                model_input = MODEL_INPUTS.get(class_type)
                if name == model_input and not isinstance(value, list):
                    spec = declared[name]
                    files = spec[0] if isinstance(spec[0], list) else spec[1].get("options", [])
                    if value not in files:
                        problems.append(
                            f"{file}: node {node_id} ({class_type}) wants the model file {value!r}, which is not "
                            "in ComfyUI's models folder (download it, or set the name your copy has in the "
                            "workflow)."
                        )
            for name in info.get("input", {}).get("required", {}):
                if name not in node.get("inputs", {}) and not _is_media_node_input(variant, node_id, name):
                    problems.append(f"{file}: node {node_id} ({class_type}) lacks the required input {name!r}.")
    return problems


def _is_media_node_input(variant: Variant, node_id: str, name: str) -> bool:
    return any(b.node == node_id and b.input == name for r in MEDIA_ROLES for b in variant.roles.get(r, ()))
