"""``Job.inputs`` is a typed value (:class:`storage.JobInputs`) stored as the JSON it always was: rows written by
earlier versions (plain dicts, unknown keys, explicit nulls) still load, and what is stored reads back the same."""

import json
import time

from storage import JobInputs, NewJob


def new_job(inputs: JobInputs) -> NewJob:
    return NewJob(
        kind="stitch",
        owner_id=1,
        guild_id=10,
        channel_id=5,
        model="local:edit",
        spec={"subject": "x", "duration": 4},
        cost_seconds=0.0,
        inputs=inputs,
    )


async def test_every_field_is_stored_and_read_back(storage):
    inputs = JobInputs(
        image="/i/a.png",
        end_image="/i/b.png",
        loop=True,
        video="/m/1.mp4",
        strength=0.35,
        extend_task_id="task-1",
        concat_with="/m/0.mp4",
        variation=2,
        of=4,
        op="stitch",
        sources=("/m/1.mp4", "/m/2.mp4"),
        times=3,
        crossfade=0.0,
        audio="/i/audio-1",
        volume=1.5,
        source_jobs=(1, 2),
        fallback_tried=("runway:gen4.5",),
        width=1920,
        height=1080,
        fps=60,
        source_task_id="luma-gen-1",
        scale=1.5,
        source_fps=23.976,
    )
    job = await storage.jobs.create(new_job(inputs), charge=None, now=time.time())
    assert job.inputs == inputs
    assert (await storage.jobs.get(job.id)).inputs == inputs
    assert (await storage.jobs.update(job.id, inputs=JobInputs(times=5))).inputs == JobInputs(times=5)


async def test_a_row_written_by_an_earlier_version_still_loads(storage):
    job = await storage.jobs.create(new_job(JobInputs()), charge=None, now=time.time())
    legacy = {
        "extend_task_id": "t-9",
        "concat_with": None,
        "strength": 1,
        "sources": ["/m/3.mp4"],
        "source_jobs": [3],
        "crossfade": 0,
        "some_future_key": {"x": 1},
        "loop": False,
    }
    async with storage.db.transaction() as conn:  # the row as an earlier version wrote it
        await conn.execute("UPDATE jobs SET inputs_json = ? WHERE id = ?", (json.dumps(legacy), job.id))
    loaded = (await storage.jobs.get(job.id)).inputs
    assert loaded == JobInputs(
        extend_task_id="t-9", strength=1.0, sources=("/m/3.mp4",), source_jobs=(3,), crossfade=0.0
    )
    assert isinstance(loaded.strength, float) and loaded.concat_with is None and loaded.image is None


def test_only_the_keys_that_are_set_are_written():
    assert JobInputs().to_json() == {}
    assert JobInputs(loop=False, crossfade=0.0, source_jobs=(4,)).to_json() == {"crossfade": 0.0, "source_jobs": [4]}
    assert JobInputs.from_json(JobInputs(sources=("/a", "/b")).to_json()) == JobInputs(sources=("/a", "/b"))
