"""/sequence in the service, on both backends: a film's shots made by the real worker (the offline renderer,
or the scripted provider standing in for a remote API), joined by real ffmpeg; one reservation for the film,
refunded shot by shot; a shot that fails twice answered with each button and by the timeout."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.app import App
from bot.errors import InvalidOption, InvalidPrompt, InvalidRequest, JobStateError, QuotaExceeded
from bot.media import Media
from bot.prompt import PromptSpec
from bot.providers.base import GenerationRequest, TaskState, TaskStatus
from bot.providers.setup import build_providers
from bot.services.delivery.port import FileDelivery, Progress, ShotQuestion
from bot.services.requests.requester import Requester
from bot.services.requests.sequence import FilmOptions
from storage import JobState
from tests.support.scripted import RecordingDelivery, ScriptedProvider
from tests.support.video import ffmpeg, make_mp4

USER = 7


def who(tmp_path: Path, kind: str = "file") -> Requester:
    return Requester(user_id=USER, guild_id=1, delivery={"kind": kind, "path": str(tmp_path / "film.mp4")})


def decoded(video: Path, *, last: bool) -> bytes:
    """The first or last frame of ``video``, decoded and scaled to 64x64 RGB."""
    if last:
        args = ("-sseof", "-0.3", "-i", str(video), "-vf", "scale=64:64", "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
        data = ffmpeg(*args)
        return data[-64 * 64 * 3 :]
    args = ("-i", str(video), "-frames:v", "1", "-vf", "scale=64:64", "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
    return ffmpeg(*args)


def difference(a: bytes, b: bytes) -> float:
    """Mean absolute difference per channel (0-255)."""
    assert len(a) == len(b) == 64 * 64 * 3
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


@pytest.fixture
async def offline(make_settings, database_url):
    app = await App.create(make_settings(daily_seconds=100, database_url=database_url))
    app.router.register(FileDelivery())
    yield app
    await app.close()


@pytest.mark.slow  # three real renders and a join
@pytest.mark.timeout(600)  # real renders on a shared machine
async def test_continuity_starts_each_shot_from_the_last_frame_before_it(offline, tmp_path):
    start = tmp_path / "start.png"
    ffmpeg("-f", "lavfi", "-i", "mandelbrot=size=320x320", "-frames:v", "1", str(start))
    shots = "a lantern glows in the dark | 2s\nthe camera drifts past the lantern | 2s\nthe light fades | 2s"
    spec = PromptSpec.create(None, model="local:motion", aspect="1:1", allow_empty_subject=True)
    options = FilmOptions(title="Lantern", continuity=True, transition="cut")
    submitted = await offline.sequences.submit(who(tmp_path), spec, shots, options, image=start)
    film = submitted.job
    assert film.kind == "sequence" and film.cost_seconds == 6
    assert (await offline.quota.status(USER)).used == 6  # one reservation for the whole film
    assert len(await offline.storage.jobs.children(film.id)) == 1  # with continuity, one shot at a time

    film = await offline.worker.wait_for(film.id, timeout=300)
    assert film.state is JobState.DONE, film.error
    made = await offline.sequences.shots(who(tmp_path), film.id)
    assert [s.inputs.shot for s in made] == [1, 2, 3] and all(s.state is JobState.DONE for s in made)
    paths = [Path(str(s.result_path)) for s in made]
    for before, after in itertools.pairwise(paths):
        assert difference(decoded(before, last=True), decoded(after, last=False)) < 6
    # the comparison can fail: the first shot's first frame is not its own last (the camera moved)
    assert difference(decoded(paths[0], last=False), decoded(paths[2], last=True)) > 6
    joined = await offline.media.probe(Path(str(film.result_path)), exact=True)
    assert abs(joined.duration - 6.0) <= 0.15  # cuts: the sum
    assert Path(tmp_path / "film.mp4").exists()
    assert (await offline.quota.status(USER)).used == 6
    assert await offline.storage.quota.ledger_state(film.id) == "committed"


@pytest.mark.slow  # real renders and a crossfade join
@pytest.mark.timeout(600)  # real renders on a shared machine
async def test_crossfade_join_is_the_sum_minus_the_overlaps(make_settings, database_url, tmp_path):
    provider = ScriptedProvider(video=make_mp4(tmp_path / "shot.mp4", seconds=2.0))
    settings = make_settings(daily_seconds=100, database_url=database_url)
    app = await App.create(settings, providers=[provider, *build_providers(settings, Media())])  # + the joiner
    app.router.register(FileDelivery())
    try:
        spec = PromptSpec.create(None, model="scripted:v1", duration=2, allow_empty_subject=True)
        shots = "a fox runs\na fox jumps\na fox sleeps"
        film = (await app.sequences.submit(who(tmp_path), spec, shots, FilmOptions(transition="crossfade"))).job
        assert len(await app.storage.jobs.children(film.id)) == 3  # without continuity: all at once
        film = await app.worker.wait_for(film.id, timeout=300)
        assert film.state is JobState.DONE, film.error
        assert provider.calls["submit"] == 3  # one provider task per shot (a single-shot model)
        joined = await app.media.probe(Path(str(film.result_path)), exact=True)
        assert abs(joined.duration - (3 * 2.0 - 2 * 0.5)) <= 0.15
        assert (await app.quota.status(USER)).used == 6
    finally:
        await app.close()


@dataclass
class FailingShots(ScriptedProvider):
    """The scripted API, whose tasks for prompts with "storm" in them fail on the provider's side."""

    doomed: set[str] = field(default_factory=set)

    async def submit(self, request: GenerationRequest) -> str:
        task_id = await super().submit(request)
        if "storm" in request.prompt:
            self.doomed.add(task_id)
        return task_id

    async def poll(self, task_id: str) -> TaskStatus:
        if task_id in self.doomed:
            return TaskStatus(TaskState.FAILED, error="The provider could not make this.", error_code="SCRIPTED")
        return await super().poll(task_id)


