"""``videobot comfyui check`` and ``videobot generate --model comfyui:…`` as subprocesses, against the emulated
ComfyUI (also a subprocess), configured only through ``COMFYUI_URL`` and ``VIDEOBOT_COMFYUI_WORKFLOWS``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from bot.media import Media
from tests.support.cli import generate
from tests.support.comfyui import ComfyProcess

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]  # slow: the CLI and the emulator in subprocesses

TEMPLATES = Path(__file__).resolve().parent.parent / "bot" / "providers" / "workflows"


@pytest.fixture
def comfy(tmp_path):
    server = ComfyProcess(tmp_path / "comfy", "--without-model", "ltx-video-2b-v0.9.5.safetensors")
    yield server
    server.stop()


def custom_workflow(folder: Path) -> Path:
    """A workflow whose graph uses a node class this ComfyUI lacks (a custom node not installed)."""
    folder.mkdir(parents=True, exist_ok=True)
    graph = json.loads((TEMPLATES / "wan2.2-ti2v.json").read_text())
    graph["48"]["class_type"] = "WanVideoTeaCache"
    (folder / "teacache.json").write_text(json.dumps(graph))
    sidecar = json.loads((TEMPLATES / "wan2.2-ti2v.sidecar.json").read_text())
    sidecar["workflow"] = "teacache.json"
    (folder / "teacache.sidecar.json").write_text(json.dumps(sidecar))
    return folder


def test_check_names_a_missing_node_and_a_missing_model_file(comfy, tmp_path):
    folder = custom_workflow(tmp_path / "workflows")
    env = {"COMFYUI_URL": comfy.url, "VIDEOBOT_COMFYUI_WORKFLOWS": str(folder)}
    result = generate(env, tmp_path, "comfyui", "check")
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "comfyui:wan2.2-ti2v: ready" in out
    assert "comfyui:teacache: cannot run yet" in out
    assert "node 48 is a WanVideoTeaCache, which this ComfyUI does not have" in out
    assert "comfyui:ltx-video: cannot run yet" in out
    assert "wants the model file 'ltx-video-2b-v0.9.5.safetensors', which is not in ComfyUI's models folder" in out
    assert "fix the above" in out


def test_check_passes_when_everything_is_there(tmp_path):
    server = ComfyProcess(tmp_path / "comfy")
    try:
        result = generate({"COMFYUI_URL": server.url}, tmp_path, "comfyui", "check")
    finally:
        server.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "comfyui:wan2.2-ti2v: ready" in result.stdout and "comfyui:ltx-video: ready" in result.stdout
    assert "everything is in place" in result.stdout


def test_check_without_a_server(tmp_path):
    result = generate({"COMFYUI_URL": "http://127.0.0.1:9"}, tmp_path, "comfyui", "check")
    assert result.returncode == 1 and "could not read /object_info" in result.stdout
    assert generate({}, tmp_path, "comfyui", "check").returncode == 2


async def test_generate_text_to_video_on_wan(comfy, tmp_path):
    out = tmp_path / "out.mp4"
    args = ["generate", "a red fox runs through fresh snow", "--model", "comfyui:wan2.2-ti2v", "--duration", "2"]
    result = generate({"COMFYUI_URL": comfy.url}, tmp_path, *args, "--seed", "99", "-o", str(out))
    assert result.returncode == 0, result.stderr
    info = await Media().probe(out)
    assert info.codec == "h264" and (info.width, info.height) == (1280, 704) and info.duration > 1.5
    assert len(comfy.records()["completed"]) == 1


async def test_generate_image_to_video_on_ltx(tmp_path):
    server = ComfyProcess(tmp_path / "comfy")
    image = tmp_path / "start.png"
    Image.new("RGB", (320, 240), (30, 120, 200)).save(image)
    out = tmp_path / "out.mp4"
    try:
        args = ["generate", "the water ripples", "--model", "comfyui:ltx-video", "--image", str(image)]
        result = generate({"COMFYUI_URL": server.url}, tmp_path, *args, "--duration", "2", "-o", str(out))
        records = server.records()
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    info = await Media().probe(out)  # the animated WEBP, made an MP4
    assert info.codec == "h264" and (info.width, info.height) == (768, 512) and info.duration > 1.5
    uploads = list((tmp_path / "comfy" / "input").iterdir())
    assert len(uploads) == 1
    with Image.open(uploads[0]) as uploaded:  # the image reached ComfyUI's input folder (LoadImage reads it there)
        assert uploaded.size == (320, 240) and uploaded.convert("RGB").getpixel((5, 5)) == (30, 120, 200)
    assert len(records["completed"]) == 1
    shutil.rmtree(tmp_path / "comfy", ignore_errors=True)
