"""/sequence in one task: a shot list Runway's multi-shot recipe can make (3-5 shots adding up to 5, 10 or 15 s)
goes to ``POST /v1/recipes/multi_shot_video`` as one task, its body checked by the Runway emulator against the
recipe's law (the ``runwayml`` SDK's ``RecipeMultiShotVideoParams``); one that it cannot make is orchestrated."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bot.app import App
from bot.errors import InvalidOption, InvalidPrompt
from bot.media import Media
from bot.prompt import PromptSpec
from bot.providers.runway import RunwayProvider
from bot.providers.setup import build_providers
from bot.services.delivery.port import FileDelivery
from bot.services.requests.requester import Requester
from bot.services.requests.sequence import FilmOptions
from emulators.providers import EmulatorServer, VideoFactory, law
from storage import JobState
from tests.support.discord import png_bytes
from tests.support.video import audio_codec, band_level, ffmpeg_streams, stream_seconds

USER = 7


@pytest.fixture
async def runway_app(make_settings, database_url, tmp_path):
    server = await EmulatorServer(VideoFactory(tmp_path / "clips")).start()
    settings = make_settings(daily_seconds=100, database_url=database_url)
    runway = RunwayProvider(
        server.runway.api_key, server.runway_url, timeout=5.0, create_timeout=5.0, poll_deadline=5.0
    )
    app = await App.create(settings, providers=[runway, *build_providers(settings, Media())])
    app.router.register(FileDelivery())
    yield app, server
    await app.close()
    await server.stop()


def who(tmp_path: Path) -> Requester:
    return Requester(user_id=USER, delivery={"kind": "file", "path": str(tmp_path / "film.mp4")})


async def test_a_shot_list_the_recipe_takes_is_one_runway_task(runway_app, tmp_path):
    app, server = runway_app
    spec = PromptSpec.create(None, model="runway:gen4.5", style="cinematic", allow_empty_subject=True)
    shots = "a lighthouse at dawn | 2s\nwaves break on the rocks | 3s\nthe lamp turns on | 5s"
    submitted = await app.sequences.submit(who(tmp_path), spec, shots, FilmOptions(title="Lighthouse"))
    assert "in one task" in submitted.notes[0]
    film = await app.worker.wait_for(submitted.job.id, timeout=120)
    assert film.state is JobState.DONE, film.error
    assert film.model == "runway:gen4.5" and await app.storage.jobs.children(film.id) == []
    [task] = server.runway.tasks.values()
    assert task.endpoint == "recipes/multi_shot_video" and server.runway.creates["recipes/multi_shot_video"] == 1
    body = task.body
    assert law.check("runway", "recipes/multi_shot_video", body) == []  # what the emulator held it to
    assert (body["mode"], body["version"], body["duration"], body["ratio"]) == ("custom", "2026-06", 10, "1280:720")
    assert [s["duration"] for s in body["shots"]] == [2, 3, 5]
    assert body["shots"][0]["prompt"].startswith("a lighthouse at dawn") and "cinematic" in body["shots"][0]["prompt"]
    assert (await app.quota.status(USER)).used == 10
    assert Path(tmp_path / "film.mp4").exists()


async def test_the_emulator_refuses_what_the_recipe_does_not_take(runway_app):
    _, server = runway_app
    headers = {"Authorization": f"Bearer {server.runway.api_key}", "X-Runway-Version": "2024-11-06"}
    url = f"{server.runway_url}/v1/recipes/multi_shot_video"
    ok = {"mode": "custom", "version": "2026-06", "duration": 10, "ratio": "1280:720"}
    ok["shots"] = [{"prompt": "a", "duration": 2}, {"prompt": "b", "duration": 3}, {"prompt": "c", "duration": 5}]
    assert law.check("runway", "recipes/multi_shot_video", ok) == []
    refused = {
        "two shots": {**ok, "shots": ok["shots"][:2], "duration": 5},
        "six shots": {**ok, "shots": [{"prompt": "a", "duration": 1}] * 5 + [{"prompt": "b", "duration": 5}]},
        "durations that do not add up": {**ok, "duration": 15},
        "a length the recipe has no tier for": {**ok, "duration": 12},
        "no version": {k: v for k, v in ok.items() if k != "version"},
    }
    async with httpx.AsyncClient(headers=headers, timeout=10) as client:
        for name, body in refused.items():
            answer = await client.post(url, json=body)
            assert answer.status_code == 400 and answer.json()["error"], name
        assert (await client.post(url, json=ok)).status_code == 200
    assert len(server.runway.tasks) == 1  # only the lawful one made a task


async def test_a_shot_list_the_recipe_cannot_make_is_orchestrated(runway_app, tmp_path):
    app, server = runway_app
    spec = PromptSpec.create(None, model="runway:gen4.5", duration=2, allow_empty_subject=True)
    submitted = await app.sequences.submit(who(tmp_path), spec, "a kite\na kite falls", FilmOptions())  # 2 shots
    film = await app.worker.wait_for(submitted.job.id, timeout=120)
    assert film.state is JobState.DONE, film.error
    assert server.runway.creates["recipes/multi_shot_video"] == 0 and server.runway.creates["text_to_video"] == 2
    assert film.model == "local:edit" and len(await app.storage.jobs.children(film.id)) == 2


async def test_a_film_with_sound_makes_every_shot_with_sound_and_keeps_it_through_the_join(runway_app, tmp_path):
    app, server = runway_app
    spec = PromptSpec.create(None, model="runway:veo3.1", duration=4, audio=True, allow_empty_subject=True)
    shots = "a bell rings in a tower\npigeons fly off the roof"
    submitted = await app.sequences.submit(who(tmp_path), spec, shots, FilmOptions(transition="crossfade"))
    film = await app.worker.wait_for(submitted.job.id, timeout=180)
    assert film.state is JobState.DONE, film.error
    bodies = [t.body for t in server.runway.tasks.values()]
    assert len(bodies) == 2 and all(b["model"] == "veo3.1" and b["audio"] is True for b in bodies)
    info = await app.media.probe(tmp_path / "film.mp4")
    assert info.has_audio and abs(info.duration - (8 - 0.5)) < 0.3  # both shots' sound, crossfaded with them
    assert audio_codec(tmp_path / "film.mp4") == "aac"


async def test_audio_on_for_a_film_on_a_silent_model_is_refused_before_any_charge(runway_app, tmp_path):
    app, server = runway_app
    spec = PromptSpec.create(None, model="runway:gen4.5", audio=True, allow_empty_subject=True)
    with pytest.raises(InvalidOption, match="silent videos"):
        await app.sequences.submit(who(tmp_path), spec, "a kite\na kite falls", FilmOptions())
    assert not server.runway.tasks and (await app.quota.status(USER)).used == 0


async def test_a_film_with_a_cast_sends_the_photos_with_every_shot(runway_app, tmp_path):
    app, server = runway_app
    owner = Requester(user_id=USER, guild_id=5, display_name="alice", delivery=who(tmp_path).delivery)
    mara = await app.cast.add(owner, "Mara", [png_bytes((96, 64), (200, 40, 40)), png_bytes((96, 64), (40, 40, 200))])
    members = await app.cast.resolve(5, "Mara", "")
    spec = PromptSpec.create(None, model="runway:seedance2", duration=5, allow_empty_subject=True)
    shots = "Mara waves from a boat\nMara jumps into the sea"
    film = (await app.sequences.submit(owner, spec, shots, FilmOptions(cast=members))).job
    done = await app.worker.wait_for(film.id, timeout=180)
    assert done.state is JobState.DONE, done.error
    bodies = [t.body for t in server.runway.tasks.values()]
    assert len(bodies) == 2 and all(b["model"] == "seedance2" for b in bodies)
    for body in bodies:  # the photos as reference images (no position), the prompt naming them in Seedance's syntax
        assert [p.get("position") for p in body["promptImage"]] == [None, None]
        assert "@Image1" in body["promptText"] and "@Image2" in body["promptText"]
    assert all(c.inputs.cast == members for c in await app.storage.jobs.children(done.id))
    assert members[0].id == mara.id


async def test_a_cast_on_a_model_without_references_is_refused_before_any_charge(runway_app, tmp_path):
    app, server = runway_app
    owner = Requester(user_id=USER, guild_id=5, display_name="alice", delivery=who(tmp_path).delivery)
    await app.cast.add(owner, "Mara", [png_bytes((96, 64), (200, 40, 40))])
    members = await app.cast.resolve(5, "Mara", "")
    spec = PromptSpec.create(None, model="runway:gen4.5", allow_empty_subject=True)
    with pytest.raises(InvalidOption, match=r"runway:gen4.5 cannot do references; try .*runway:seedance2"):
        await app.sequences.submit(owner, spec, "a kite\na kite falls", FilmOptions(cast=members))
    assert not server.runway.tasks and (await app.quota.status(USER, 5)).used == 0


# --- sound: one soundtrack over the whole film ----------------------------------------------------------------------


async def test_sound_makes_one_soundtrack_as_long_as_the_film(runway_app, tmp_path):
    app, server = runway_app
    spec = PromptSpec.create(None, model="runway:gen4.5", duration=2, allow_empty_subject=True)
    shots = "a lighthouse at dawn\nwaves break on the rocks\nthe lamp turns on"  # fits the recipe, but: sound
    options = FilmOptions(transition="crossfade", sound="a slow piano theme, distant rain")
    submitted = await app.sequences.submit(who(tmp_path), spec, shots, options)
    assert "one soundtrack over the whole film on runway:eleven-sfx" in submitted.notes[0]
    [track] = [j for j in await app.storage.jobs.children(submitted.job.id) if j.kind == "filmsound"]
    quote = await app.storage.costs.job_cost(track.id)  # the soundtrack's price is reserved with the film
    assert quote is not None and quote["state"] == "reserved" and quote["model"] == "runway:eleven-sfx"
    assert quote["reserved_usd"] > 0

    film = await app.worker.wait_for(submitted.job.id, timeout=180)
    assert film.state is JobState.DONE, film.error
    assert server.runway.creates["recipes/multi_shot_video"] == 0 and server.runway.creates["text_to_video"] == 3
    [task] = [t for t in server.runway.tasks.values() if t.endpoint == "sound_effect"]
    assert server.runway.creates["sound_effect"] == 1
    assert law.check("runway", "sound_effect", task.body) == []  # what the emulator held it to
    assert task.body["model"] == "eleven_text_to_sound_v2"
    assert task.body["promptText"] == "a slow piano theme, distant rain"
    made = tmp_path / "film.mp4"
    picture = stream_seconds(made, "v")
    assert abs(picture - (6 - 2 * 0.5)) < 0.3 and abs(task.body["duration"] - picture) < 0.1  # as long as the film
    assert ffmpeg_streams(made) == ["video", "audio"] and audio_codec(made) == "aac"  # one track, AAC
    assert abs(stream_seconds(made, "a") - picture) < 0.1
    assert band_level(made, 220) > -40  # the emulator's sound effect is a 220 Hz tone: it is heard
    track = await app.storage.jobs.get(track.id)
    assert track is not None and track.state is JobState.DONE and track.parent_job_id == film.id
    assert film.inputs.audio == track.result_path and film.inputs.mix == "under"
    row = await app.storage.costs.job_cost(track.id)  # priced and in the ledger like /soundtrack
    assert row is not None and row["state"] == "settled" and row["spent_usd"] > 0
    assert (await app.quota.status(USER)).used == 6  # the shots' seconds only: sound is free of the quota
    assert {j.kind for j in await app.storage.jobs.children(film.id)} == {"shot", "filmsound"}


async def test_sound_over_shots_with_their_own_sound_is_mixed_over_it(runway_app, tmp_path):
    app, _server = runway_app
    spec = PromptSpec.create(None, model="runway:veo3.1", duration=4, audio=True, allow_empty_subject=True)
    options = FilmOptions(sound="a low drone")
    submitted = await app.sequences.submit(who(tmp_path), spec, "a bell rings\npigeons fly off", options)
    film = await app.worker.wait_for(submitted.job.id, timeout=180)
    assert film.state is JobState.DONE, film.error
    made = tmp_path / "film.mp4"
    assert ffmpeg_streams(made) == ["video", "audio"] and audio_codec(made) == "aac"
    assert abs(stream_seconds(made, "a") - stream_seconds(made, "v")) < 0.1
    # the shots' own sound is the emulator's 440 Hz tone, the soundtrack 220 Hz: both heard, the shots' ducked
    shot = Path(str(next(j for j in await app.storage.jobs.children(film.id) if j.kind == "shot").result_path))
    own, new, before = band_level(made, 440), band_level(made, 220), band_level(shot, 440)
    assert new > before - 6 and before - 15 < own < before - 3


async def test_sound_is_refused_before_any_charge_when_it_cannot_be_made(runway_app, tmp_path):
    app, server = runway_app
    spec = PromptSpec.create(None, model="runway:gen4.5", duration=10, allow_empty_subject=True)
    shots = "a kite\na kite falls\na kite lands\na kite rests"  # 40 s: longer than the sound model makes
    with pytest.raises(InvalidOption, match="soundtrack of at most 30 s"):
        await app.sequences.submit(who(tmp_path), spec, shots, FilmOptions(sound="wind"))
    with pytest.raises(InvalidPrompt, match="at most 1000"):
        await app.sequences.submit(who(tmp_path), spec, "a kite\na kite falls", FilmOptions(sound="🔔" * 501))
    assert not server.runway.tasks and (await app.quota.status(USER)).used == 0
    assert await app.service.recent(limit=10) == []


# --- Kling 3.0 on Runway: the shot list in one task (providerSettings.multiPrompt) ---------------------------------


async def test_a_shot_list_kling_3_takes_is_one_runway_task_with_its_multi_prompt(runway_app, tmp_path):
    app, server = runway_app
    spec = PromptSpec.create(None, model="runway:kling3.0_pro", audio=True, style="cinematic", allow_empty_subject=True)
    shots = "a fox wakes in the snow | 5s\nthe fox runs across a frozen lake | 5s"
    submitted = await app.sequences.submit(who(tmp_path), spec, shots, FilmOptions(title="Fox"))
    assert "in one task" in submitted.notes[0]
    film = await app.worker.wait_for(submitted.job.id, timeout=120)
    assert film.state is JobState.DONE, film.error
    assert film.model == "runway:kling3.0_pro" and await app.storage.jobs.children(film.id) == []
    [task] = server.runway.tasks.values()
    assert task.endpoint == "text_to_video" and server.runway.creates["recipes/multi_shot_video"] == 0
    body = task.body
    assert law.check("runway", "text_to_video", body) == []  # what the emulator held it to
    assert (body["model"], body["duration"], body["ratio"], body["audio"]) == ("kling3.0_pro", 10, "1920:1080", True)
    settings = body["providerSettings"]
    assert settings["shotType"] == "customize" and [s["duration"] for s in settings["multiPrompt"]] == [5, 5]
    assert (
        settings["multiPrompt"][1]["prompt"].startswith("the fox runs")
        and "cinematic" in settings["multiPrompt"][1]["prompt"]
    )
    assert "promptText" not in body  # each shot has its own prompt
    assert (await app.quota.status(USER)).used == 10
    info = await app.media.probe(tmp_path / "film.mp4")
    assert abs(info.duration - 10) < 0.3 and info.has_audio


async def test_a_shot_list_longer_than_kling_3_makes_in_one_task_is_orchestrated(runway_app, tmp_path):
    app, server = runway_app
    spec = PromptSpec.create(None, model="runway:kling3.0_pro", duration=5, allow_empty_subject=True)
    submitted = await app.sequences.submit(who(tmp_path), spec, "a fox\nthe fox runs\nthe fox sleeps", FilmOptions())
    assert "in one task" not in submitted.notes[0]  # 15 s: more than the 5 or 10 s it makes in one task
    film = await app.worker.wait_for(submitted.job.id, timeout=180)
    assert film.state is JobState.DONE, film.error
    bodies = [t.body for t in server.runway.tasks.values()]
    assert len(bodies) == 3 and not any("providerSettings" in b for b in bodies)
    assert all(law.check("runway", "text_to_video", b) == [] for b in bodies)