class Asking(RecordingDelivery):
    """The recording target, which can put a failed shot's question to its member."""

    def __init__(self) -> None:
        super().__init__()
        self.questions: list[ShotQuestion] = []
        self.statuses: list[str] = []

    async def progress(self, update: Progress) -> None:
        await super().progress(update)
        if update.status:
            self.statuses.append(update.status)

    async def ask_shot(self, question: ShotQuestion) -> None:
        self.questions.append(question)


@pytest.fixture
async def failing(make_settings, database_url, tmp_path):
    skew = [0.0]
    provider = FailingShots(video=make_mp4(tmp_path / "shot.mp4", seconds=2.0))
    settings = make_settings(
        daily_seconds=100, database_url=database_url, sequence_decision_minutes=30, max_edit_seconds=60
    )
    providers = [provider, *build_providers(settings, Media())]  # the scripted API and the local joiner
    app = await App.create(settings, clock=lambda: time.time() + skew[0], providers=providers)
    target = Asking()
    app.router.register(target)
    yield app, target, provider, skew
    await app.close()


async def until(check, timeout: float = 120.0):
    """Poll ``check`` (async, truthy when done) for a bounded time."""
    deadline = time.monotonic() + timeout
    while not (found := await check()):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)
    return found


async def asked(app: App, film_id: int):
    await app.worker.start()
    return await until(lambda: app.storage.sequences.decisions(film_id))


async def start_failing_film(app: App, tmp_path: Path):
    spec = PromptSpec.create(None, model="scripted:v1", duration=2, allow_empty_subject=True)
    shots = "a ship leaves port\nthe ship meets a storm\nthe ship reaches land"
    options = FilmOptions(title="Voyage", continuity=True)
    film = (await app.sequences.submit(who(tmp_path, "test"), spec, shots, options)).job
    assert (await app.quota.status(USER)).used == 6
    [decision] = await asked(app, film.id)
    assert decision.shot == 2 and decision.answer is None
    takes = [c for c in await app.storage.jobs.children(film.id) if c.inputs.shot == 2]
    assert len(takes) == 2 and all(t.state is JobState.FAILED for t in takes)  # the first take and one retry
    return film


