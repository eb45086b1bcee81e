"""The ladder's last word (bot.services.delivery.ladder): where a target has no route left, the result is KEPT on
its page (the file server's link), never offered as an upload, and a size refusal never descends to it."""

from __future__ import annotations

from bot.media import Media
from bot.services.delivery.ladder import Publisher, Rung
from bot.settings import Settings
from storage import NewJob


class Pages:
    """The file server's side of the LinkMaker port: one page per job."""

    def link_for(self, job_id: int) -> str | None:
        return f"https://videos.example.com/r/{job_id}/token"


async def test_kept_points_at_the_page_and_no_refusal_reaches_it(storage, tmp_path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\x00" * 4096)
    job = await storage.jobs.create(NewJob("video", 5, None, None, "local:motion", {}, 1), charge=None, now=1.0)
    publisher = Publisher(Media(), Settings(data_dir=tmp_path), Pages())
    plan = publisher.plan(job, video, 1024)
    kept = plan.kept()
    assert kept.rung is Rung.KEPT and not kept.attaches and kept.path is None
    assert kept.url == f"https://videos.example.com/r/{job.id}/token" and kept.size_bytes == 4096
    offer = await plan.first()
    for _ in range(4):
        offer = await plan.after_refusal(offer)
        assert offer.rung <= Rung.NONE
    assert Publisher(Media(), Settings(data_dir=tmp_path)).plan(job, video, 1024).kept().url is None
