"""Galleries over real HTTP: scope, filters, keyset pages, removed results, tampered and expired links."""

from __future__ import annotations

import os
import re
import time
from urllib.parse import urljoin

import pytest

from tests.support.html import Page
from tests.support.site import GUILD

pytestmark = pytest.mark.timeout(120)
ALICE, BOB = 11, 22


async def cards(site, url: str) -> tuple[list[int], Page]:
    async with site.session.get(url) as response:
        assert response.status == 200, url
        page = Page(await response.text())
    return [int(str(a["data-job"])) for a in page.all("li") if a.get("data-job")], page


async def test_a_members_link_shows_only_their_results_whatever_the_query_says(site):
    mine = [await site.add(ALICE, name="Alice"), await site.add(ALICE, name="Alice", model="local:motion")]
    theirs = await site.add(BOB, name="Bob")
    elsewhere = await site.add(ALICE, guild_id=GUILD + 1)
    url = site.gallery(ALICE)
    shown, page = await cards(site, url)
    assert shown == [mine[1].id, mine[0].id]  # newest first
    assert theirs.id not in shown and elsewhere.id not in shown and "Bob" not in page.text
    assert not page.all("select", name="member")  # no member filter on a member's own gallery
    for query in (f"?member={BOB}", f"?member={BOB}&model=local:storyboard", "?model=local:motion"):
        shown, _ = await cards(site, url + query)
        assert theirs.id not in shown
    assert (await cards(site, url + "?model=local:motion"))[0] == [mine[1].id]
    poster = site.app.gallery.links.poster_path(mine[0].id)
    assert page.all("img", src=poster) and site.app.gallery.links.page_path(mine[0].id) in page.links()


async def test_the_admin_link_shows_the_server_and_filters_by_member_and_model(site):
    a = await site.add(ALICE, name="Alice")
    b = await site.add(BOB, name="Bob", model="local:motion")
    url = site.gallery(None)
    shown, page = await cards(site, url)
    assert shown == [b.id, a.id] and "Alice" in page.text and "Bob" in page.text
    assert page.all("option", value=str(ALICE)) and page.all("option", value="local:motion")
    assert (await cards(site, f"{url}?member={BOB}"))[0] == [b.id]
    assert (await cards(site, f"{url}?model=local:storyboard"))[0] == [a.id]


async def test_pages_are_stable_while_new_results_arrive(site):
    start = time.time() - 1000
    made = [await site.add(ALICE, created_at=start + i) for i in range(30)]
    made.append(await site.add(ALICE, created_at=start + 29))  # a tie on created_at: ordered by id
    newest_first = [j.id for j in sorted(made, key=lambda j: (j.created_at, j.id), reverse=True)]
    first, page = await cards(site, site.gallery(ALICE))
    assert first == newest_first[:24]
    [older] = page.all("a", rel="next")
    await site.add(ALICE, created_at=time.time())  # arrives meanwhile: page 2 neither shifts nor repeats
    second, page2 = await cards(site, urljoin(site.base, str(older["href"])))
    assert second == newest_first[24:] and not page2.all("a", rel="next") and page2.all("a", rel="first")


async def test_a_removed_or_expired_result_leaves_both_galleries(site):
    kept, removed, aged = [await site.add(ALICE) for _ in range(3)]
    await site.app.gallery.remove(removed.id)
    os.unlink(str(aged.result_path))
    for url in (site.gallery(ALICE), site.gallery(None)):
        assert (await cards(site, url))[0] == [kept.id]


async def test_tampered_links_are_404_and_expired_ones_410(site):
    await site.add(ALICE)
    url = site.gallery(ALICE)
    guild, scope, expires, sig = re.search(r"/g/(\d+)/(\w+)/(\d+)/([\w-]+)$", url).groups()
    flipped = ("B" if sig[0] == "A" else "A") + sig[1:]
    tampered = [
        f"/g/{guild}/{scope}/{expires}/{flipped}",
        f"/g/{guild}/{BOB}/{expires}/{sig}",  # someone else's gallery with my signature
        f"/g/{guild}/all/{expires}/{sig}",  # widened to the whole server
        f"/g/{int(guild) + 1}/{scope}/{expires}/{sig}",
        f"/g/{guild}/{scope}/{int(expires) + 3600}/{sig}",  # prolonged
    ]
    for path in tampered:
        async with site.session.get(site.url(path)) as response:
            assert response.status == 404, path
    links = site.app.gallery.links
    old = links.gallery_url(GUILD, ALICE, now=time.time() - site.app.settings.gallery_link_ttl - 5)
    async with site.session.get(old) as response:
        assert response.status == 410 and "expired" in await response.text()
    async with site.session.get(url + "?before=not-a-cursor") as response:
        assert response.status == 400


async def test_gallery_links_expire_after_the_configured_time(make_site):
    site = await make_site(gallery_link_ttl=120)
    url = site.gallery(ALICE)
    expires = int(url.rsplit("/", 2)[1])
    assert time.time() + 100 < expires <= time.time() + 121
