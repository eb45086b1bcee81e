"""The top-level ``docker-compose.yml``: PostgreSQL 15 and the bot's processes, checked without a Docker engine.

The file is loaded as YAML (anchors and merge keys resolved), and every bot command in it is parsed by the
real ``videobot`` command line, so a renamed flag or a shard plan ``videobot run`` refuses fails here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.cli import _parser, _processes
from bot.settings import Settings

yaml = pytest.importorskip("yaml", reason="PyYAML (in the test extra) reads the compose file")
ROOT = Path(__file__).resolve().parent.parent
BOTS = ("shard0", "shard1", "worker")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return loaded


def test_postgres_15_keeps_its_data_in_a_volume_and_reports_health(compose: dict[str, Any]) -> None:
    pg = compose["services"]["postgres"]
    assert pg["image"].split(":")[1].startswith("15")
    [mount] = pg["volumes"]
    volume, path = mount.split(":", 1)
    assert path == "/var/lib/postgresql/data" and volume in compose["volumes"]
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    assert pg["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD")


def test_two_shards_and_a_worker_from_the_dockerfile_share_one_database(compose: dict[str, Any]) -> None:
    services = compose["services"]
    urls = {services[name]["environment"]["VIDEOBOT_DATABASE_URL"] for name in BOTS}
    [url] = urls
    assert url.startswith("postgresql://") and "@postgres:5432/" in url
    for name in BOTS:
        bot = services[name]
        assert bot["build"] == "." and (ROOT / "Dockerfile").is_file()
        assert bot["env_file"] == ".env"  # DISCORD_TOKEN and the provider keys
        assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    ids = [services[name]["environment"]["VIDEOBOT_WORKER_ID"] for name in BOTS]
    assert len(set(ids)) == len(ids)
    # the URL and worker ids are ones the settings accept (the password as compose would fill it in)
    filled = re.sub(r"\$\{POSTGRES_PASSWORD[^}]*\}", "s3cret", url)
    settings = Settings(database_url=filled, worker_id=ids[0])
    assert settings.database_url is not None and settings.database_url.get_secret_value() == filled


def test_the_commands_are_ones_videobot_accepts_and_cover_every_shard(compose: dict[str, Any]) -> None:
    services = compose["services"]
    covered: list[int] = []
    counts = set()
    for name in ("shard0", "shard1"):
        command = services[name]["command"]
        assert command[:2] == ["videobot", "run"]
        args = _parser().parse_args(command[1:])
        plan = _processes(args)  # exits with status 2 on a plan `videobot run` refuses
        assert not plan.worker and plan.shard_ids is not None
        covered += plan.shard_ids
        counts.add(plan.shard_count)
    assert counts == {2} and sorted(covered) == [0, 1]
    worker = services["worker"]["command"]
    assert worker == ["videobot", "worker"] and _parser().parse_args(worker[1:]).command == "worker"
