"""The settings of each area (Telegram, Zalo OA, Zalo Bot, web server, delivery, search, limits),
one pydantic model per area; bot/settings.py nests them as `settings.<area>` and reads each field
from `SXSH_<AREA>_<FIELD>`. Validators raise ValueError with a message that never echoes a secret.
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

TELEGRAM_TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")

MIN_WEBHOOK_SECRET = 32  # characters; shorter ones can be guessed (issue 8 item 14)


class _Area(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


def _blank_secret(v: SecretStr | str | None) -> SecretStr | None:
    if v is None:
        return None
    raw = v.get_secret_value() if isinstance(v, SecretStr) else str(v)
    return SecretStr(raw.strip()) if raw.strip() else None


def _web_root(v: str) -> str:
    """An API root the HTTP clients can call: `api.telegram.org` (no scheme) was accepted and
    failed only at the first call, as 'could not be reached'."""
    if not v.startswith(("https://", "http://")) or len(v.split("://", 1)[1].strip("/")) == 0:
        raise ValueError(f"{v!r} is not a web address, e.g. https://api.example.vn")
    return v


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

    @field_validator("api_url")
    @classmethod
    def _roots(cls, v: str) -> str:
        return _web_root(v)

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
    # Fernet key(s) for the tokens at rest (bot/channels/zalo_oa/sealing.py); unset: stored as
    # they are. Several, comma-separated: the first encrypts, all decrypt (rotation).
    token_key: SecretStr | None = None
    api_url: str = "https://openapi.zalo.me"
    oauth_url: str = "https://oauth.zaloapp.com"

    @field_validator("api_url", "oauth_url")
    @classmethod
    def _roots(cls, v: str) -> str:
        return _web_root(v)

    webhook_path: str = "/zalo/oa"
    text_limit: int = Field(default=2000, ge=1)  # characters per message
    max_buttons: int = Field(default=5, ge=0)
    reply_window_hours: float = Field(default=48, gt=0)  # free replies to a person's message
    replies_per_message: int = Field(default=8, ge=0)
    interaction_window_days: float = Field(default=7, gt=0)  # past it: not reachable
    # An upload is reused this long (Zalo keeps it 7 days; an hour's margin), then uploaded anew.
    upload_reuse_hours: float = Field(default=167, ge=0)
    refresh_margin_hours: float = Field(default=6, gt=0)  # refresh when less remains
    http_timeout: float = Field(default=10, gt=0)  # seconds; the refresh lock outlives it

    @field_validator("app_secret", "oa_secret_key", "token_key", mode="before")
    @classmethod
    def _blank(cls, v: object) -> SecretStr | None:
        return _blank_secret(v)  # type: ignore[arg-type]

    @field_validator("token_key")
    @classmethod
    def _fernet_keys(cls, v: SecretStr | None) -> SecretStr | None:
        from bot.channels.zalo_oa.sealing import key_problem

        problem = key_problem(v.get_secret_value()) if v is not None else None
        if problem:
            raise ValueError(problem)  # says which key and why, never the key
        return v

    @property
    def enabled(self) -> bool:
        return bool(self.app_id and self.oa_secret_key)

    def left_off(self) -> str | None:
        """Why the channel is off although some of its keys are set (one line for the log of
        serve and worker), else None: with the OA secret key missing, Zalo's webhook calls
        got 404 and nothing said why."""
        keys = {"SXSH_ZALO_OA_APP_ID": self.app_id, "SXSH_ZALO_OA_APP_SECRET": self.app_secret,
                "SXSH_ZALO_OA_OA_SECRET_KEY": self.oa_secret_key}  # fmt: skip
        missing = [name for name, value in keys.items() if not value]
        if not missing or len(missing) == len(keys):
            return None
        state = "off" if not self.enabled else "on but cannot renew its token"
        return f"Zalo OA is {state}: {' and '.join(missing)} not set (README, Configuration)"


class ZaloBotSettings(_Area):
    """The Zalo Bot platform (Telegram-like); on when `token` is set."""

    token: SecretStr | None = None
    api_url: str = "https://bot-api.zaloplatforms.com"

    @field_validator("api_url")
    @classmethod
    def _roots(cls, v: str) -> str:
        return _web_root(v)

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

    @field_validator("listen")
    @classmethod
    def _address(cls, v: str) -> str:
        """An IP address or a host name: 'localhost:8443' passed and `serve` then stopped with
        uvicorn's '[Errno -2] Name or service not known', naming no setting."""
        import ipaddress
        import re

        try:
            ipaddress.ip_address(v)
            return v
        except ValueError:
            pass
        if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?", v):
            raise ValueError(
                f"{v!r}: an address without a port or scheme, e.g. 127.0.0.1 "
                "(the port is SXSH_WEB_PORT)"
            )
        return v


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

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, v: str | None) -> str | None:
        """Checked at start: a wrong URL failed only at the first send (a traceback in the
        worker; `serve` said the Bot API could not be reached)."""
        if not v:
            return None
        from urllib.parse import urlsplit

        try:
            url = urlsplit(v)
            url.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            url = None
        if url is None or url.scheme not in {"redis", "rediss", "unix"}:
            raise ValueError("not a Redis URL, e.g. redis://127.0.0.1:6379/0")
        return v


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
    # A reply is tried at least this many times on a 5xx, timeout, connection error or 429,
    # and again until `reply_retry_seconds` after its first try (then dropped, logged).
    reply_attempts: int = Field(default=3, ge=1, le=10)
    reply_retry_seconds: float = Field(default=30, ge=0, le=600)
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
