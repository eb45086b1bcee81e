"""`videobot generate --model <cloud model>` as a subprocess, against the provider emulators (also a
subprocess), configured only through the SDKs' own environment variables."""

import json
import socket
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from bot.media import Media
from tests.support.cli import generate

pytestmark = pytest.mark.slow  # slow: the CLI in subprocesses

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("model", ["runway:gen4.5", "replicate:minimax-video-01", "luma:ray-2", "fal:pika-2.2"])
async def test_generate_with_a_cloud_model(emulators, tmp_path, model):
    out = tmp_path / "out.mp4"
    result = generate(
        {**emulators, "VIDEOBOT_LOG_LEVEL": "DEBUG"},
        tmp_path,
        "generate",
        "a red fox runs through fresh snow",
        "--model",
        model,
        "--duration",
        "5" if not model.startswith("replicate") else "6",
        "-o",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    info = await Media().probe(out)
    assert info.codec == "h264" and info.duration > 0
    secrets = [v for k, v in emulators.items() if k.endswith(("_SECRET", "_TOKEN", "_KEY"))]
    assert len(secrets) == 4  # fal: over TLS, trusting the emulator's test CA through SSL_CERT_FILE
    for secret in secrets:
        assert secret not in result.stdout + result.stderr


def test_models_lists_what_the_keys_enable(emulators, tmp_path):
    listed = generate(emulators, tmp_path, "models").stdout
    assert "runway:gen4.5" in listed and "replicate:kling-v2.1" in listed and "luma:ray-2" in listed
    assert "local:motion" in listed and "extend" in listed and "fal:pikaframes" in listed
    assert "price: 12 credits/s ($0.12/s) (read 2026-11)" in listed  # runway:gen4.5, bot/providers/prices.py
    alone = generate({}, tmp_path, "models").stdout
    assert "runway" not in alone and "local:storyboard" in alone


def test_sora_is_listed_as_retired_and_refused(emulators, tmp_path):
    listed = generate(emulators, tmp_path, "models").stdout
    assert "openai:sora-2" in listed and "shut down on 2026-09-24" in listed
    refused = generate(emulators, tmp_path, "generate", "a whale", "--model", "openai:sora-2", "-o", "x.mp4")
    assert refused.returncode != 0 and "retired" in refused.stderr and "2026-09-24" in refused.stderr
    assert not (tmp_path / "x.mp4").exists()


async def test_a_replicate_model_by_its_owner_and_name(emulators, tmp_path):
    out = tmp_path / "z.mp4"
    model = "replicate:anotherjesse/zeroscope-v2-xl"
    result = generate(
        emulators, tmp_path, "generate", "a paper boat", "--model", model, "--duration", "2", "-o", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert (await Media().probe(out)).duration > 0
    jobs = generate(emulators, tmp_path, "jobs").stdout
    assert "replicate:zeroscope" in jobs and "anotherjesse" not in jobs  # stored under its catalogue name


def test_a_mistyped_model_is_refused_at_start_with_close_matches(emulators, tmp_path):
    started = generate({**emulators, "VIDEOBOT_DEFAULT_MODEL": "luma:ray2"}, tmp_path, "models")
    assert started.returncode != 0 and "Did you mean luma:ray-2" in started.stderr
    asked = generate(emulators, tmp_path, "generate", "a whale", "--model", "fal:pika2.2", "-o", "x.mp4")
    assert asked.returncode != 0 and "Did you mean fal:pika-2.2" in asked.stderr


def _defaults(listed: str) -> dict[str, str]:
    """The "Default models" block of `videobot models`: kind -> model."""
    block = listed.split("Default models when none is given", 1)[1].split("\n\n", 1)[0]
    return dict(line.split() for line in block.splitlines()[1:] if line.strip())


def test_models_shows_the_default_for_each_kind(emulators, tmp_path):
    every = _defaults(generate(emulators, tmp_path, "models").stdout)
    assert every == {"text": "luma:ray-flash-2", "image": "runway:gen4_turbo", "video": "runway:aleph2"}
    only_fal = {k: v for k, v in emulators.items() if not k.startswith(("RUNWAYML_", "REPLICATE_", "LUMAAI_"))}
    assert _defaults(generate(only_fal, tmp_path, "models").stdout) == {
        "text": "fal:hailuo-02",
        "image": "fal:hailuo-02",
        "video": "local:restyle",
    }
    only_replicate = {k: v for k, v in emulators.items() if k.startswith("REPLICATE_")}
    assert _defaults(generate(only_replicate, tmp_path, "models").stdout) == {
        "text": "replicate:minimax-video-01",
        "image": "replicate:kling-v2.1",
        "video": "replicate:zeroscope",
    }
    assert _defaults(generate({}, tmp_path, "models").stdout) == {
        "text": "local:storyboard",
        "image": "local:motion",
        "video": "local:restyle",
    }


def control(emulators: dict[str, str], path: str, body: object = None) -> dict:
    """The subprocess emulator's control API (``/_control/...``, on the same loopback port as the APIs)."""
    port = emulators["REPLICATE_BASE_URL"].split("://", 1)[1].split("/", 1)[0]
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    with urllib.request.urlopen(
        urllib.request.Request(f"http://{port}/_control/{path}", data, headers), timeout=30
    ) as r:
        return json.loads(r.read())


def test_a_replicate_webhook_that_never_comes_is_made_good_by_polling(emulators, tmp_path):
    """Push on (public URL + web server), Replicate's webhook never sent: the first run (nothing learned) polls on
    the backoff and teaches the bot the model's run time; the second polls at most hourly but for the rule that
    polls once the learned run time has passed, so its result within the bound came by that poll."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    only_replicate = {k: v for k, v in emulators.items() if k.startswith("REPLICATE_")}
    push = {"VIDEOBOT_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "VIDEOBOT_FILE_SERVER_PORT": str(port)}
    hourly = {
        "VIDEOBOT_POLL_INTERVAL_SECONDS": "3600",
        "VIDEOBOT_POLL_MAX_INTERVAL_SECONDS": "3600",
        "VIDEOBOT_PUSH_POLL_SECONDS": "3600",
    }
    image = tmp_path / "still.png"
    Image.new("RGB", (640, 384), (40, 90, 160)).save(image)
    control(emulators, "reset", {})
    hold = {"queued": 1, "running": 1, "webhook": "hold"}
    control(emulators, "replicate/next", [hold, hold])
    model = ["--model", "replicate:stable-video-diffusion", "--image", str(image), "--duration", "2"]
    for n, extra in enumerate(({}, hourly)):
        out = tmp_path / f"out{n}.mp4"
        args = ["generate", "a slow pan", *model, "--seed", str(n + 1), "-o", str(out)]
        done = generate({**only_replicate, **push, **extra}, tmp_path, *args, "--timeout", "60")
        assert done.returncode == 0, done.stderr
        assert out.exists()
    stats = control(emulators, "replicate/stats")
    assert stats["deliveries"] == [] and len(stats["tasks"]) == 2  # no webhook was ever sent: polls found both
    listed = generate({**only_replicate, **push}, tmp_path, "models").stdout
    assert "Push: 2 results arrived by polling although push was on: check that /hooks/ reaches the bot" in listed


@pytest.mark.parametrize(("flag", "codec"), [("--audio", "aac"), ("--no-audio", None)])
def test_generate_audio_and_no_audio(emulators, tmp_path, flag, codec):
    from tests.support.video import audio_codec

    out = tmp_path / "out.mp4"
    args = ("a bell rings", "--model", "runway:veo3.1_fast", "--duration", "4", flag, "-o", str(out))
    result = generate(emulators, tmp_path, "generate", *args)
    assert result.returncode == 0, result.stderr
    assert audio_codec(out) == codec


def test_audio_on_a_silent_model_is_refused_naming_the_models_that_can(emulators, tmp_path):
    result = generate(emulators, tmp_path, "generate", "a fox", "--model", "runway:gen4.5", "--audio")
    assert result.returncode != 0 and "runway:veo3.1" in result.stderr and "silent" in result.stderr
