"""Workflows as models: the sidecar format, what a request writes into the graph, and the mistakes an owner's
sidecar can make (each refused at start, naming the file)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.providers._comfy_workflows import TEMPLATES_DIR, load_workflows
from bot.providers.base import Capability, GenerationRequest


def test_the_templates_are_models_with_their_sidecars_limits():
    workflows = load_workflows(None)
    assert sorted(workflows) == ["comfyui:ltx-video", "comfyui:wan2.2-ti2v"]
    wan = workflows["comfyui:wan2.2-ti2v"]
    assert wan.info.capabilities == frozenset({Capability.TEXT_TO_VIDEO, Capability.IMAGE_TO_VIDEO})
    assert wan.info.durations == (2, 3, 4, 5) and wan.info.aspects == ("16:9", "9:16", "1:1")
    assert [wan.frames(s) for s in (2, 5)] == [49, 121]  # Wan: 4n + 1 at 24 fps
    assert workflows["comfyui:ltx-video"].frames(4) == 97  # LTX-Video: 8n + 1


def test_a_request_writes_its_roles_and_drops_an_absent_image():
    wan = load_workflows(None)["comfyui:wan2.2-ti2v"]
    request = GenerationRequest(job_id=1, model=wan.name, prompt="a fox", duration=3, aspect="1:1", seed=9)
    graph = wan.build(request, seed=1, uploads={})
    assert graph["3"]["inputs"]["seed"] == 9 and graph["6"]["inputs"]["text"] == "a fox"
    inputs = graph["55"]["inputs"]
    assert (inputs["width"], inputs["height"], inputs["length"]) == (960, 960, 73)
    assert "56" not in graph and "start_image" not in graph["55"]["inputs"]
    assert graph["7"]["inputs"]["text"].startswith("blurry")  # no negative prompt: the workflow's own stays
    with_image = wan.build(request, seed=1, uploads={"image": "videobot-x-image.png"})
    assert with_image["56"]["inputs"]["image"] == "videobot-x-image.png"
    assert with_image["55"]["inputs"]["start_image"] == ["56", 0]
    no_seed = wan.build(
        GenerationRequest(job_id=1, model=wan.name, prompt="a", duration=2, aspect="16:9"), seed=77, uploads={}
    )
    assert no_seed["3"]["inputs"]["seed"] == 77


def copy_template(folder: Path, name: str = "wan2.2-ti2v") -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(TEMPLATES_DIR / f"{name}.json", folder)
    return json.loads((TEMPLATES_DIR / f"{name}.sidecar.json").read_text())


def test_an_owners_workflow_replaces_the_template_of_its_name_and_adds_its_own(tmp_path):
    sidecar = copy_template(tmp_path)
    sidecar["durations"] = [5]
    (tmp_path / "wan2.2-ti2v.sidecar.json").write_text(json.dumps(sidecar))
    (tmp_path / "mine.sidecar.json").write_text(json.dumps(sidecar))
    workflows = load_workflows(tmp_path)
    assert workflows["comfyui:wan2.2-ti2v"].info.durations == (5,) and "comfyui:mine" in workflows
    assert "comfyui:ltx-video" in workflows


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"roles": {"prompt": {"node": "999", "input": "text"}}}, "names node 999"),
        ({"roles": {"speed": {"node": "3", "input": "cfg"}}}, "unknown role 'speed'"),
        ({"capabilities": ["mind-reading"]}, "needs capabilities"),
        ({"sizes": {}}, "must not be empty"),
        ({"workflow": "missing.json"}, "its workflow file missing.json is not there"),
    ],
)
def test_a_broken_sidecar_is_refused_naming_the_file(tmp_path, change, words):
    sidecar = copy_template(tmp_path) | change
    (tmp_path / "wan2.2-ti2v.sidecar.json").write_text(json.dumps(sidecar))
    with pytest.raises(ConfigError) as err:
        load_workflows(tmp_path)
    assert words in err.value.user_message and "wan2.2-ti2v" in err.value.user_message


def test_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="VIDEOBOT_COMFYUI_WORKFLOWS"):
        load_workflows(tmp_path / "nowhere")
