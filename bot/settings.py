"""Settings from environment variables (prefix SXSH_) and an optional .env file, one group per area.

Each area is a nested model (`settings.telegram.token`, `settings.search.embeddings`), read from
`SXSH_<AREA>_<FIELD>` (`SXSH_TELEGRAM_TOKEN`, `SXSH_ZALO_OA_APP_ID`, `SXSH_SEARCH_THREADS`).
The names used before the split keep working (LEGACY_NAMES). A wrong or missing setting gives one
clear line naming the variable the person set, never a traceback: officers deploy this, not
Python developers.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PREFIX = "SXSH_"
DEFAULT_DB_URL = "sqlite:///./data/sxsh.db"
TELEGRAM_TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
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


MIN_WEBHOOK_SECRET = 32  # characters; shorter ones can be guessed (issue 8 item 14)


class SettingsError(Exception):
    """A setting is wrong; the message is one line that names the variable."""


class _Area(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


def _blank_secret(v: SecretStr | str | None) -> SecretStr | None:
    if v is None:
        return None
    raw = v.get_secret_value() if isinstance(v, SecretStr) else str(v)
    return SecretStr(raw.strip()) if raw.strip() else None


def _long_enough(v: SecretStr | None) -> SecretStr | None:
    if v is not None and len(v.get_secret_value()) < MIN_WEBHOOK_SECRET:
        # The value itself is never echoed: it is a secret.
        raise ValueError(
            f"at least {MIN_WEBHOOK_SECRET} characters, so it cannot be guessed "
            "(e.g. the output of `openssl rand -hex 32`)"
        )
    return v


class TelegramSettings(_Area):
    """The Telegram Bot API channel; on when `token` is set."""

    token: SecretStr | None = None
    api_url: str = "https://api.telegram.org"
    # Webhook mode (PTB's own server on web.listen:web.port) when set; polling otherwise.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None

    @field_validator("token", mode="before")
    @classmethod
    def _token(cls, v: object) -> SecretStr | None:
        v = _blank_secret(v)  # type: ignore[arg-type]
        if v is not None and not TELEGRAM_TOKEN_RE.match(v.get_secret_value()):
            # Never echo the token itself: it is a secret.
            raise ValueError(
                "malformed token, expected <digits>:<35 letters> as given by @BotFather"
            )
        return v

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _secret(cls, v: object) -> SecretStr | None:
        v = _blank_secret(v)  # type: ignore[arg-type]
        if v is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", v.get_secret_value()):
            raise ValueError("1-256 characters from A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return _long_enough(v)

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _url(cls, v: object) -> str | None:
        v = (str(v).strip() or None) if v is not None else None
        if v is not None and not v.startswith("https://"):
            raise ValueError("must start with https:// (Telegram's rule)")
        return v

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> TelegramSettings:
        # Without the secret anyone who finds the URL could post fake updates.
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("SXSH_TELEGRAM_WEBHOOK_SECRET must be set when a webhook URL is set")
        return self


class ZaloOASettings(_Area):
    """Zalo Official Account Open API v3 (../shared/CHANNELS.md); on when app_id and the OA
    secret key are set. Windows, caps and rates are settings because Zalo changes them."""

    app_id: str | None = None
    app_secret: SecretStr | None = None  # `secret_key` header of the token endpoint
    oa_secret_key: SecretStr | None = None  # the OA's own key: webhook signatures
    api_url: str = "https://openapi.zalo.me"
    oauth_url: str = "https://oauth.zaloapp.com"
    webhook_path: str = "/zalo/oa"
    text_limit: int = Field(default=2000, ge=1)  # characters per message
    max_buttons: int = Field(default=5, ge=0)
    reply_window_hours: float = Field(default=48, gt=0)  # free replies to a person's message
    replies_per_message: int = Field(default=8, ge=0)
    interaction_window_days: float = Field(default=7, gt=0)  # past it: not reachable
    refresh_margin_hours: float = Field(default=6, gt=0)  # refresh when less remains
    http_timeout: float = Field(default=10, gt=0)  # seconds; the refresh lock outlives it

    @field_validator("app_secret", "oa_secret_key", mode="before")
    @classmethod
    def _blank(cls, v: object) -> SecretStr | None:
        return _blank_secret(v)  # type: ignore[arg-type]

    @property
    def enabled(self) -> bool:
        return bool(self.app_id and self.oa_secret_key)


class ZaloBotSettings(_Area):
    """The Zalo Bot platform (Telegram-like); on when `token` is set."""

    token: SecretStr | None = None
    api_url: str = "https://bot-api.zaloplatforms.com"
    webhook_url: str | None = None  # webhook mode when set, polling otherwise (never both)
    webhook_secret: SecretStr | None = None
    webhook_path: str = "/zalo/bot"
    poll_timeout: int = Field(default=30, ge=1, le=60)  # seconds a getUpdates call waits
    text_limit: int = Field(default=2000, ge=1)

    @field_validator("token", mode="before")
    @classmethod
    def _blank(cls, v: object) -> SecretStr | None:
        return _blank_secret(v)  # type: ignore[arg-type]

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _secret(cls, v: object) -> SecretStr | None:
        v = _blank_secret(v)  # type: ignore[arg-type]
        if v is not None and len(v.get_secret_value()) > 256:
            raise ValueError("at most 256 characters (the Zalo Bot platform's rule)")
        return _long_enough(v)

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> ZaloBotSettings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("SXSH_ZALO_BOT_WEBHOOK_SECRET must be set when a webhook URL is set")
        return self

    @property
    def enabled(self) -> bool:
        return self.token is not None


class WebSettings(_Area):
    """The HTTP server that receives webhooks (and serves /healthz)."""

    listen: str = "0.0.0.0"
    port: int = Field(default=8443, ge=1, le=65535)
    max_body_bytes: int = Field(default=1_000_000, ge=1024)  # a webhook body larger is refused


class DeliverySettings(_Area):
    """The outbox: how often it is looked at, how much at a time, retries and rates."""

    interval_seconds: float = Field(default=20, gt=0)
    batch: int = Field(default=50, ge=1)
    max_attempts: int = Field(default=8, ge=1)  # then the row's final state names the reason
    backoff_seconds: float = Field(default=30, gt=0)  # first retry; doubles up to the maximum
    backoff_max_seconds: float = Field(default=3600, gt=0)
    # Telegram: about 30 messages a second in all and 1 a second per chat (Bot API FAQ).
    rate_per_second: float = Field(default=30, gt=0)
    rate_per_chat_per_second: float = Field(default=1, gt=0)
    # A limiter shared by every process (e.g. redis://127.0.0.1:6379/0); in-process when unset.
    redis_url: str | None = None


class SearchSettings(_Area):
    """The question matcher's optional sentence-embedding model."""

    embeddings: bool = True  # off: BM25 alone
    # Where content-text vectors are cached; unset: $XDG_CACHE_HOME/sxsh-bot or ~/.cache/sxsh-bot
    cache_dir: Path | None = None
    # The model's CPU threads; 1 keeps one question's latency independent of busy neighbours.
    threads: int = Field(default=1, ge=1, le=64)


