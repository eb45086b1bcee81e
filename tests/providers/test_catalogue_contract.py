"""The catalogue's contract with the real services: every request the bot can send is one they accept.

For every cloud entry of the catalogue, every capability it claims, every duration and aspect it allows, with and
without each optional input (prompt, negative prompt, seed, a prompt at the model's length limit), the request is
built by the provider module itself (through the real SDK, over loopback) and held to that model's published
schema: the emulators check every create against ``emulators.providers.law`` (the SDKs' generated param types for
Runway and Luma, the vendored schemas for Replicate and fal), and this test checks the recorded body against the
law once more, so an emulator that forgot to look would not hide a mismatch.  A request the bot refuses up front
(``ModelInfo.validate``) never reaches a provider and is not sent.

A new catalogue entry is covered without writing a test; the last tests show the contract catching a made-up
field, a missing required field and an out-of-range value.  The bundled ComfyUI templates (``comfyui:*``, not in
the catalogue: a model there is a workflow) are held to the emulated ComfyUI's own ``/object_info`` the same way.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.errors import InvalidOption, InvalidPrompt, ProviderRejected
from bot.providers._comfy_workflows import TEMPLATE_NAMES, TEMPLATES_DIR, load_workflows
from bot.providers.base import SOUND_OP, TEXT_SOUND_OP, Capability, GenerationRequest, ModelInfo, Reference, TaskState
from bot.providers.catalogue import CATALOGUE, CatalogueModel
from bot.providers.comfyui import ComfyUIProvider
from bot.providers.fal import FalProvider
from bot.providers.luma import LumaProvider
from bot.providers.replicate import ReplicateProvider
from bot.providers.runway import RunwayProvider
from emulators.comfyui.validate import validate_prompt
from emulators.providers import law
from tests.support.video import make_mp4, make_voice

CLOUD = sorted(name for name, entry in CATALOGUE.items() if entry.provider != "local")
OPTIONS = {"timeout": 5.0, "create_timeout": 5.0, "poll_deadline": 5.0}


async def _publish(path: Path) -> str:
    """Stands in for the bot's file server (Luma fetches keyframe images by https URL)."""
    return f"https://videobot.example/media/{path.name}"


def _provider(server: Any, entry: CatalogueModel) -> Any:
    """The entry's provider module, pointed at the emulator and offering just this entry."""
    models = [entry]
    match entry.provider:
        case "runway":
            return RunwayProvider(server.runway.api_key, server.runway_url, models=models, **OPTIONS)
        case "luma":
            return LumaProvider(server.luma.api_key, server.luma_url, publish_image=_publish, models=models, **OPTIONS)
        case "replicate":
            return ReplicateProvider(server.replicate.api_key, server.replicate_url, models=models, **OPTIONS)
        case "fal":
            return FalProvider(server.fal.api_key, server.fal_url, models=models, timeout=5.0, create_timeout=5.0)
    raise AssertionError(f"no provider for {entry.name}")


@dataclasses.dataclass(frozen=True)
class Media:
    image: Path
    end_image: Path
    video: Path
    voice: Path


def _shapes(entry: CatalogueModel, media: Media) -> Iterator[tuple[str, dict[str, Any]]]:
    """One request shape per capability the entry claims (the inputs that capability is made of)."""
    caps = entry.capabilities
    for cap in sorted(caps):
        match cap:
            case Capability.TEXT_TO_VIDEO:
                yield cap.value, {}
            case Capability.IMAGE_TO_VIDEO:
                yield cap.value, {"image": media.image}
            case Capability.VIDEO_TO_VIDEO:
                yield cap.value, {"video": media.video}
            case Capability.INTERPOLATE:
                yield cap.value, {"image": media.image, "end_image": media.end_image}
            case Capability.LOOP:
                from_text = Capability.TEXT_TO_VIDEO in caps
                yield cap.value, {"loop": True} if from_text else {"loop": True, "image": media.image}
            case Capability.EXTEND:
                yield cap.value, {"extend_task_id": "EXTEND"}  # filled in with a finished task of the provider
            case Capability.REFERENCES:  # a cast of two, one with a voice sample; beside a frame where needed
                cast = (
                    Reference("Mara", (media.image, media.end_image), media.voice),
                    Reference("Teo", (media.image,)),
                )
                frame = {"image": media.image} if entry.references and entry.references.need_image else {}
                yield cap.value, {"references": cast, **frame}
            case Capability.SOUND:  # sound with the picture, asked of a model from text (else from an image)
                from_text = Capability.TEXT_TO_VIDEO in caps
                yield cap.value, {"audio": True} if from_text else {"audio": True, "image": media.image}
            case Capability.VIDEO_TO_AUDIO:  # a track for a finished clip of a length the whole seconds don't say
                yield cap.value, {"video": media.video, "extra": {"op": SOUND_OP, "seconds": "4.37"}}
            case Capability.TEXT_TO_AUDIO:
                yield cap.value, {"video": media.video, "extra": {"op": TEXT_SOUND_OP}}
                yield f"{cap.value} loop", {"video": media.video, "loop": True, "extra": {"op": TEXT_SOUND_OP}}