async def test_finish_without_the_failed_shot(failing, tmp_path):
    app, target, _, _ = failing
    film = await start_failing_film(app, tmp_path)
    [question] = target.questions
    assert (question.shot, question.of, question.film.id) == (2, 3, film.id)
    assert any(s.startswith("Shot ") and " of 3 " in s for s in target.statuses)
    await app.sequences.decide(who(tmp_path, "test"), film.id, 2, "finish")
    with pytest.raises(JobStateError):  # the second button (or a repeated click) is stale
        await app.sequences.decide(who(tmp_path, "test"), film.id, 2, "cancel")
    film = await app.worker.wait_for(film.id, timeout=120)
    assert film.state is JobState.DONE, film.error
    assert target.delivered[film.id] == 1
    assert abs((await app.media.probe(Path(str(film.result_path)), exact=True)).duration - 4.0) <= 0.15
    assert (await app.quota.status(USER)).used == 4  # shot 2's 2 s refunded, exactly
    assert len(target.questions) == 1
    by_shot = {c.inputs.shot for c in await app.storage.jobs.children(film.id) if c.state is JobState.DONE}
    assert by_shot == {1, 3}


async def test_cancel_the_rest(failing, tmp_path):
    app, target, _, _ = failing
    film = await start_failing_film(app, tmp_path)
    await app.sequences.decide(who(tmp_path, "test"), film.id, 2, "cancel")
    film = await app.worker.wait_for(film.id, timeout=120)
    assert film.state is JobState.CANCELLED
    assert (await app.quota.status(USER)).used == 2  # only shot 1 was made: 4 of the 6 s refunded
    assert await app.storage.quota.ledger_state(film.id) == "committed"
    assert not any(c.inputs.shot == 3 for c in await app.storage.jobs.children(film.id))  # never started
    assert target.delivered[film.id] == 0 and [m for i, m in target.failures if i == film.id]


async def test_no_answer_finishes_without_the_shot(failing, tmp_path):
    app, _, _, skew = failing
    film = await start_failing_film(app, tmp_path)
    skew[0] += 31 * 60  # the injectable clock: past VIDEOBOT_SEQUENCE_DECISION_MINUTES
    await app.storage.jobs.update(film.id, next_attempt_at=None)
    app.worker.wake()
    film = await app.worker.wait_for(film.id, timeout=120)
    assert film.state is JobState.DONE, film.error
    [decision] = await app.storage.sequences.decisions(film.id)
    assert (decision.answer, decision.refunded) == ("timeout", 2.0)
    assert (await app.quota.status(USER)).used == 4
    with pytest.raises(JobStateError):  # a button clicked after the timeout
        await app.sequences.decide(who(tmp_path, "test"), film.id, 2, "finish")


async def test_bad_input_is_refused_before_any_charge(failing, tmp_path):
    app, _, _, _ = failing
    spec = PromptSpec.create(None, model="scripted:v1", duration=2, allow_empty_subject=True)
    me = who(tmp_path, "test")
    cases = [
        ("only one shot", FilmOptions(), InvalidOption, "at least 2"),
        ("\n".join(f"shot {n}" for n in range(9)), FilmOptions(), InvalidOption, "at most 8"),
        ("a\n" + "x" * 301, FilmOptions(), InvalidPrompt, "Shot 2 is 301 characters"),
        ("a | 10s\nb | 10s", FilmOptions(transition="wipe"), InvalidOption, "transition"),
        ("a | 99s\nb", FilmOptions(), InvalidOption, "99"),  # a length the model cannot make
        ("\n".join(["a | 10s"] * 8), FilmOptions(), InvalidOption, "80 s; a film is at most 60 s"),
    ]
    await app.quota.set_user_limit(1, USER, 12)
    for text, options, error, words in cases:
        with pytest.raises(error, match=words):
            await app.sequences.submit(me, spec, text, options)
    with pytest.raises(QuotaExceeded):  # 3 x 5 s do not fit a 12 s limit, although one shot would
        await app.sequences.submit(me, spec, "a | 5s\nb | 5s\nc | 5s", FilmOptions())
    assert await app.storage.jobs.search(owner_id=USER) == []
    assert (await app.quota.status(USER, 1)).used == 0


async def test_continuity_needs_a_model_that_takes_an_image(offline, tmp_path):
    spec = PromptSpec.create(None, model="local:storyboard", allow_empty_subject=True)
    with pytest.raises(InvalidOption, match="takes no image"):
        await offline.sequences.submit(who(tmp_path), spec, "a\nb", FilmOptions(continuity=True))
    spec = PromptSpec.create(None, model="local:motion", allow_empty_subject=True)
    with pytest.raises(InvalidOption, match="attach a start image"):
        await offline.sequences.submit(who(tmp_path), spec, "a\nb", FilmOptions(continuity=True))
    assert await offline.storage.jobs.search(owner_id=USER) == []