class LimitSettings(_Area):
    """How much one person can make the bot do, and how hard a reply is tried (bot/flood.py,
    the Telegram channel's update processor and request limiter)."""

    # A person may send `flood_burst` messages at once, then `flood_per_minute` (0: no limit).
    # 30 lets a whole assessment be answered by quick button presses; people type < 1 a second.
    flood_burst: int = Field(default=30, ge=0)
    flood_per_minute: float = Field(default=60, gt=0)
    # Different people's messages handled at the same time; one person's always in order.
    concurrent_people: int = Field(default=16, ge=1, le=256)
    # A reply is tried this many times on a 5xx, timeout or connection error (then dropped, logged).
    reply_attempts: int = Field(default=3, ge=1, le=10)
    # A 429 asking one chat to wait longer than this is not waited out for a reply.
    reply_max_wait_seconds: float = Field(default=60, ge=0)


class TicketSettings(_Area):
    """Tickets (handlers/tickets): reopening, reminders to officers and their working hours."""

    # A message within this many days after a ticket closed reopens it (0: never).
    reopen_days: int = Field(default=3, ge=0, le=60)
    # Officers are reminded of a ticket nobody claimed after this many working hours.
    remind_after_hours: float = Field(default=4, gt=0, le=200)
    # Working hours in the settings' time zone, Monday to the `work_days`th day (5: Mon–Fri).
    work_start: time = time(7, 30)
    work_end: time = time(17, 0)
    work_days: int = Field(default=5, ge=1, le=7)
    digest_at: time = time(7, 30)  # the daily digest, on working days

    @model_validator(mode="after")
    def _hours_in_order(self) -> TicketSettings:
        if self.work_end <= self.work_start:
            raise ValueError("SXSH_TICKETS_WORK_END must be later than SXSH_TICKETS_WORK_START")
        return self


AREAS: dict[str, type[_Area]] = {
    "telegram": TelegramSettings,
    "zalo_oa": ZaloOASettings,
    "zalo_bot": ZaloBotSettings,
    "web": WebSettings,
    "delivery": DeliverySettings,
    "search": SearchSettings,
    "limits": LimitSettings,
    "tickets": TicketSettings,
}


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
            raise ValueError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
        return v

    @field_validator("officer_ids", mode="before")
    @classmethod
    def _officers(cls, v: object) -> list[str]:
        return parse_officer_ids(v)

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


def _read_environment(env_file: Path = Path(".env")) -> dict[tuple[str, ...], tuple[str, str]]:
    """Values by path, each with the variable it came from: the process environment over the
    .env file, a canonical name over a legacy one."""
    found: dict[tuple[str, ...], tuple[str, str]] = {}
    layers: list[dict[str, str | None]] = []
    if env_file.is_file():
        layers.append(dotenv_values(env_file, encoding="utf-8"))
    layers.append(dict(os.environ))
    for layer in layers:
        upper = {k.upper(): v for k, v in layer.items() if v is not None}
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
    without the prefix (`database_url=`, `telegram_token=`) or whole areas (`telegram={...}`)."""
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
