"""The cast service on both storage backends: adding (photos checked and stored by hash, at most three, the
server's limit), resolving a request's cast (the option, then @Name; an unknown @word stays text; at most three),
and who may delete."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.errors import InvalidMedia, InvalidOption
from bot.media import Media
from bot.services.cast.roster import Roster, mentions
from bot.services.requests.requester import Requester
from storage import NewCastMember

ALICE = Requester(user_id=1, guild_id=7, display_name="alice")
BOB = Requester(user_id=2, guild_id=7, display_name="bob")


def photo(n: int) -> bytes:
    buf = io.BytesIO()
    Image.effect_mandelbrot((120, 90), (-2.0 + n / 5, -1.2, 1.0, 1.2), 40).convert("RGB").save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def roster(storage, make_settings):
    settings = make_settings(max_cast_per_server=3)
    return Roster(storage, settings, Media(settings.ffmpeg), clock=lambda: 100.0)


async def test_photos_are_stored_once_by_content_hash_and_a_fourth_is_refused(roster):
    mara = await roster.add(ALICE, "Mara", [photo(1), photo(2)], description="  a fox  in a scarf ")
    teo = await roster.add(ALICE, "Teo", [photo(2)])
    assert teo.photos[0] == mara.photos[1]  # the same picture is one file
    assert mara.description == "a fox in a scarf" and mara.added_by_name == "alice"
    assert sorted(p.name for p in roster.settings.cast_dir.iterdir()) == sorted(f"{h}.png" for h in mara.photos)
    with pytest.raises(InvalidMedia, match="1 to 3 reference photos, not 4"):
        await roster.add(ALICE, "Ivo", [photo(1), photo(2), photo(3), photo(4)])
    with pytest.raises(InvalidMedia, match="1 to 3 reference photos, not 0"):
        await roster.add(ALICE, "Ivo", [])


async def test_the_servers_limit_and_a_cast_outside_a_server_are_refused(roster):
    for name in ("Ana", "Ben", "Cy"):
        await roster.add(ALICE, name, [photo(1)])
    with pytest.raises(InvalidOption, match=r"full \(3 members\)"):
        await roster.add(ALICE, "Dee", [photo(1)])
    with pytest.raises(InvalidOption, match="belongs to a server"):
        await roster.add(Requester(user_id=1), "Dee", [photo(1)])
    with pytest.raises(InvalidOption, match="belongs to a server"):
        await roster.resolve(None, "Ana", "hello")
    assert await roster.resolve(None, None, "@Ana waves") == ()  # outside a server @words are text


async def test_resolve_takes_the_option_then_the_mentions_and_leaves_unknown_words_as_text(roster):
    mara = await roster.add(ALICE, "Mara", [photo(1), photo(2)])
    teo = await roster.add(ALICE, "Teo", [photo(3)])
    used = await roster.resolve(7, "teo", "@MARA meets @Teo and @nobody at the @ sign")
    assert [(c.id, c.name) for c in used] == [(teo.id, "Teo"), (mara.id, "Mara")]
    assert [c.photos for c in used][1] == tuple(str(roster.settings.cast_dir / f"{h}.png") for h in mara.photos)
    assert mentions("mail me@home, @Mara's @x @Teo-2") == ["Mara's", "x", "Teo-2"]
    assert await roster.resolve(7, None, "email a@Mara.com") == ()  # part of a word, not a mention
    with pytest.raises(InvalidOption, match="no 'Ivo'"):
        await roster.resolve(7, "Mara, Ivo", "a walk")
    # four members in one request are refused (this server's limit is 3: the fourth goes in through storage)
    other = Requester(user_id=1, guild_id=8)
    for name in ("Ana", "Ben", "Cy"):
        await roster.add(other, name, [photo(1)])
    dee = NewCastMember(guild_id=8, name="Dee", photos=("x",), added_by=1)
    await roster.storage.cast.add(dee, limit=9, now=1.0)  # past the service's limit, straight into storage
    with pytest.raises(InvalidOption, match="up to 3 cast members, not 4"):
        await roster.resolve(8, "Ana, Ben", "@Cy and @Dee")


async def test_only_the_adder_or_a_manager_deletes(roster):
    await roster.add(ALICE, "Mara", [photo(1)])
    with pytest.raises(InvalidOption, match="added by someone else"):
        await roster.delete(BOB, "Mara", manager=False)
    assert (await roster.delete(BOB, "mara", manager=True)).name == "Mara"
    await roster.add(ALICE, "Mara", [photo(1)])
    assert (await roster.delete(ALICE, "Mara", manager=False)).name == "Mara"
    with pytest.raises(InvalidOption, match="no 'Mara'"):
        await roster.delete(ALICE, "Mara", manager=False)