def _optionals(entry: CatalogueModel) -> list[tuple[str, dict[str, Any]]]:
    """Without any optional input, with each alone, and with all of them."""
    info = entry.info()
    longest = "a" * info.max_prompt_chars
    seed = 42 if getattr(info, "max_seed", None) is None else info.max_seed  # the highest seed the bot lets through
    each = [
        ("prompt", {"prompt": "a red fox runs through fresh snow"}),
        ("long prompt", {"prompt": longest}),
        ("short prompt", {"prompt": "a" * info.min_prompt_chars}),
        ("negative", {"negative_prompt": "blurry, low quality"}),
        ("seed", {"seed": seed}),
    ]
    together = {"prompt": "a red fox runs through fresh snow", "negative_prompt": "blurry", "seed": seed}
    return [("bare", {}), *each, ("all", together)]


def requests_for(entry: CatalogueModel, media: Media) -> Iterator[tuple[str, GenerationRequest]]:
    """Every request the bot could send to this entry (those ``validate`` lets through)."""
    info = entry.info()
    for shape, inputs in _shapes(entry, media):
        has_media = any(k in inputs for k in ("image", "video", "extend_task_id", "references"))
        for duration in info.durations:
            for aspect in info.aspects_for(has_media=has_media):
                for label, optional in _optionals(entry):
                    values: dict[str, Any] = {"prompt": ""} | optional | inputs
                    request = GenerationRequest(job_id=1, model=entry.name, duration=duration, aspect=aspect, **values)
                    try:
                        info.validate(request)
                    except (InvalidOption, InvalidPrompt):
                        continue  # refused up front: never sent
                    yield f"{shape} {duration}s {aspect} {label}", request


