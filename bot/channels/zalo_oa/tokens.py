"""The OA's access token: read from the database, refreshed before it expires (and when Zalo
says -216/-220) with the single-use refresh token (CHANNELS.md "Tokens").

Refreshing holds the token row's lock (PostgreSQL row lock, SQLite write lock) across the HTTP
call, so of many processes and many concurrent sends exactly one refreshes; the others wait, then
read the new pair. The new pair is written in that same transaction, before anyone uses it. A
refused refresh marks the channel "needs re-authorisation" and alerts officers (`alert`). The
HTTP timeout is shorter than the database's lock wait (SQLite busy_timeout 30 s), so a waiter
never gives up before the refresher is done.

Tokens never reach a log line or an exception text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.engine import Engine

from bot.channels.errors import ChannelDown, Retryable
from bot.channels.zalo_oa.sealing import Sealer
from handlers.clock import Clock
from storage import zalo_oa as store
from storage.db import session_scope

log = logging.getLogger(__name__)

TOKEN_PATH = "/v4/oa/access_token"
# Refresh at least twice a day even when the token would last longer (CHANNELS.md).
MAX_AGE = timedelta(hours=12)
# Not authorised / needs re-authorisation is a state in the database, read without calling
# Zalo: the lane looks again after a minute, so `sxsh-bot zalo authorize` takes effect within
# one in every process (with the usual hour, held answers waited up to an hour after it).
RECHECK = 60


@dataclass(frozen=True)
class Pair:
    access: str
    refresh: str
    expires_in: float  # seconds


class RefreshRefused(Exception):
    """The token endpoint refused (its error_name / error_reason, never a token)."""


def exchange_request(
    oauth_url: str, app_id: str, app_secret: str, grant: dict[str, str]
) -> tuple[str, dict[str, str], dict[str, str]]:
    """URL, headers and form of a token request: `grant` is {"grant_type": "refresh_token",
    "refresh_token": ...} or {"grant_type": "authorization_code", "code": ...}."""
    url = oauth_url.rstrip("/") + TOKEN_PATH
    return url, {"secret_key": app_secret}, {"app_id": app_id, **grant}


def parse_pair(body: object) -> Pair:
    """A successful token answer; RefreshRefused for an error answer (HTTP 200 with
    error_name/error_reason) or one without both tokens. `expires_in` is a string of seconds."""
    if not isinstance(body, dict):
        raise RefreshRefused("the token endpoint answered something that is not JSON")
    access, refresh = body.get("access_token"), body.get("refresh_token")
    if not access or not refresh:
        name = str(body.get("error_name") or body.get("error") or "no tokens")[:60]
        reason = str(body.get("error_reason") or body.get("error_description") or "")[:120]
        raise RefreshRefused(f"{name}: {reason}".strip(": "))
    try:
        expires_in = float(body.get("expires_in") or 0)
    except (TypeError, ValueError):
        expires_in = 0.0
    return Pair(str(access), str(refresh), expires_in or 3600.0)


class TokenKeeper:
    """Access tokens for the OA's API calls. `exchange` does the token endpoint's HTTP call
    (blocking, in a worker thread while the lock is held); `after_exchange` is called with the
    new pair before it is stored (tests use it to crash there)."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        app_id: str,
        app_secret: str,
        oauth_url: str,
        margin: timedelta = timedelta(hours=6),
        http_timeout: float = 10.0,
        alert: Callable[[str], None] | None = None,
        after_exchange: Callable[[Pair], None] | None = None,
        sealer: Sealer | None = None,
    ):
        self.engine, self.clock = engine, clock
        self.sealer = sealer or Sealer()  # tokens at rest: encrypted when a key is set
        self.app_id, self.app_secret, self.oauth_url = app_id, app_secret, oauth_url
        self.margin, self.http_timeout = margin, http_timeout
        self.alert = alert or (lambda reason: None)
        self.after_exchange = after_exchange
        self._lock: asyncio.Lock | None = None

    @classmethod
    def from_settings(cls, engine: Engine, clock: Clock, settings, **kw) -> TokenKeeper:  # noqa: ANN001
        s = settings  # ZaloOASettings
        return cls(
            engine,
            clock,
            app_id=s.app_id or "",
            app_secret=s.app_secret.get_secret_value() if s.app_secret else "",
            oauth_url=s.oauth_url,
            margin=timedelta(hours=s.refresh_margin_hours),
            http_timeout=s.http_timeout,
            sealer=Sealer(s.token_key.get_secret_value() if s.token_key else None),
            **kw,
        )

    def _open(self, stored: str) -> str:
        """A stored token, decrypted; a missing or wrong key stops the lane (ChannelDown) and
        tells officers too, as a refused refresh does (the log alone reached no one)."""
        try:
            return self.sealer.open(stored)
        except ChannelDown as exc:
            self.alert(exc.reason)
            raise

    async def access_token(self) -> str:
        """A token good for at least the margin; refreshes first when it is not."""
        row = await asyncio.to_thread(self._read)
        if self._fresh(row):
            return self._open(row.access_token)
        return await self.refresh(bad=None)

    async def refresh(self, bad: str | None) -> str:
        """A new access token: `bad` is the one Zalo just refused (-216/-220), or None when
        the token is due. Someone else's refresh meanwhile is used instead of a second one."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # one thread per process waits on the database lock
            return await asyncio.to_thread(self._refresh_locked, bad)

    # -- blocking parts (worker threads) --------------------------------------------------
    def _read(self):  # noqa: ANN202
        with session_scope(self.engine) as session:
            row = store.token(session)
        if row is None or not row.refresh_token:
            raise ChannelDown("zalo_oa not authorised: run `sxsh-bot zalo authorize`", RECHECK)
        if row.state == store.NEEDS_REAUTHORISATION:
            raise ChannelDown(f"zalo_oa needs re-authorisation ({row.reason})", RECHECK)
        return row

    def _fresh(self, row) -> bool:  # noqa: ANN001
        now = self.clock.now()
        if row.expires_at is None or row.expires_at - now <= self.margin:
            return False
        return row.refreshed_at is None or now - row.refreshed_at < MAX_AGE

    def _refresh_locked(self, bad: str | None) -> str:
        refused: str | None = None
        with session_scope(self.engine) as session:
            row = store.lock_token(session)
            if row is None or not row.refresh_token:
                raise ChannelDown("zalo_oa not authorised: run `sxsh-bot zalo authorize`", RECHECK)
            if row.state == store.NEEDS_REAUTHORISATION:
                raise ChannelDown(f"zalo_oa needs re-authorisation ({row.reason})", RECHECK)
            current = self._open(row.access_token)
            if current != bad and self._fresh(row):
                return current  # another sender or process refreshed meanwhile
            try:
                pair = self._exchange(
                    {
                        "grant_type": "refresh_token",
                        "refresh_token": self._open(row.refresh_token),
                    }
                )
            except RefreshRefused as exc:
                refused = str(exc)
                store.mark_needs_reauthorisation(session, refused)
            else:
                if self.after_exchange is not None:
                    self.after_exchange(pair)
                now = self.clock.now()
                expires = now + timedelta(seconds=pair.expires_in)
                self._store(session, pair, expires, now)
                log.info("zalo_oa access token refreshed, valid %.1f h", pair.expires_in / 3600)
                return pair.access
        # Committed: every process sees the state; now tell people.
        log.error("zalo_oa token refresh refused (%s): the channel needs re-authorisation", refused)
        self.alert(f"zalo_oa needs re-authorisation: {refused}")
        raise ChannelDown(f"zalo_oa needs re-authorisation ({refused})", RECHECK)

    def _store(self, session, pair: Pair, expires: datetime, now: datetime):  # noqa: ANN001, ANN202
        seal = self.sealer.seal
        return store.store_pair(session, seal(pair.access), seal(pair.refresh), expires, now)

    def _exchange(self, grant: dict[str, str]) -> Pair:
        url, headers, form = exchange_request(self.oauth_url, self.app_id, self.app_secret, grant)
        try:
            with httpx.Client(timeout=self.http_timeout) as http:
                response = http.post(url, headers=headers, data=form)
        except httpx.HTTPError as exc:
            # Unknown whether Zalo used the refresh token: try again later; if it did, that
            # refresh is refused and the channel is marked then.
            raise Retryable(f"token endpoint: {type(exc).__name__}") from None
        if response.status_code >= 500:
            raise Retryable(f"token endpoint: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = None
        return parse_pair(body)


def authorize(
    engine: Engine,
    clock: Clock,
    settings,  # noqa: ANN001 - ZaloOASettings
    *,
    code: str | None = None,
    refresh_token: str | None = None,
    code_verifier: str | None = None,
) -> datetime:
    """First tokens: exchange an authorization code (or a pasted refresh token) and store the
    pair. Returns when the access token expires; RefreshRefused when Zalo refuses."""
    keeper = TokenKeeper.from_settings(engine, clock, settings)
    if code:
        grant = {"grant_type": "authorization_code", "code": code}
        if code_verifier:
            grant["code_verifier"] = code_verifier
    elif refresh_token:
        grant = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    else:
        raise ValueError("an authorization code or a refresh token is needed")
    with session_scope(engine) as session:
        store.lock_token(session)
        pair = keeper._exchange(grant)
        now = clock.now()
        row = keeper._store(session, pair, now + timedelta(seconds=pair.expires_in), now)
        return row.expires_at
