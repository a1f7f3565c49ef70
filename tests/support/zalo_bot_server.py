"""A local Zalo Bot platform server that follows ../shared/CHANNELS.md, over real HTTP.

* `POST /bot<TOKEN>/<method>`, JSON; `{"ok": true, "result": ...}` or `{"ok": false,
  "error_code": N, "description": ...}`; a wrong token gets 401.
* getUpdates hands out one update (no offset) and forgets it; with nothing new it answers
  `error_code` 408 after its timeout; while a webhook is registered it never returns an update
  (the platform silently starves polling).
* setWebhook (`url`, `secret_token` of 8-256 characters) / deleteWebhook / getWebhookInfo; with a
  webhook, a person's update is posted to it with the `X-Bot-Api-Secret-Token` header.
* sendMessage (`chat_id`, `text` of 1-2000 characters) recorded in `calls`; errors on demand
  (`fail`).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from tests.support.telegram_server import free_port

TOKEN = "2104123456:zalo-bot-token-for-tests_0123456789"


@dataclass
class Call:
    method: str
    params: dict[str, Any]


class FakeZaloBot:
    def __init__(self, token: str = TOKEN, max_poll: float = 1.0):
        self.token, self.max_poll = token, max_poll
        self.port = free_port()
        self.calls: list[Call] = []
        self.webhook: dict[str, str] | None = None
        self._updates: asyncio.Queue[dict] = asyncio.Queue()
        self._failures: list[tuple[str, int, str]] = []
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> FakeZaloBot:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def fail(self, method: str, code: int, description: str = "error on demand") -> None:
        self._failures.append((method, code, description))

    def clear_failures(self) -> None:
        """The platform is back: the failures asked for and not yet given are dropped."""
        self._failures.clear()

    # -- people ----------------------------------------------------------------------------
    def update(self, text: str | None, chat: str = "u1", name: str = "Lan", **extra: Any) -> dict:
        message: dict[str, Any] = {
            "message_id": f"mid{next(self._ids):05d}",
            "date": int(time.time() * 1000),
            "chat": {"id": chat, "chat_type": extra.pop("chat_type", "PRIVATE")},
            "from": {"id": chat, "display_name": name, "is_bot": False},
        }
        event = extra.pop("event_name", "message.text.received")
        if text is not None:
            message["text"] = text
        message.update(extra)
        return {"event_name": event, "message": message}

    async def user_sends(self, text: str, chat: str = "u1") -> dict:
        """Queued for getUpdates, or posted to the webhook (its HTTP status in `last_status`)."""
        update = self.update(text, chat)
        if self.webhook is None:
            await self._updates.put(update)
            return update
        headers = {"X-Bot-Api-Secret-Token": self.webhook["secret_token"]}
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                self.webhook["url"], json={"ok": True, "result": update}, headers=headers
            ) as response,
        ):
            self.last_status = response.status
        return update

    def texts(self, chat: str) -> list[str]:
        return [c.params["text"] for c in self.calls  # accepted ones: not the failures on demand
                if c.method == "sendMessage" and str(c.params.get("chat_id")) == chat
                and "_error" not in c.params]  # fmt: skip

    async def wait_for_call(self, method: str, within: float = 10) -> None:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: any(c.method == method for c in self.calls))

    async def wait_for_texts(self, chat: str, n: int, within: float = 20) -> list[str]:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(self.texts(chat)) >= n)
        return self.texts(chat)

    # -- the API ---------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        try:
            params = await request.json()
        except ValueError:
            params = {}
        for i, (where, code, description) in enumerate(self._failures):
            if where == method:
                del self._failures[i]
                self.calls.append(Call(method, {**params, "_error": code}))
                if code >= 500:
                    return web.Response(status=code, text="Bad Gateway")
                return _error(code, description)
        if method == "getUpdates":
            return await self._get_updates(params)
        self.calls.append(Call(method, params))
        async with self._changed:
            self._changed.notify_all()
        if method == "getMe":
            return _ok({"id": "2104123456", "account_name": "sxsh.bot", "can_join_groups": False})
        if method == "setWebhook":
            secret = str(params.get("secret_token") or "")
            if not str(params.get("url", "")).startswith(("https://", "http://")):
                return _error(400, "Bad Request: bad webhook url")
            if not 8 <= len(secret) <= 256:
                return _error(400, "Bad Request: secret_token must be 8-256 characters")
            self.webhook = {"url": params["url"], "secret_token": secret}
            return _ok(True)
        if method == "deleteWebhook":
            self.webhook = None
            return _ok(True)
        if method == "getWebhookInfo":
            return _ok({"url": (self.webhook or {}).get("url", "")})
        if method in ("sendMessage", "sendChatAction", "sendPhoto", "sendSticker"):
            text = params.get("text")
            if method == "sendMessage" and not (isinstance(text, str) and 1 <= len(text) <= 2000):
                return _error(400, "Bad Request: text must be 1-2000 characters")
            return _ok({"message_id": f"out{next(self._ids)}", "date": int(time.time() * 1000)})
        return _error(404, "Not Found: method")

    async def _get_updates(self, params: dict) -> web.Response:
        self.calls.append(Call("getUpdates", params))
        wait = min(float(params.get("timeout") or 0), self.max_poll)
        if self.webhook is not None:  # polling is starved while a webhook is registered
            await asyncio.sleep(wait)
            return _error(408, "Request timeout")
        try:
            update = await asyncio.wait_for(self._updates.get(), wait)
        except TimeoutError:
            return _error(408, "Request timeout")
        return _ok(update)


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": code, "description": description})
