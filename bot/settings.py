"""Settings from environment variables (prefix SXSH_) and an optional .env file, one group per area.

Each area is a nested model of bot/settings_areas.py (`settings.telegram.token`,
`settings.search.embeddings`), read from `SXSH_<AREA>_<FIELD>` (`SXSH_TELEGRAM_TOKEN`,
`SXSH_ZALO_OA_APP_ID`, `SXSH_SEARCH_THREADS`). The names used before the split keep working
(LEGACY_NAMES). A wrong or missing setting gives one clear line naming the variable the person
set, never a traceback: officers deploy this, not Python developers.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.settings_areas import (
    AREAS,
    DeliverySettings,
    LimitSettings,
    SearchSettings,
    TelegramSettings,
    TicketSettings,
    WebSettings,
    ZaloBotSettings,
    ZaloOASettings,
)

PREFIX = "SXSH_"
DEFAULT_DB_URL = "sqlite:///./data/sxsh.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Names from before the settings were grouped; the canonical name wins when both are set.
LEGACY_NAMES: dict[str, tuple[str, str]] = {
    "SXSH_WEBHOOK_URL": ("telegram", "webhook_url"),
    "SXSH_WEBHOOK_SECRET": ("telegram", "webhook_secret"),
    "SXSH_WEBHOOK_LISTEN": ("web", "listen"),
    "SXSH_WEBHOOK_PORT": ("web", "port"),
    "SXSH_EMBEDDINGS": ("search", "embeddings"),
    "SXSH_EMBED_CACHE": ("search", "cache_dir"),
}


# Channels whose people can be officers, and what their ids look like (a wrong form matches
# nobody, so it is refused at start rather than discovered when an officer is ignored).
OFFICER_CHANNELS: dict[str, re.Pattern[str]] = {
    "telegram": re.compile(r"[1-9][0-9]{0,19}"),  # Telegram user ids are positive integers
    "console": re.compile(r"[^\s:,;]{1,64}"),  # the --user name in the terminal
    "zalo_oa": re.compile(r"[0-9]{1,32}"),  # Zalo user ids (sender.id) are digits
    "zalo_bot": re.compile(r"[A-Za-z0-9_-]{1,64}"),
}


def parse_officer_ids(value: object) -> list[str]:
    """`channel:id` entries, normalised: a bare number is a Telegram id; commas or semicolons
    separate entries; the channel's case and spaces around ':' do not matter. Raises ValueError
    (naming the entry) for what would match nobody: an unknown channel (`tg:777`), an id in the
    wrong form for its channel (`telegram:@name`), or two ids in one entry (`777 888`)."""
    items = re.split(r"[,;]", value) if isinstance(value, str) else [str(v) for v in value or []]
    out: list[str] = []
    for raw in items:
        item = raw.strip()
        if not item:
            continue
        channel, sep, ident = item.partition(":")
        channel, ident = (channel.strip().lower(), ident.strip()) if sep else ("telegram", item)
        known = ", ".join(OFFICER_CHANNELS)
        if channel not in OFFICER_CHANNELS:
            raise ValueError(
                f"{item!r}: unknown channel {channel!r} (use one of {known}, e.g. telegram:123456)"
            )
        if not OFFICER_CHANNELS[channel].fullmatch(ident):
            raise ValueError(
                f"{item!r}: not a {channel} user id (e.g. telegram:123456, console:name)"
            )
        if f"{channel}:{ident}" not in out:
            out.append(f"{channel}:{ident}")
    return out


class SettingsError(Exception):
    """A setting is wrong; the message is one line that names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="forbid")

    database_url: str = DEFAULT_DB_URL
    # "telegram:123456,console:admin" — a bare id means a Telegram user id (parse_officer_ids).
    officer_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    default_language: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    content_dir: Path = Path(__file__).resolve().parent.parent / "content"
    assessment_expiry_days: int = Field(default=30, ge=1, le=365)
    assessment_nudge_hours: int = Field(default=24, ge=1, le=720)
    log_level: str = "INFO"
    # What the bot's clock reads when a process starts (ISO 8601 with its offset); it then runs
    # at normal speed. For trying reminders in the terminal, and for tests; unset in production.
    clock_start: datetime | None = None

    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    zalo_oa: ZaloOASettings = Field(default_factory=ZaloOASettings)
    zalo_bot: ZaloBotSettings = Field(default_factory=ZaloBotSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    tickets: TicketSettings = Field(default_factory=TicketSettings)

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource, **_: Any
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, _EnvSource(settings_cls))

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, v: str) -> str:
        try:
            url = make_url(v)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL ({exc.__class__.__name__})") from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError("only sqlite:/// and postgresql:// URLs are supported")
        return v

    @field_validator("officer_ids", mode="before")
    @classmethod
    def _officers(cls, v: object) -> list[str]:
        return parse_officer_ids(v)

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        # An unknown level passed the settings and stopped every process in setup_logging
        # with a traceback (ValueError: Unknown level: 'VERBOSE').
        if v.upper() not in LOG_LEVELS:
            raise ValueError(f"{v!r}: use one of {', '.join(LOG_LEVELS)}")
        return v.upper()

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

    @field_validator("clock_start")
    @classmethod
    def _clock(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("needs its UTC offset, e.g. 2026-12-03T08:00+07:00")
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_officer(self, channel: str, user_id: str) -> bool:
        return f"{channel}:{user_id}" in self.officer_ids


def _variables() -> dict[str, tuple[str, ...]]:
    """Every accepted variable name -> where its value goes (a top field or (area, field))."""
    names: dict[str, tuple[str, ...]] = {}
    for name in Settings.model_fields:
        if name in AREAS:
            for sub in AREAS[name].model_fields:
                names[f"{PREFIX}{name}_{sub}".upper()] = (name, sub)
        else:
            names[f"{PREFIX}{name}".upper()] = (name,)
    return names


VARIABLES = _variables()
CANONICAL = {path: name for name, path in VARIABLES.items()}


# The test suite's own variables share the prefix but are no settings of the bot.
NOT_SETTINGS = ("SXSH_TEST_", "SXSH_HYPOTHESIS_")


def _layers(env_file: Path = Path(".env")) -> list[dict[str, str | None]]:
    """The .env file (when there is one), then the process environment, which wins."""
    layers: list[dict[str, str | None]] = []
    if env_file.is_file():
        layers.append(dotenv_values(env_file, encoding="utf-8"))
    layers.append(dict(os.environ))
    return layers


def unknown_variables() -> list[str]:
    """`SXSH_` names set in the environment or .env that are no setting, each with the setting
    it most likely meant: a misspelt SXSH_TELEGRAM_TOKEN would start a bot without its token."""
    import difflib

    known = [*VARIABLES, *LEGACY_NAMES]
    lines = []
    for name in sorted({k.upper() for layer in _layers() for k in layer}):
        if not name.startswith(PREFIX) or name in known or name.startswith(NOT_SETTINGS):
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        hint = f" (did you mean {close[0]}?)" if close else " (README, Configuration)"
        lines.append(f"{name} is not a setting{hint}")
    return lines


def _read_environment(env_file: Path = Path(".env")) -> dict[tuple[str, ...], tuple[str, str]]:
    """Values by path, each with the variable it came from: the process environment over the
    .env file, a canonical name over a legacy one."""
    found: dict[tuple[str, ...], tuple[str, str]] = {}
    for layer in _layers(env_file):
        # Spaces and a Windows line end around a value are no part of it: an env file saved
        # with CRLF and sourced by the shell gave 'off\r', refused as "not a valid boolean".
        upper = {k.upper(): v.strip() for k, v in layer.items() if v is not None}
        for table in (LEGACY_NAMES, VARIABLES):
            for name, path in table.items():
                if name in upper:
                    found[path] = (upper[name], name)
    return found


def _nest(flat: dict[tuple[str, ...], Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in flat.items():
        if len(path) == 1:
            out[path[0]] = value
        else:
            out.setdefault(path[0], {})[path[1]] = value
    return out


class _EnvSource(PydanticBaseSettingsSource):
    """SXSH_<AREA>_<FIELD> from the environment and .env, plus LEGACY_NAMES."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads everything at once

    def __call__(self) -> dict[str, Any]:
        return _nest({path: value for path, (value, _) in _read_environment().items()})


def _from_overrides(overrides: dict[str, object]) -> dict[str, Any]:
    """Keyword overrides by variable name without the prefix (`telegram_token=...`,
    `webhook_secret=...`) or by area (`telegram={"token": ...}`)."""
    flat: dict[tuple[str, ...], object] = {}
    nested: dict[str, Any] = {}
    for key, value in overrides.items():
        name = f"{PREFIX}{key}".upper()
        path = VARIABLES.get(name) or LEGACY_NAMES.get(name)
        if key in AREAS and isinstance(value, dict | BaseModel) or path is None:
            nested[key] = value
        else:
            flat[path] = value
    for area, values in _nest(flat).items():
        if isinstance(values, dict) and isinstance(nested.get(area), dict):
            nested[area] = {**values, **nested[area]}
        else:
            nested.setdefault(area, values)
    return nested


def load_settings(**overrides: object) -> Settings:
    """Build settings or raise SettingsError with one line per wrong variable.

    Keyword overrides (tests, the CLI) win over the environment; they use the variable names
    without the prefix (`database_url=`, `telegram_token=`) or whole areas (`telegram={...}`).
    A variable with the prefix that is no setting (a typo) is an error too."""
    unknown = unknown_variables()
    if unknown:
        raise SettingsError("; ".join(unknown))
    try:
        return Settings(**_from_overrides(overrides))
    except ValidationError as exc:
        origin = {path: name for path, (_, name) in _read_environment().items()}
        lines = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            path = tuple(str(p) for p in err["loc"][:2])
            name = origin.get(path) or CANONICAL.get(path)
            if name and not msg.startswith(PREFIX):
                msg = f"{name}: {msg}"
            elif not name and path and not msg.startswith(PREFIX):
                msg = f"{PREFIX}{'_'.join(path).upper()}: {msg}"
            lines.append(msg)
        raise SettingsError("; ".join(lines)) from None


def configure_search(settings: Settings) -> None:
    """The matcher's embedding model follows the search settings (content reads no
    environment). Every process that loads content calls it first (run, serve, worker, ask)."""
    from content.search import Embedder, EmbeddingOptions

    s = settings.search
    Embedder.options = EmbeddingOptions(
        enabled=s.embeddings, cache_dir=s.cache_dir, threads=s.threads
    )
