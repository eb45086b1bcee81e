"""Shared fixtures: small real videos made with ffmpeg, and a settings factory on a temp data dir."""

import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest

from bot.settings import Settings

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
def make_settings(tmp_path, monkeypatch):
    """Settings on a temp data dir, with no provider keys from the environment and fast polling."""
    for name in (
        "RUNWAYML_API_SECRET",
        "REPLICATE_API_TOKEN",
        "LUMAAI_API_KEY",
        "FAL_KEY",
        "DISCORD_TOKEN",
        "VIDEOBOT_DEFAULT_MODEL",
        "VIDEOBOT_DAILY_SECONDS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)

    def build(**overrides) -> Settings:
        values = {
            "data_dir": tmp_path / "data",
            "poll_interval_seconds": 0.01,
            "poll_max_interval_seconds": 0.05,
            "retry_base_seconds": 0.01,
        }
        values.update(overrides)
        return Settings(**values)

    return build
