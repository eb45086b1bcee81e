"""`videobot` imports what a command uses, when it uses it: listing models or rendering offline loads no provider
SDK, no HTTP client or server, no Discord (checked in a fresh interpreter's ``sys.modules``, never by timing)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.cli import child_env

HEAVY = ("runwayml", "lumaai", "replicate", "fal_client", "aiohttp", "httpx", "discord", "jinja2", "asyncpg")
PROBE = """
import json, sys
from bot.cli import main
code = main(sys.argv[1:])
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"code": code, "loaded": loaded}))
"""


def loaded_by(tmp_path, *args: str) -> set[str]:
    """The top-level modules a fresh ``videobot ARGS`` process had imported when it finished."""
    env = {
        k: v for k, v in child_env(tmp_path).items() if not k.startswith(("RUNWAYML_", "REPLICATE_", "LUMAAI_", "FAL_"))
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["code"] == 0, done.stderr
    return set(answer["loaded"])


def test_models_loads_no_sdk_and_no_web_stack(tmp_path):
    loaded = loaded_by(tmp_path, "models")
    assert "bot" in loaded and "pydantic_settings" in loaded  # it did run the command
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.slow  # a real (1 s) render
def test_an_offline_generate_loads_no_sdk_and_no_web_stack(tmp_path):
    out = tmp_path / "card.mp4"
    loaded = loaded_by(
        tmp_path, "generate", "a lighthouse", "--model", "local:storyboard", "--duration", "1", "-o", str(out)
    )
    assert out.stat().st_size > 0
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
