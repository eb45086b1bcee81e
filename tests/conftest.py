"""Shared fixtures: small real videos made with ffmpeg, a settings factory on a temp data dir, storage backends."""

import asyncio
import os
import secrets
import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest

from bot.settings import Settings
from storage import open_storage

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def make_mp4(
    dest: Path, *, seconds: float = 1.0, size: str = "320x240", rate: int = 24, source: str = "testsrc2"
) -> Path:
    """A real H.264 yuv420p MP4 (no shell, bounded time)."""
    subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         f"{source}=size={size}:rate={rate}:duration={seconds}", "-c:v", "libx264", "-preset", "ultrafast",
         "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(dest)],
        check=True, timeout=60,
    )  # fmt: skip
    return dest


@pytest.fixture(scope="session")
def sample_mp4(tmp_path_factory) -> Path:
    """A 1 s 320x240 clip."""
    return make_mp4(tmp_path_factory.mktemp("samples") / "sample.mp4")


@pytest.fixture
def make_settings(tmp_path, monkeypatch, request):
    """Settings on a temp data dir, with no provider keys from the environment and fast polling.

    With ``VIDEOBOT_TEST_BACKEND=postgresql`` the apps built from them use a PostgreSQL schema of the
    test's own instead of SQLite (``VIDEOBOT_TEST_BACKEND=postgresql pytest tests/services``)."""
    for name in (
        "RUNWAYML_API_SECRET",
        "REPLICATE_API_TOKEN",
        "LUMAAI_API_KEY",
        "FAL_KEY",
        "DISCORD_TOKEN",
        "VIDEOBOT_DEFAULT_MODEL",
        "VIDEOBOT_DAILY_SECONDS",
        "VIDEOBOT_DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    database = {}
    if os.environ.get("VIDEOBOT_TEST_BACKEND") == "postgresql":
        database["database_url"] = request.getfixturevalue("pg_url")

    def build(**overrides) -> Settings:
        values = {
            "data_dir": tmp_path / "data",
            "poll_interval_seconds": 0.01,
            "poll_max_interval_seconds": 0.05,
            "retry_base_seconds": 0.01,
            **database,
        }
        values.update(overrides)
        return Settings(**values)

    return build


# --- storage backends: every storage test runs on SQLite and on PostgreSQL ------------------------------------
PG_DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def with_search_path(url: str, schema: str) -> str:
    """``url`` with ``search_path`` (and ``application_name``) set: asyncpg passes them on as server settings."""
    return f"{url}{'&' if '?' in url else '?'}search_path={schema}&application_name={schema}"


async def _pg_execute(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The PostgreSQL server's URL; skipped when none answers, FAILED when VIDEOBOT_TEST_DATABASE_URL names one."""
    url = os.environ.get("VIDEOBOT_TEST_DATABASE_URL")
    try:
        asyncio.run(_pg_execute(url or PG_DEFAULT_URL, "SELECT 1"))
    except Exception as exc:
        if url:
            pytest.fail(f"VIDEOBOT_TEST_DATABASE_URL={url} is set but the server does not answer: {exc!r}")
        pytest.skip(
            f"no PostgreSQL at {PG_DEFAULT_URL} ({exc.__class__.__name__}); start one or set "
            "VIDEOBOT_TEST_DATABASE_URL (CI sets it, and there these tests fail instead of skipping)"
        )
    return url or PG_DEFAULT_URL


@pytest.fixture
def pg_url(pg_server):
    """A fresh schema of its own for this test (dropped afterwards), as a URL whose search_path is that schema."""
    schema = f"t_{secrets.token_hex(6)}"
    asyncio.run(_pg_execute(pg_server, f'CREATE SCHEMA "{schema}"'))
    yield with_search_path(pg_server, schema)
    # connections a test left open (a killed process's, an app not closed yet) must not block the drop
    ended = f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{schema}'"
    asyncio.run(_pg_execute(pg_server, f'{ended}; DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """A storage URL per backend: ``sqlite:///…`` in tmp_path, or ``postgresql://…`` in a schema of its own."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_url")
    return f"sqlite:///{tmp_path / 'videobot.sqlite3'}"


@pytest.fixture
async def storage(database_url, tmp_path):
    """An open, migrated storage on each backend (parametrised through ``database_url``)."""
    s = await open_storage(database_url, tmp_path / "unused.sqlite3")
    yield s
    await s.close()
