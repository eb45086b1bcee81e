"""Luma image-to-video through the built-in file server: the input PNG is published under an unguessable
URL the provider fetches; nothing else in the data dir can be reached."""

import socket

import httpx
import pytest
from PIL import Image

from bot.app import App
from bot.errors import InvalidOption
from bot.prompt import PromptSpec
from bot.services.delivery.port import FileDelivery
from bot.services.requests.generation import Requester
from storage import JobState


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


async def test_loop_and_interpolate_reach_luma(make_settings, emulator, tmp_path, monkeypatch):
    for name, value in emulator.env().items():
        if name.startswith("LUMAAI_"):
            monkeypatch.setenv(name, value)
    port = free_port()
    app = await App.create(make_settings(file_server_port=port, public_base_url=f"http://127.0.0.1:{port}"))
    app.router.register(FileDelivery())
    start, end = tmp_path / "a.png", tmp_path / "b.png"
    Image.new("RGB", (320, 240), (200, 30, 30)).save(start)
    Image.new("RGB", (320, 240), (30, 30, 200)).save(end)
    try:
        await app.start()
        who = Requester(user_id=1, delivery={"kind": "file", "path": str(tmp_path / "out.mp4")})
        looped = (await app.service.submit(who, PromptSpec.create("waves", model="luma:ray-2"), loop=True)).job
        between = (
            await app.service.submit(
                who, PromptSpec.create("red to blue", model="luma:ray-2"), image=start, end_image=end
            )
        ).job
        for job in (looped, between):
            final = await app.worker.wait_for(job.id, timeout=60)
            assert final.state is JobState.DONE, final.error
        assert emulator.luma.tasks[(await app.service.get(looped.id)).provider_task_id].body["loop"] is True
        frames = emulator.luma.tasks[(await app.service.get(between.id)).provider_task_id].body["keyframes"]
        assert frames["frame0"]["type"] == frames["frame1"]["type"] == "image"
        assert frames["frame0"]["url"] != frames["frame1"]["url"]
    finally:
        await app.close()


async def test_loop_or_end_image_on_a_model_that_cannot_is_refused_before_anything_is_stored(make_settings, tmp_path):
    app = await App.create(make_settings())
    image = tmp_path / "a.png"
    Image.new("RGB", (64, 64)).save(image)
    who = Requester(user_id=1, delivery={"kind": "file", "path": str(tmp_path / "out.mp4")})
    try:
        with pytest.raises(InvalidOption, match="can do loop"):
            await app.service.submit(who, PromptSpec.create("waves"), loop=True)
        with pytest.raises(InvalidOption, match="cannot do interpolate; try local:interpolate"):
            await app.service.submit(
                who, PromptSpec.create("waves", model="local:motion"), image=image, end_image=image
            )
        with pytest.raises(InvalidOption, match="needs a start image"):
            await app.service.submit(who, PromptSpec.create("waves"), end_image=image)
        assert await app.service.recent() == [] and not any(app.settings.inputs_dir.iterdir())
    finally:
        await app.close()
