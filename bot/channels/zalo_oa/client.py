"""The Open API's HTTP calls: the `access_token` header (not Bearer), JSON or multipart bodies,
errors that come with HTTP 200 raised as ZaloError, and the one refresh-and-retry on -216/-220."""

from __future__ import annotations

from typing import Any

import httpx

from bot.channels.errors import Retryable
from bot.channels.zalo_oa.codes import TOKEN_CODES, ZaloError
from bot.channels.zalo_oa.tokens import TokenKeeper


class ZaloOAClient:
    """`http` is shared by every call of the process (connection pool); its timeout is the
    settings' http_timeout."""

    def __init__(self, api_url: str, tokens: TokenKeeper, http: httpx.AsyncClient):
        self.api_url = api_url.rstrip("/")
        self.tokens, self.http = tokens, http

    async def call(
        self, path: str, *, json: dict | None = None, files: dict | None = None
    ) -> dict[str, Any]:
        """POST `path`; the answer's JSON when `error` is 0. Raises ZaloError with Zalo's code,
        Retryable for timeouts, connection errors and 5xx. A token Zalo calls invalid or expired
        is refreshed (once, under the database lock) and the call tried once more."""
        token = await self.tokens.access_token()
        for attempt in (1, 2):
            try:
                response = await self.http.post(
                    self.api_url + path, headers={"access_token": token}, json=json, files=files
                )
            except httpx.HTTPError as exc:
                raise Retryable(f"zalo: {type(exc).__name__}") from None
            if response.status_code >= 500 or response.status_code == 429:
                raise Retryable(f"zalo: HTTP {response.status_code}")
            try:
                body = response.json()
            except ValueError:
                raise Retryable(f"zalo: HTTP {response.status_code}, not JSON") from None
            code = int(body.get("error", 0) or 0) if isinstance(body, dict) else -1
            if code == 0:
                return body
            if code in TOKEN_CODES and attempt == 1:
                token = await self.tokens.refresh(bad=token)
                continue
            raise ZaloError(code, str(body.get("message", "")) if isinstance(body, dict) else "")
        raise AssertionError("unreachable")  # pragma: no cover
