"""A server's cast members (storage.cast), on both backends: names unique per server without case, the per-server
limit checked in the inserting transaction (also under concurrent adds), and JobInputs carrying the cast used."""

import asyncio

import pytest

from storage import CastFull, CastNameTaken, CastUse, JobInputs, NewCastMember


def member(name, guild=7, photos=("a" * 64,), **extra):
    return NewCastMember(guild_id=guild, name=name, photos=photos, added_by=42, **extra)


async def test_a_member_round_trips_and_is_found_by_name_in_any_case(storage):
    made = await storage.cast.add(
        member(
            "Mara",
            photos=("a" * 64, "b" * 64),
            voice="c" * 64 + ".mp3",
            voice_seconds=4.5,
            description="a red fox in a blue scarf",
            added_by_name="ana",
        ),
        limit=50,
        now=10.0,
    )
    assert made.id > 0 and made.name == "Mara" and made.photos == ("a" * 64, "b" * 64)
    assert (made.voice, made.voice_seconds, made.description, made.added_by, made.added_by_name) == (
        "c" * 64 + ".mp3",
        4.5,
        "a red fox in a blue scarf",
        42,
        "ana",
    )
    assert await storage.cast.get(7, "mARA") == made
    assert await storage.cast.by_id(made.id) == made
    assert await storage.cast.get(8, "Mara") is None  # another server's cast is its own


async def test_names_are_unique_per_server_regardless_of_case(storage):
    await storage.cast.add(member("Mara"), limit=50, now=1.0)
    with pytest.raises(CastNameTaken):
        await storage.cast.add(member("mara"), limit=50, now=2.0)
    other = await storage.cast.add(member("mara", guild=8), limit=50, now=3.0)
    assert other.guild_id == 8
    assert [m.name for m in await storage.cast.members(7)] == ["Mara"]


async def test_the_limit_holds_even_for_adds_at_the_same_time(storages):
    results = await asyncio.gather(
        *(s.cast.add(member(f"Member{n}"), limit=3, now=float(n)) for n, s in enumerate(storages * 2)),
        return_exceptions=True,
    )
    made = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(made) == 3 and all(isinstance(r, CastFull) for r in refused) and len(refused) == 3
    assert len(await storages[0].cast.members(7)) == 3


async def test_delete_removes_only_that_servers_member(storage):
    mara = await storage.cast.add(member("Mara"), limit=50, now=1.0)
    assert not await storage.cast.delete(8, mara.id)  # the id of another server's member does nothing
    assert await storage.cast.delete(7, mara.id)
    assert not await storage.cast.delete(7, mara.id)
    assert await storage.cast.get(7, "Mara") is None


def test_job_inputs_keep_the_cast_used_through_json():
    inputs = JobInputs(cast=(CastUse(3, "Mara", ("a" * 64, "b" * 64), voice="v.mp3", description="a fox"),))
    stored = inputs.to_json()
    assert stored == {
        "cast": [{"id": 3, "name": "Mara", "photos": ["a" * 64, "b" * 64], "voice": "v.mp3", "description": "a fox"}]
    }
    assert JobInputs.from_json(stored) == inputs
    assert JobInputs.from_json({}).cast == ()  # rows written before the cast existed
