"""The Zalo Bot platform API: `POST {api_url}/bot<TOKEN>/<method>` with JSON, answers
`{"ok": true, "result": ...}` or `{"ok": false, "error_code": N, "description": ...}`. The URL
holds the token: it is never logged (httpx logs at WARNING only, bot/app.py)."""

from __future__ import annotations

from typing import Any

import httpx

from bot.channels.errors import (
    Blocked,
    ChannelDown,
    Permanent,
    Retryable,
    SendError,
    Throttled,
    Unreachable,
)

NOTHING_NEW = 408  # getUpdates found no update within its timeout: not an error


class ZaloBotError(Exception):
    def __init__(self, code: int, description: str = "", retry_after: float | None = None):
        super().__init__(f"zalo_bot {code}: {description[:120]}")
        self.code, self.description, self.retry_after = code, description[:120], retry_after


def classify(exc: ZaloBotError) -> SendError:
    """The neutral send error (as Telegram's: 403 blocked, 429 slow down, 400 chat not found
    unreachable, 401 a bad token stops the channel, 5xx retried)."""
    reason = f"zalo_bot {exc.code}: {exc.description}".strip()
    if exc.code == 403:
        return Blocked(reason)
    if exc.code == 429:
        return Throttled(exc.retry_after or 30.0, reason)
    if exc.code == 401:
        return ChannelDown(reason)
    if exc.code >= 500:
        return Retryable(reason)
    if exc.code in (400, 404) and "not found" in exc.description.lower():
        return Unreachable(reason)
    return Permanent(reason)


class ZaloBotClient:
    def __init__(self, api_url: str, token: str, http: httpx.AsyncClient):
        self._root = f"{api_url.rstrip('/')}/bot{token}/"
        self.http = http

    async def call(
        self, method: str, params: dict | None = None, *, http_timeout: float | None = None
    ) -> Any:
        """The method's result; ZaloBotError when the platform refuses, Retryable on network
        faults and answers that are not JSON."""
        try:
            response = await self.http.post(
                self._root + method,
                json=params or {},
                timeout=http_timeout if http_timeout is not None else self.http.timeout,
            )
        except httpx.HTTPError as exc:
            raise Retryable(f"zalo_bot: {type(exc).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            raise ZaloBotError(response.status_code, "not JSON") from None
        if isinstance(body, dict) and body.get("ok"):
            return body.get("result")
        body = body if isinstance(body, dict) else {}
        params_ = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
        code = int(body.get("error_code") or response.status_code or 500)
        raise ZaloBotError(code, str(body.get("description") or ""), params_.get("retry_after"))
