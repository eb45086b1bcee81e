"""Luma image-to-video through the built-in file server: the input PNG is published under an unguessable
URL the provider fetches; nothing else in the data dir can be reached."""

import socket

import httpx
from PIL import Image

from bot.app import App
from bot.delivery import FileDelivery
from bot.prompt import PromptSpec
from bot.services.generation import Requester
from storage import JobState

pytest_plugins = ["tests.emulators.fixtures"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_luma_animates_an_image_published_by_the_file_server(make_settings, emulator, tmp_path, monkeypatch):
    for name, value in emulator.env().items():
        if name.startswith("LUMAAI_"):
            monkeypatch.setenv(name, value)
    port = free_port()
    settings = make_settings(file_server_port=port, public_base_url=f"http://127.0.0.1:{port}")
    image = tmp_path / "still.png"
    Image.new("RGB", (320, 240), (10, 120, 200)).save(image)
    app = await App.create(settings)
    app.router.register(FileDelivery())
    try:
        assert "luma:ray-2" in [m.name for m in app.registry.models() if m.can("image-to-video")]
        await app.start()
        who = Requester(user_id=1, delivery={"kind": "file", "path": str(tmp_path / "out.mp4")})
        job = (await app.service.submit(who, PromptSpec.create("the sea moves", model="luma:ray-2"), image=image)).job
        job = await app.worker.wait_for(job.id, timeout=60)
        assert job.state is JobState.DONE, job.error
        url = emulator.luma.tasks[job.provider_task_id].body["keyframes"]["frame0"]["url"]
        assert url.startswith(f"http://127.0.0.1:{port}/i/")
        async with httpx.AsyncClient() as client:
            served = await client.get(url)
            assert served.status_code == 200 and served.content[:8] == b"\x89PNG\r\n\x1a\n"
            forged = url.rsplit("/", 1)[0] + "/" + "A" * 32 + ".png"
            assert (await client.get(forged)).status_code == 404
            sneaky = f"http://127.0.0.1:{port}/i/..%2Fvideobot/{'A' * 32}.png"
            assert (await client.get(sneaky)).status_code == 404
    finally:
        await app.close()


async def test_without_a_public_file_server_luma_offers_no_image_to_video(make_settings, emulator, monkeypatch):
    for name, value in emulator.env().items():
        if name.startswith("LUMAAI_"):
            monkeypatch.setenv(name, value)
    app = await App.create(make_settings())
    try:
        luma = [m for m in app.registry.models() if m.provider == "luma"]
        assert luma and not any(m.can("image-to-video") for m in luma)
    finally:
        await app.close()
