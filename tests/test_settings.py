"""Settings: defaults, SDK variable names, and errors that name the variable."""

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings


def test_defaults(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("VIDEOBOT_DATA_DIR", "VIDEOBOT_DAILY_SECONDS", "RUNWAYML_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    s = load_settings()
    assert s.daily_seconds == 60 and str(s.data_dir) == "data" and s.runwayml_api_secret is None


def test_provider_keys_use_the_sdk_names_and_stay_secret(monkeypatch):
    monkeypatch.setenv("RUNWAYML_API_SECRET", "key_abc123")
    monkeypatch.setenv("LUMAAI_BASE_URL", "http://127.0.0.1:9/dream-machine/v1")
    s = load_settings()
    assert s.runwayml_api_secret is not None and s.runwayml_api_secret.get_secret_value() == "key_abc123"
    assert "key_abc123" not in repr(s) and "key_abc123" not in str(s)
    assert s.lumaai_base_url == "http://127.0.0.1:9/dream-machine/v1"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("VIDEOBOT_DAILY_SECONDS", "lots"),
        ("VIDEOBOT_DAILY_SECONDS", "-5"),
        ("VIDEOBOT_MAX_CONCURRENT_JOBS", "0"),
        ("VIDEOBOT_LOG_LEVEL", "LOUD"),
        ("VIDEOBOT_GUILD_IDS", "12,abc"),
    ],
)
def test_a_wrong_value_fails_naming_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert name in err.value.user_message


def test_env_file_is_read(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VIDEOBOT_DAILY_SECONDS", raising=False)
    (tmp_path / ".env").write_text("VIDEOBOT_DAILY_SECONDS=120\nVIDEOBOT_GUILD_IDS=1,2\n")
    s = load_settings()
    assert s.daily_seconds == 120 and s.guild_ids == [1, 2]


def test_database_url_must_name_a_backend(monkeypatch):
    monkeypatch.setenv("VIDEOBOT_DATABASE_URL", "mysql://db/videobot")
    with pytest.raises(ConfigError, match=r"VIDEOBOT_DATABASE_URL: .*must start with postgresql://"):
        load_settings()
    monkeypatch.setenv("VIDEOBOT_DATABASE_URL", "postgresql://bot:hunter2@db/videobot")
    settings = load_settings()
    assert settings.database_url is not None and "hunter2" not in repr(settings)


def test_comfyui_urls_make_a_pool_and_its_headers_stay_secret(monkeypatch):
    monkeypatch.setenv("COMFYUI_URL", " http://gpu-1:8188/ , http://gpu-2:8188")
    monkeypatch.setenv("COMFYUI_HEADERS", '{"Authorization": "Bearer gpu-secret"}')
    s = load_settings()
    assert s.comfyui_url == ["http://gpu-1:8188", "http://gpu-2:8188"] and s.comfyui_concurrency == 1
    assert s.comfyui_header_map() == {"Authorization": "Bearer gpu-secret"}
    assert "gpu-secret" not in repr(s) and s.comfyui_usd_per_gpu_second == 0.0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("COMFYUI_URL", "gpu-box:8188"),
        ("COMFYUI_HEADERS", "Bearer abc"),
        ("COMFYUI_HEADERS", '{"X-Count": 3}'),
        ("VIDEOBOT_COMFYUI_CONCURRENCY", "0"),
        ("VIDEOBOT_COMFYUI_USD_PER_GPU_SECOND", "-1"),
    ],
)
def test_a_wrong_comfyui_setting_fails_naming_it(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert name in err.value.user_message


@pytest.mark.parametrize(("value", "expected"), [("on", True), ("off", False), ("true", True), ("0", False)])
def test_audio_default_reads_on_and_off(monkeypatch, value, expected):
    monkeypatch.setenv("VIDEOBOT_AUDIO_DEFAULT", value)
    assert load_settings().audio_default is expected


def test_audio_default_is_on_and_a_wrong_value_names_the_variable(monkeypatch):
    monkeypatch.delenv("VIDEOBOT_AUDIO_DEFAULT", raising=False)
    assert load_settings().audio_default is True
    monkeypatch.setenv("VIDEOBOT_AUDIO_DEFAULT", "loud")
    with pytest.raises(ConfigError, match="AUDIO_DEFAULT"):
        load_settings()
