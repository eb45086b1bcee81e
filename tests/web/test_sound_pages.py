"""Sound on the result pages and in the gallery, over real HTTP: a page says whether its clip has sound, a card
marks one that has, and the gallery's sound filter shows only those (or only the silent ones)."""

from __future__ import annotations

import pytest

from tests.support.html import Page

pytestmark = pytest.mark.timeout(120)
ALICE = 11


async def fetch(site, url: str) -> Page:
    async with site.session.get(url) as response:
        assert response.status == 200, url
        return Page(await response.text())


def shown(page: Page) -> list[int]:
    return [int(str(li["data-job"])) for li in page.all("li") if li.get("data-job")]


async def test_pages_say_with_sound_and_the_gallery_filters_for_it(site):
    silent = await site.add(ALICE)
    sounding = await site.add(ALICE, model="runway:veo3.1")
    await site.app.storage.jobs.update(silent.id, result_audio=0)
    await site.app.storage.jobs.update(sounding.id, result_audio=1)
    older = await site.add(ALICE)  # made before sound was recorded: says nothing, filtered as silent

    assert "with sound" in (await fetch(site, site.page(sounding.id))).text
    page = await fetch(site, site.page(silent.id))
    assert "silent" in page.text and "with sound" not in page.text
    assert "silent" not in (await fetch(site, site.page(older.id))).text

    url = site.gallery(ALICE)
    everything = await fetch(site, url)
    assert shown(everything) == [older.id, sounding.id, silent.id]
    assert everything.all("option", value="with") and everything.all("option", value="without")
    assert everything.text.count("🔊 with sound") == 1
    assert shown(await fetch(site, url + "?sound=with")) == [sounding.id]
    assert shown(await fetch(site, url + "?sound=without")) == [older.id, silent.id]
    assert shown(await fetch(site, url + "?sound=loud")) == [older.id, sounding.id, silent.id]  # unknown: no filter
    admin = site.gallery(None)
    assert shown(await fetch(site, admin + "?sound=with&model=runway:veo3.1")) == [sounding.id]
