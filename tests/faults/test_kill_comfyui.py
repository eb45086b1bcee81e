"""Kill -9 of the bot after ``POST /prompt`` reached ComfyUI and before the bot saved anything else: the job is
in SUBMITTING without a task id, ComfyUI runs the prompt.  The next start finds it by its own prompt id in
``/history`` and never posts it again: one execution, one video.

``videobot generate`` is the process killed (the emulated ComfyUI holds the answer to ``POST /prompt`` after
queuing it); ``videobot worker --once`` on the same data dir resumes the job.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.media import Media
from tests.support.comfyui import ComfyProcess

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]  # bot processes killed with SIGKILL

ROOT = Path(__file__).resolve().parents[2]


def env_for(tmp_path: Path, url: str) -> dict[str, str]:
    ours = ("VIDEOBOT_", "RUNWAYML_", "REPLICATE_", "LUMAAI_", "FAL_", "COMFYUI_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.update(
        VIDEOBOT_DATA_DIR=str(tmp_path / "data"),
        VIDEOBOT_POLL_INTERVAL_SECONDS="0.05",
        VIDEOBOT_POLL_MAX_INTERVAL_SECONDS="0.2",
        COMFYUI_URL=url,
    )
    return env


async def test_killed_after_post_prompt_resumes_from_history_and_runs_once(tmp_path):
    comfy = ComfyProcess(tmp_path / "comfy", "--answer-delay", "120")
    out = tmp_path / "out.mp4"
    env = env_for(tmp_path, comfy.url)
    args = ["generate", "a paper boat on a stream", "--model", "comfyui:ltx-video", "--duration", "2", "-o", str(out)]
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 150
        while not comfy.records()["completed"]:  # posted, answer held, and run to the end by ComfyUI
            assert bot.poll() is None, bot.stderr.read() if bot.stderr else ""
            assert time.monotonic() < deadline, "ComfyUI never finished the prompt"
            time.sleep(0.05)
        os.kill(bot.pid, signal.SIGKILL)
        bot.wait(timeout=10)
        tasks = list((tmp_path / "data" / "media" / "comfyui" / "tasks").glob("*.json"))
        assert len(tasks) == 1  # the prompt id was saved before the POST
        resumed = subprocess.run(
            [sys.executable, "-m", "bot.cli", "worker", "--once", "--timeout", "120"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=150,
        )
        records = comfy.records()
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait()
        comfy.stop()
    assert resumed.returncode == 0, resumed.stderr
    assert "1 unfinished job(s)" in resumed.stderr and "done" in resumed.stderr
    assert len(records["posted"]) == 1 and len(records["executions"]) == 1 and len(records["completed"]) == 1
    assert records["posted"][0] == tasks[0].stem
    info = await Media().probe(out)
    assert info.codec == "h264" and info.duration > 1.5
