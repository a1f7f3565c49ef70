"""Settings from environment variables (prefix SXSH_) and an optional .env file.

A wrong or missing setting must give one clear line naming the variable, never a traceback:
officers deploy this, not Python developers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DB_URL = "sqlite:///./data/sxsh.db"
TELEGRAM_TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")


class SettingsError(Exception):
    """A setting is wrong; the message is one line that names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SXSH_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = DEFAULT_DB_URL
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    # "telegram:123456,console:admin" — a bare id means a Telegram user id.
    officer_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    default_language: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    content_dir: Path = Path(__file__).resolve().parent.parent / "content"
    assessment_expiry_days: int = Field(default=30, ge=1, le=365)
    assessment_nudge_hours: int = Field(default=24, ge=1, le=720)
    log_level: str = "INFO"

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, v: str) -> str:
        try:
            url = make_url(v)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL ({exc.__class__.__name__})") from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
        return v

    @field_validator("telegram_token")
    @classmethod
    def _token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value().strip():
            return None
        if not TELEGRAM_TOKEN_RE.match(v.get_secret_value().strip()):
            # Never echo the token itself: it is a secret.
            raise ValueError(
                "malformed token, expected <digits>:<35 letters> as given by @BotFather"
            )
        return SecretStr(v.get_secret_value().strip())

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value():
            return None
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", v.get_secret_value()):
            raise ValueError("1-256 characters from A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return v

    @field_validator("officer_ids", mode="before")
    @classmethod
    def _officers(cls, v: object) -> list[str]:
        items = v.split(",") if isinstance(v, str) else list(v or [])
        out = []
        for raw in items:
            item = str(raw).strip()
            if not item:
                continue
            if ":" not in item:
                item = f"telegram:{item}"
            out.append(item)
        return out

    @field_validator("default_language")
    @classmethod
    def _lang(cls, v: str) -> str:
        if v not in {"vi", "en"}:
            raise ValueError("must be vi or en")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone, e.g. Asia/Ho_Chi_Minh") from None
        return v

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        # Without the secret anyone who finds the URL could post fake updates.
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("SXSH_WEBHOOK_SECRET must be set when SXSH_WEBHOOK_URL is set")
        if self.webhook_url and not self.webhook_url.startswith("https://"):
            raise ValueError("SXSH_WEBHOOK_URL must start with https:// (Telegram's rule)")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_officer(self, channel: str, user_id: str) -> bool:
        return f"{channel}:{user_id}" in self.officer_ids


def load_settings(**overrides: object) -> Settings:
    """Build settings or raise SettingsError with one line per wrong variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["loc"]:
                msg = f"SXSH_{str(err['loc'][0]).upper()}: {msg}"
            lines.append(msg)
        raise SettingsError("; ".join(lines)) from None