def _api_endpoint(entry: CatalogueModel, body_endpoint: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The law's (endpoint, body) for a recorded create."""
    match entry.provider:
        case "replicate":
            return entry.model_id, body["input"]
        case "luma":
            return "generations", body
    return body_endpoint, body


async def contract_violations(server: Any, entry: CatalogueModel, media: Media) -> list[str]:
    """Every request of ``entry`` that its provider's service would refuse, as "case: reason" lines."""
    provider = _provider(server, entry)
    api = getattr(server, entry.provider)
    problems: list[str] = []
    extend_id: str | None = None
    try:
        for case, request in requests_for(entry, media):
            before = set(api.tasks)
            try:
                if request.extend_task_id:
                    extend_id = extend_id or await _finished_task(provider, entry, media)
                    request = dataclasses.replace(request, extend_task_id=extend_id)
                    before = set(api.tasks)
                await provider.submit(request)
            except Exception as exc:  # the refusal the service would answer
                problems.append(f"{entry.name} {case}: refused: {getattr(exc, 'detail', None) or exc}")
                continue
            (new,) = set(api.tasks) - before
            task = api.tasks[new]
            endpoint, body = _api_endpoint(entry, task.endpoint, task.body)
            problems += [f"{entry.name} {case}: {v}" for v in law.check(entry.provider, endpoint, body)]
    finally:
        await provider.aclose()
    return problems


async def _finished_task(provider: Any, entry: CatalogueModel, media: Media) -> str:
    """A finished task of the provider to extend (made from text, or from the image where text is not offered)."""
    info = entry.info()
    start = {} if Capability.TEXT_TO_VIDEO in entry.capabilities else {"image": media.image}
    request = GenerationRequest(
        job_id=1, model=entry.name, prompt="a lighthouse", duration=info.durations[0], aspect=info.aspects[0], **start
    )
    task_id: str = await provider.submit(request)
    for _ in range(40):
        if (await provider.poll(task_id)).state is TaskState.SUCCEEDED:
            return task_id
    raise AssertionError("the task to extend never finished")


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    from PIL import Image

    folder = tmp_path_factory.mktemp("contract")
    image, end = folder / "first.png", folder / "last.png"
    Image.new("RGB", (640, 360), (200, 120, 40)).save(image)
    Image.new("RGB", (640, 360), (40, 120, 200)).save(end)
    voice = make_voice(folder / "voice.wav")
    return Media(image, end, make_mp4(folder / "source.mp4", seconds=2.0, size="640x360"), voice)


# Runway's entries make hundreds of requests each (nine durations, six aspects): in CI, not the quick loop
ENTRIES = [pytest.param(n, marks=pytest.mark.slow) if n.startswith("runway:") else n for n in CLOUD]


@pytest.mark.parametrize("name", ENTRIES)
async def test_every_request_of_the_catalogue_is_one_its_service_accepts(
    name: str, fal_emulator: Any, media: Media
) -> None:
    entry = CATALOGUE[name]
    cases = list(requests_for(entry, media))
    assert cases, f"{name}: no request could be sent at all"
    problems = await contract_violations(fal_emulator, entry, media)
    assert not problems, "\n".join(problems[:20])


# --- the contract catches mistakes --------------------------------------------------------------------------------


def _broken(name: str, **changes: Any) -> CatalogueModel:
    return dataclasses.replace(CATALOGUE[name], **changes)


@pytest.mark.parametrize(
    ("name", "mistake"),
    [
        ("runway:gen4.5", {"fixed": {"motionStrength": 3}}),
        ("luma:ray-2", {"fixed": {"motion_strength": 3}}),
        ("replicate:wan-2.2-i2v", {"fixed": {"motion_strength": 3}}),
        ("fal:hailuo-02", {"fixed": {"motion_strength": 3}}),
    ],
    ids=["runway", "luma", "replicate", "fal"],
)
async def test_a_made_up_field_breaks_the_contract(name: str, mistake: dict[str, Any], fal_emulator: Any, media: Media):
    problems = await contract_violations(fal_emulator, _broken(name, **mistake), media)
    assert problems and all("motion" in p.lower() for p in problems), problems[:3]


async def test_a_missing_required_field_breaks_the_contract(fal_emulator: Any, media: Media) -> None:
    # Runway's text_to_video requires promptText: an entry that forgets where the prompt goes never sends it
    entry = CATALOGUE["runway:gen4.5"]
    text_only = frozenset({Capability.TEXT_TO_VIDEO})
    broken = dataclasses.replace(entry, capabilities=text_only, fields={"seed": "seed"}, durations={5: {"duration": 5}})
    problems = await contract_violations(fal_emulator, broken, media)
    assert problems and all("promptText" in p for p in problems), problems[:3]


async def test_an_out_of_range_value_breaks_the_contract(fal_emulator: Any, media: Media) -> None:
    # Kling 2.1 on Replicate makes 5 or 10 s: a duration of 7 is outside its schema's enum
    entry = CATALOGUE["replicate:kling-v2.1"]
    broken = dataclasses.replace(entry, durations={7: {"duration": 7}})
    problems = await contract_violations(fal_emulator, broken, media)
    assert problems and all("duration" in p for p in problems), problems[:3]


# --- your own GPU: the bundled ComfyUI templates, held to the server's own /object_info ------------------------------


def _comfy_requests(info: ModelInfo, media: Media) -> Iterator[GenerationRequest]:
    """Every request shape the bot could send to a ComfyUI template (those ``validate`` lets through)."""
    longest = "a" * info.max_prompt_chars
    optionals = [{}, {"prompt": longest}, {"negative_prompt": "blurry"}, {"seed": info.seed_max or 0}]
    shapes = [({}, Capability.TEXT_TO_VIDEO), ({"image": media.image}, Capability.IMAGE_TO_VIDEO)]
    for inputs, capability in shapes:
        if not info.can(capability):
            continue
        for duration in info.durations:
            for aspect in info.aspects_for(has_media=bool(inputs)):
                for optional in optionals:
                    values: dict[str, Any] = {"prompt": "a red fox runs through fresh snow"} | optional | inputs
                    request = GenerationRequest(job_id=0, model=info.name, duration=duration, aspect=aspect, **values)
                    info.validate(request)
                    yield request


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
async def test_every_request_to_a_comfyui_template_passes_the_servers_validation(
    name: str, comfyui_emulator: Any, media: Media, tmp_path: Path
) -> None:
    emu = comfyui_emulator
    emu.hold_queue = asyncio.Event()  # checked and queued as ComfyUI does, never executed
    provider = ComfyUIProvider([emu.url], load_workflows(None), tmp_path / "work")
    try:
        requests = list(_comfy_requests(provider.workflow(name).info, media))
        for job_id, request in enumerate(requests, start=1):
            await provider.submit(dataclasses.replace(request, job_id=job_id))  # a 400 would raise
    finally:
        await provider.aclose()
    assert len(emu.posted) == len(requests) > 20
    catalog = emu.catalog()
    for body in emu.posted:
        assert validate_prompt(body["prompt"], catalog)[3] == {}  # no node left out with node_errors


async def test_a_template_naming_a_missing_input_breaks_the_contract(comfyui_emulator: Any, tmp_path: Path) -> None:
    folder = tmp_path / "workflows"
    folder.mkdir()
    graph = json.loads((TEMPLATES_DIR / "ltx-video.json").read_text())
    graph["70"]["inputs"]["frames"] = graph["70"]["inputs"].pop("length")  # a made-up input name
    (folder / "ltx-video.json").write_text(json.dumps(graph))
    sidecar = json.loads((TEMPLATES_DIR / "ltx-video.sidecar.json").read_text())
    sidecar["roles"]["frames"] = {"node": "70", "input": "frames"}
    (folder / "ltx-video.sidecar.json").write_text(json.dumps(sidecar))
    shutil.copy(TEMPLATES_DIR / "ltx-video-i2v.json", folder)
    provider = ComfyUIProvider([comfyui_emulator.url], load_workflows(folder), tmp_path / "work")
    try:
        with pytest.raises(ProviderRejected) as refused:
            await provider.submit(
                GenerationRequest(job_id=1, model="comfyui:ltx-video", prompt="x", duration=2, aspect="16:9")
            )
    finally:
        await provider.aclose()
    assert "length" in refused.value.detail and comfyui_emulator.executions == []
