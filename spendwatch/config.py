"""One settings object, read from SPENDWATCH_* environment variables (and a TOML file path)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from spendwatch.errors import SpendwatchError


class Settings(BaseSettings):
    """Every environment variable spendwatch reads is a field here, documented once."""

    model_config = SettingsConfigDict(env_prefix="SPENDWATCH_", extra="ignore")

    db: Path = Field(Path("spendwatch.duckdb"), description="DuckDB file (SPENDWATCH_DB)")
    config: Path | None = Field(
        None, description="TOML config: price overrides, alerts, cost centres (SPENDWATCH_CONFIG; "
        "default ./spendwatch.toml when that file exists)"
    )
    spool: Path | None = Field(
        None, description="spool directory; default: '<db name>.spool' next to the database"
    )
    host_id: str | None = Field(
        None, description="this host's name in spool segment names (default: the hostname); set a unique one "
        "per host when hosts share a spool directory and hostnames may repeat (containers)"
    )
    dashboard_password: SecretStr | None = Field(None, description="optional dashboard password")
    openai_admin_key: SecretStr | None = Field(
        None, validation_alias="OPENAI_ADMIN_KEY", description="org admin key for `sync openai`"
    )

    smtp_host: str | None = Field(None, description="SMTP server for e-mail alerts (or [smtp] host in the TOML)")
    smtp_port: int | None = Field(None, description="SMTP port (default 587)")
    smtp_username: str | None = Field(None, description="SMTP login, if the server wants one")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (environment only, never the TOML)")
    smtp_starttls: bool | None = Field(None, description="use STARTTLS when the server offers it (default true)")
    smtp_from: str | None = Field(None, description="From: address of alert e-mails")
    alert_check_seconds: float = Field(60, description="how often `serve` checks alert rules")
    alert_retry_seconds: float = Field(30, description="first retry delay of a failed alert delivery")

    def spool_dir(self) -> Path:
        return self.spool if self.spool is not None else default_spool_for(self.db)

    def load_toml(self) -> dict[str, Any]:
        """The TOML config as a dict ({} when none is set); a missing or broken file is an error."""
        if self.config is None:
            return {}
        return read_toml(self.config)


def default_spool_for(db: Path) -> Path:
    return db.with_name(db.name + ".spool")


class ConfigError(SpendwatchError, ValueError):
    """The config file is missing or unreadable: one line for the user (exit 1), no traceback."""


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config file {path} is not valid TOML: {e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read config file {path}: {getattr(e, 'strerror', None) or e}") from None


DEFAULT_CONFIG = Path("spendwatch.toml")


def get_settings(**overrides: Any) -> Settings:
    """Read settings once at the edge (CLI, server) and pass them down; overrides win over env.

    The config file follows one rule for every command and for `serve`: ``--config``, else
    ``$SPENDWATCH_CONFIG``, else ``./spendwatch.toml`` if it exists, else none.
    """
    clean = {k: v for k, v in overrides.items() if v is not None}
    settings = Settings(**clean)
    if settings.config is None and DEFAULT_CONFIG.is_file():
        settings.config = DEFAULT_CONFIG
    return settings
