"""Settings of the live service, read once at the entry point (``skyfence serve``) and passed
down; nothing reads them at import time. Precedence: command-line options, then a TOML file
given with ``--config``, then environment variables with the prefix ``SKYFENCE_``
(``SKYFENCE_DATA_DIR``, ``SKYFENCE_DB``...), then the defaults."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from skyfence.errors import ConfigError

__all__ = ["Settings", "load_settings"]


class Settings(BaseSettings):
    """Everything ``skyfence serve`` can be told."""

    model_config = SettingsConfigDict(env_prefix="SKYFENCE_", extra="forbid")

    data_dir: Path = Field(default=Path("skyfence-data"),
                           description="SQLite database, report archive, zone files")
    db: str | None = Field(default=None, description="database URL; default SQLite in data_dir")
    host: str = Field(default="127.0.0.1", description="address to bind; loopback by default")
    port: int = Field(default=8080, ge=0, le=65535)
    batch_max_s: float = Field(default=0.0, ge=0, description="micro-batch: how long an idle "
                               "pipeline waits for more reports (0: process at once)")
    batch_max_rows: int = Field(default=50_000, gt=0, description="micro-batch: most reports")
    queue_batches: int = Field(default=64, gt=0, description="batches queued before sources wait")
    stale_s: float = Field(default=60.0, gt=0, description="a silent target is dropped after")
    alert_refresh_s: float = Field(
        default=1.0, ge=0, description="a live alert's position is written to the store at "
        "most this often (lifecycle changes at once; 0: every batch)")
    reference_lat: float | None = Field(default=None, ge=-90, le=90,
                                        description="receiver position for surface CPR")
    reference_lon: float | None = Field(default=None, ge=-180, le=180)
    archive_reports: bool = Field(default=True, description="keep reports as hourly Parquet")
    allow_private_webhooks: bool = Field(
        default=False, description="allow webhook targets on private/loopback addresses")
    max_request_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    tile_url: str | None = Field(default=None, description="optional online basemap tiles")


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from ``overrides`` (command-line options that were given), ``config_file``
    (TOML, keys as in :class:`Settings`) and the environment, in that order of precedence."""
    values: dict[str, Any] = {}
    if config_file is not None:
        try:
            values.update(tomllib.loads(config_file.read_text(encoding="utf-8")))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{config_file}: cannot read settings: {exc}") from None
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)
    except ValueError as exc:
        raise ConfigError(f"bad settings: {exc}") from None