async def test_sound_offline_is_refused_before_any_charge(offline, tmp_path):
    spec = PromptSpec.create(None, model="local:storyboard", allow_empty_subject=True)
    with pytest.raises(InvalidRequest, match="no offline sound generator"):
        await offline.sequences.submit(who(tmp_path), spec, "a\nb", FilmOptions(sound="waves on a beach"))
    with pytest.raises(InvalidRequest, match="no offline sound generator"):
        offline.sequences.check_sound("waves on a beach")  # what /sequence asks before its modal opens
    assert offline.sequences.check_sound("  ") is None  # no description: no soundtrack, nothing to refuse
    assert await offline.storage.jobs.search(owner_id=USER) == []
    assert (await offline.quota.status(USER, 1)).used == 0
    assert (await offline.storage.costs.report(None, 0)).jobs == 0  # nothing reserved in dollars either


async def test_one_shot_re_rolled_makes_a_new_version_of_the_film(make_settings, database_url, tmp_path):
    provider = ScriptedProvider(video=make_mp4(tmp_path / "shot.mp4", seconds=2.0))
    settings = make_settings(daily_seconds=100, database_url=database_url)
    app = await App.create(settings, providers=[provider, *build_providers(settings, Media())])
    app.router.register(FileDelivery())
    try:
        spec = PromptSpec.create(None, model="scripted:v1", duration=2, allow_empty_subject=True)
        first = (
            await app.sequences.submit(who(tmp_path), spec, "a fox runs\na fox jumps\na fox sleeps", FilmOptions())
        ).job
        first = await app.worker.wait_for(first.id, timeout=120)
        assert first.state is JobState.DONE and provider.calls["submit"] == 3
        old = {s.inputs.shot: s for s in await app.sequences.shots(who(tmp_path), first.id)}

        again = (await app.sequences.reroll_shot(who(tmp_path), first.id, 2)).job
        assert again.parent_job_id == first.id and again.kind == "sequence"
        assert (await app.quota.status(USER)).used == 6 + 2  # only the re-rolled shot is charged
        again = await app.worker.wait_for(again.id, timeout=120)
        assert again.state is JobState.DONE, again.error
        assert provider.calls["submit"] == 4  # one new provider task: shot 2
        new = {s.inputs.shot: s for s in await app.sequences.shots(who(tmp_path), again.id)}
        assert new[1].result_path == old[1].result_path and new[3].result_path == old[3].result_path
        assert new[2].id != old[2].id and new[2].spec.get("seed") is not None  # a new seed for it
        ancestors, _, _ = await app.service.chain(who(tmp_path), again.id)
        assert first.id in [a.id for a in ancestors]  # lineage shows the film it came from
        assert (await app.quota.status(USER)).used == 8
        with pytest.raises(InvalidOption):
            await app.sequences.reroll_shot(who(tmp_path), again.id, 4)
    finally:
        await app.close()


@pytest.mark.slow  # real renders, a join and an extension
@pytest.mark.timeout(600)  # real renders on a shared machine
async def test_a_film_is_extended_like_any_result(offline, tmp_path):
    spec = PromptSpec.create(None, model="local:storyboard", duration=1, aspect="1:1", allow_empty_subject=True)
    film = (await offline.sequences.submit(who(tmp_path), spec, "a boat\na boat sails", FilmOptions())).job
    film = await offline.worker.wait_for(film.id, timeout=300)
    assert film.state is JobState.DONE, film.error
    more = (await offline.service.extend(who(tmp_path), film.id, prompt="the boat reaches the shore")).job
    assert more.parent_job_id == film.id and more.inputs.concat_with == film.result_path
    more = await offline.worker.wait_for(more.id, timeout=300)
    assert more.state is JobState.DONE, more.error
    whole = await offline.media.probe(Path(str(more.result_path)), exact=True)
    assert abs(whole.duration - (2.0 + float(more.spec["duration"]))) <= 0.2  # the film, then its continuation
