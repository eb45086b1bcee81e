"""`videobot usage` on the command line: a real subprocess against the Runway emulator, bot-wide and per server."""

import asyncio
import os
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]  # slow: the CLI in subprocesses


async def run_cli(*args: str, cwd: Path, env_extra: dict[str, str]) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDEOBOT_", "RUNWAYML_", "REPLICATE_", "LUMAAI_"))}
    env.update({"VIDEOBOT_DATA_DIR": str(cwd / "data"), "VIDEOBOT_POLL_INTERVAL_SECONDS": "0.2", **env_extra})
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 180)
    return int(proc.returncode or 0), out.decode(), err.decode()


async def test_usage_prints_what_runway_billed_in_credits_and_dollars(tmp_path, emulator):
    env = {
        "RUNWAYML_API_SECRET": emulator.runway.api_key,
        "RUNWAYML_BASE_URL": emulator.runway_url,
        "VIDEOBOT_RUNWAY_CREDIT_USD": "0.02",
    }
    code, out, err = await run_cli(
        "generate",
        "a lighthouse at dawn",
        "--model",
        "runway:gen4.5",
        "--duration",
        "5",
        "-o",
        "out.mp4",
        cwd=tmp_path,
        env_extra=env,
    )
    assert code == 0, err
    billed = sum(emulator.runway.reported.values())
    assert billed == 60

    code, out, err = await run_cli("usage", "--days", "7", cwd=tmp_path, env_extra=env)
    assert code == 0, err
    assert "Spend of the bot over the last 7 days: $1.20 on 1 jobs" in out  # 60 credits at $0.02
    assert "runway:gen4.5: 1 jobs, 60 credits, $1.20" in out

    code, out, err = await run_cli("usage", "--guild", "42", cwd=tmp_path, env_extra=env)
    assert code == 0, err
    assert "Spend of server 42 over the last 30 days: $0.00 on 0 jobs" in out


async def test_generate_from_an_image_without_a_prompt_names_the_neutral_prompt(tmp_path, emulator, png_image):
    """gen4.5 needs a prompt to animate an image (runwayml SDK, Gen4_5 image-to-video): the CLI sends the neutral one
    built from the camera move and says so (issue 16)."""
    env = {"RUNWAYML_API_SECRET": emulator.runway.api_key, "RUNWAYML_BASE_URL": emulator.runway_url}
    args = ("--image", str(png_image), "--model", "runway:gen4.5", "--camera", "orbit", "--duration", "5")
    code, _out, err = await run_cli("generate", *args, "-o", "out.mp4", cwd=tmp_path, env_extra=env)
    assert code == 0, err
    sent = "Subtle natural motion, orbit shot, camera circles the subject."
    assert [t.body["promptText"] for t in emulator.runway.tasks.values()] == [sent]
    assert f"“{sent}”" in err
