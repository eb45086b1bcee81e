"""Settings: read once from the environment (and an optional ``.env``), then passed down.

Provider keys use the official SDKs' own variable names, so a server owner who already
uses ``RUNWAYML_API_SECRET`` elsewhere sets nothing new.  A wrong value fails at start
with a :class:`~bot.errors.ConfigError` naming the variable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from bot.errors import ConfigError


def _env(*names: str) -> Any:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Every knob of videobot; environment variable names are given in each field."""

    model_config = SettingsConfigDict(
        env_prefix="VIDEOBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    # --- core ---------------------------------------------------------------------------
    data_dir: Path = Path("./data")
    # postgresql://user:pass@host/db (many processes); unset: SQLite in data_dir.  Secret: it may hold a password.
    database_url: SecretStr | None = None
    default_model: str | None = None
    finish_model: str | None = None  # the default /finish model (else the first enabled of FINISH_ORDER)
    daily_seconds: int = Field(60, ge=0, le=86_400)
    guild_daily_budget: int | None = Field(None, ge=0, le=10_000_000)
    # where the app is installed on a member's account and the bot is no member (DMs, other servers): its own pool
    user_install_daily_seconds: int = Field(30, ge=0, le=86_400)
    max_concurrent_jobs: int = Field(4, ge=1, le=256)
    max_running_per_user: int = Field(2, ge=1, le=64)
    max_queued_per_user: int = Field(10, ge=1, le=1000)
    local_concurrency: int = Field(1, ge=1, le=64)
    # the local previews' frame size times this (0.25: 320x180 for 16:9), for a slow machine (and the tests)
    local_scale: float = Field(1.0, gt=0, le=1)
    provider_concurrency: int = Field(4, ge=1, le=256)
    worker_id: str = Field("main", min_length=1, max_length=64)
    worker_idle_max_seconds: float = Field(30.0, gt=0, le=3600)  # longest idle sleep: picks up other processes' jobs
    job_deadline_seconds: float = Field(1800.0, gt=0)
    poll_interval_seconds: float = Field(5.0, gt=0)
    poll_max_interval_seconds: float = Field(30.0, gt=0)
    poll_adaptive: bool = True  # sleep until just before a model's learned run time, then poll briskly
    poll_brisk_seconds: float = Field(1.0, gt=0)  # the poll interval around the expected finish
    retry_base_seconds: float = Field(5.0, gt=0)  # first wait before retrying a failed download/delivery
    max_download_bytes: int = Field(500 * 1024 * 1024, gt=0)
    max_image_bytes: int = Field(20 * 1024 * 1024, gt=0)
    max_image_pixels: int = Field(40_000_000, gt=0)
    max_video_bytes: int = Field(50 * 1024 * 1024, gt=0)  # an attached clip (/remix)
    max_audio_bytes: int = Field(20 * 1024 * 1024, gt=0)  # an attached soundtrack (/soundtrack)
    max_edit_seconds: int = Field(120, ge=2, le=600)  # longest result of /loop or /stitch
    max_extended_seconds: int = Field(60, ge=2, le=600)  # longest whole a chain of extensions may reach
    edits_per_hour: int = Field(20, ge=1, le=10_000)  # /stitch, /loop, /soundtrack per user per hour
    max_sequence_shots: int = Field(8, ge=2, le=8)  # most shots in one /sequence film
    sequence_decision_minutes: float = Field(30.0, gt=0, le=24 * 60)  # a failed shot's question, then finish without
    ffmpeg_timeout_seconds: float = Field(600.0, gt=0)
    ffmpeg: str | None = None  # path to an ffmpeg binary; default: system ffmpeg, else imageio-ffmpeg's
    retention_days: float = Field(14.0, ge=0)
    media_disk_cap_mb: int = Field(20_000, gt=0)
    log_level: str = "INFO"
    # --- money (bot/services/money/costs.py; prices: bot/providers/prices.py) ------------------------------
    runway_credit_usd: float = Field(0.01, ge=0, le=10)  # US dollars per Runway credit
    monthly_spend_cap: float | None = Field(None, ge=0, le=10_000_000)  # dollars per calendar month (UTC), bot-wide

    # --- providers (the SDKs' own names) ----------------------------------------------------
    runwayml_api_secret: SecretStr | None = Field(None, validation_alias=_env("RUNWAYML_API_SECRET"))
    runwayml_base_url: str | None = Field(None, validation_alias=_env("RUNWAYML_BASE_URL"))
    replicate_api_token: SecretStr | None = Field(None, validation_alias=_env("REPLICATE_API_TOKEN"))
    replicate_base_url: str | None = Field(None, validation_alias=_env("REPLICATE_BASE_URL"))
    lumaai_api_key: SecretStr | None = Field(None, validation_alias=_env("LUMAAI_API_KEY"))
    lumaai_base_url: str | None = Field(None, validation_alias=_env("LUMAAI_BASE_URL"))
    fal_key: SecretStr | None = Field(None, validation_alias=_env("FAL_KEY"))  # hosts: FAL_QUEUE_RUN_HOST (fal_client)
    # --- your own GPU: ComfyUI (docs/comfyui.md) ---------------------------------------------------------
    comfyui_url: Annotated[list[str], NoDecode] = Field(default_factory=list, validation_alias=_env("COMFYUI_URL"))
    comfyui_headers: SecretStr | None = Field(None, validation_alias=_env("COMFYUI_HEADERS"))  # a JSON object
    comfyui_workflows: Path | None = None  # a folder of <name>.json + <name>.sidecar.json (comfyui:<name>)
    comfyui_concurrency: int = Field(1, ge=1, le=64)  # jobs at once per ComfyUI server
    comfyui_usd_per_gpu_second: float = Field(0.0, ge=0, le=100)  # what a second of your GPU costs ($0: free)
    fallback_on_spendcap: str | None = None  # a model (e.g. comfyui:wan2.2-ti2v) for jobs only a spend cap refuses

    # --- discord ----------------------------------------------------------------------------
    discord_token: SecretStr | None = Field(None, validation_alias=_env("DISCORD_TOKEN"))
    discord_api_base: str | None = Field(None, validation_alias=_env("DISCORD_API_BASE"))
    discord_gateway_url: str | None = Field(None, validation_alias=_env("DISCORD_GATEWAY_URL"))
    guild_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    public_base_url: str | None = None  # where the built-in file server is reachable from outside
    file_server_host: str = "127.0.0.1"
    file_server_port: int = Field(0, ge=0, le=65535)  # 0: no file server
    gallery_link_ttl: float = Field(86_400.0, ge=60, le=90 * 86_400)  # seconds a /gallery link works
    gallery_page_size: int = Field(24, ge=1, le=200)  # cards per gallery page
    progress_edit_interval: float = Field(3.0, ge=0.5, le=60)

    # --- push (webhooks; on when public_base_url is set and the web server runs) ----------------
    replicate_webhook_secret: SecretStr | None = None  # whsec_…; unset: fetched once from Replicate
    fal_jwks_url: str = "https://rest.fal.ai/.well-known/jwks.json"  # fal's webhook signing keys
    push_poll_seconds: float = Field(300.0, gt=0, le=86_400)  # the safety-net poll while a push is expected
    push_tolerance_seconds: float = Field(300.0, gt=0, le=3600)  # how far off a signed timestamp may be
    # --- fallback when a provider is down (docs/providers.md, "Fallback") -----------------------------
    fallback_text: Annotated[list[str], NoDecode] = Field(default_factory=list)  # ordered provider:model list
    fallback_image: Annotated[list[str], NoDecode] = Field(default_factory=list)
    fallback_video: Annotated[list[str], NoDecode] = Field(default_factory=list)
    fallback_clamp: bool = False  # may a fallback shorten the clip / change the aspect to what it can make
    # sound with the picture where the model can make it, when a request leaves `audio` out (on | off)
    audio_default: bool = True
    breaker_threshold: int = Field(3, ge=1, le=1000)  # provider-side failures in a row that open the breaker
    breaker_cooldown_seconds: float = Field(300.0, ge=1, le=86_400)  # how long new jobs skip that provider
    # --- cast (a server's recurring characters; docs/cast.md) -------------------------------------------
    max_cast_per_server: int = Field(50, ge=1, le=1000)  # members a server's cast may hold

    @field_validator("fallback_text", "fallback_image", "fallback_video", mode="before")
    @classmethod
    def _split_models(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("comfyui_url", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value

    @field_validator("comfyui_url")
    @classmethod
    def _http_urls(cls, value: list[str]) -> list[str]:
        bad = [url for url in value if not url.startswith(("http://", "https://"))]
        if bad:
            raise ValueError(f"each URL must start with http:// or https:// ({bad[0]!r} does not)")
        return value

    @field_validator("comfyui_headers")
    @classmethod
    def _headers(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        try:
            parsed = json.loads(value.get_secret_value())
        except ValueError:
            raise ValueError('must be a JSON object, e.g. {"Authorization": "Bearer ..."}') from None
        if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
            raise ValueError("must be a JSON object of header names to string values")
        return value

    def comfyui_header_map(self) -> dict[str, str]:
        """``COMFYUI_HEADERS`` as a dict (checked at load)."""
        return json.loads(self.comfyui_headers.get_secret_value()) if self.comfyui_headers else {}

    @field_validator("guild_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
            ("postgresql://", "postgres://", "sqlite:///")
        ):
            raise ValueError("must start with postgresql:// (or sqlite:/// for a SQLite file)")
        return value or None

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value

    # --- derived paths -----------------------------------------------------------------------
    @property
    def db_path(self) -> Path:
        """The SQLite database file."""
        return self.data_dir / "videobot.sqlite3"

    @property
    def media_dir(self) -> Path:
        """Where results and intermediate files live."""
        return self.data_dir / "media"

    @property
    def inputs_dir(self) -> Path:
        """Where validated user uploads are kept while their jobs need them."""
        return self.data_dir / "inputs"

    @property
    def cast_dir(self) -> Path:
        """Where cast members' photos and voice samples live, named by content hash (kept while jobs use them)."""
        return self.data_dir / "cast"

    @property
    def push_enabled(self) -> bool:
        """Whether providers are asked to call back (a public URL and the built-in web server)."""
        return bool(self.public_base_url) and self.file_server_port != 0


def _env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    if info is not None and isinstance(info.validation_alias, AliasChoices):
        first = info.validation_alias.choices[0]
        if isinstance(first, str):
            return first
    return f"VIDEOBOT_{field.upper()}"


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning a validation failure into a ConfigError naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            problems.append(f"{_env_name(field)}: {err['msg']}")
        raise ConfigError("Invalid configuration: " + "; ".join(problems), detail=str(exc)) from None
    except SettingsError as exc:
        raise ConfigError(f"Invalid configuration: {exc}") from None
