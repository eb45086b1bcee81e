"""``videobot`` as a subprocess, with none of our or the providers' variables from the test's environment.

The local previews render at a quarter of their size (``VIDEOBOT_LOCAL_SCALE``, :data:`LOCAL_SCALE`): a test that
checks the full size passes ``VIDEOBOT_LOCAL_SCALE="1"``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCAL_SCALE = "0.25"  # 320x180 for 16:9: an eighth of the render time of 1280x720 or less


def run_cli(*args, cwd: Path, timeout=240, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDEOBOT_", "RUNWAYML_", "REPLICATE_", "LUMAAI_"))}
    env.update({"VIDEOBOT_DATA_DIR": str(cwd / "data"), "VIDEOBOT_LOCAL_SCALE": LOCAL_SCALE, **(env_extra or {})})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def generate(env_extra, tmp_path, *args):
    ours = ("VIDEOBOT_", "RUNWAYML_", "REPLICATE_", "LUMAAI_", "FAL_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.update(
        {
            "VIDEOBOT_DATA_DIR": str(tmp_path / "data"),
            "VIDEOBOT_POLL_INTERVAL_SECONDS": "0.05",
            "VIDEOBOT_POLL_MAX_INTERVAL_SECONDS": "0.2",
            "VIDEOBOT_LOCAL_SCALE": LOCAL_SCALE,
        }
    )
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180
    )


def child_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDEOBOT_", "DISCORD_"))}
    env.update(
        VIDEOBOT_DATA_DIR=str(tmp_path / "data"),
        VIDEOBOT_POLL_INTERVAL_SECONDS="0.05",
        VIDEOBOT_LOCAL_SCALE=LOCAL_SCALE,
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env
