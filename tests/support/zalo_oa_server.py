"""A local Zalo Official Account server that follows ../shared/CHANNELS.md, over real HTTP.

    async with FakeZaloOA(clock) as srv:
        settings = srv.settings(db_url)                # SXSH_ZALO_OA_* pointing here
        srv.webhook_url = "http://127.0.0.1:PORT/zalo/oa"
        event = await srv.user_sends("u1", "Sản xuất sạch hơn là gì?")
        [sent] = await srv.wait_for_messages("u1", 1)

What it models:

* The Open API (`/v3.0/oa/message/cs`, `/v2.0/oa/message` for anonymous people, the upload
  endpoints, `/v3.0/oa/quota/message`): the `access_token` header checked (-216 unknown, -220
  expired), every error with HTTP 200 and `{"error": -NNN}`; the reply form (`message_id`) free
  for 8 replies within 48 h of that message, the proactive form (`user_id`) counted in
  `proactive`, -230 past 7 days without a message from the person; text over 2000 characters
  and more than 5 buttons refused (-210).
* The token endpoint (`/v4/oa/access_token`, form-encoded, `secret_key` header): single-use
  refresh tokens, `expires_in` as a string, refusals with HTTP 200 and error_name/error_reason;
  `refreshes` counts the pairs it gave out; `token_delay` makes a refresh slow.
* Webhooks: events the person sends are signed (`X-ZEvent-Signature`) and posted to
  `webhook_url`; a delivery that does not get 200 is tried again on the retry schedule
  (`retry_delays`, 30 s ... 1 h in Zalo, short in tests) with the `num_retry` header.
* Errors on demand: `fail(code, times, path)` makes the next calls answer with that code.

The clock is the bot's injected clock, so windows move without waiting.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.zalo_oa import signature
from tests.support.telegram_server import free_port

APP_ID = "1234567890"
OA_ID = "579745863508352884"
OA_SECRET = "OA_SECRET_for_tests_8d1f0c"
APP_SECRET = "APP_SECRET_for_tests_27ab9e"

REPLY_WINDOW = timedelta(hours=48)
REPLIES_PER_MESSAGE = 8
INTERACTION_WINDOW = timedelta(days=7)


@dataclass
class Call:
    path: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    access_token: str | None = None


@dataclass
class _Inbound:
    msg_id: str
    at: datetime
    replies: int = 0


class FakeZaloOA:
    def __init__(self, clock, *, token_lifetime: int = 90_000):  # noqa: ANN001
        self.clock = clock
        self.token_lifetime = token_lifetime
        self.port = free_port()
        self.calls: list[Call] = []
        self.token_calls: list[dict[str, str]] = []
        self.refreshes = 0
        self.proactive = 0
        self.free = 0
        self.token_delay = 0.0
        self.upload_delay = 0.0  # seconds an upload takes (concurrent senders race meanwhile)
        self.webhook_url: str | None = None
        self.retry_delays: list[float] = [0.05, 0.1, 0.2, 0.4, 0.8]  # Zalo: 30 s ... 1 h
        self.deliveries: list[tuple[int, int]] = []  # (num_retry, HTTP status) per delivery
        self._access: dict[str, datetime] = {}  # token -> expiry
        self._refresh: set[str] = set()
        self._codes: set[str] = set()
        self._inbound: dict[str, _Inbound] = {}  # msg_id -> the person's message
        self._last: dict[str, datetime] = {}  # user -> their last message
        self._failures: list[tuple[str | None, int]] = []
        self._ids = itertools.count(1)
        self._uploads = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task] = set()
        self._changed = asyncio.Condition()

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> FakeZaloOA:
        app = web.Application(client_max_size=10_000_000)
        app.router.add_post("/v4/oa/access_token", self._token)
        app.router.add_post("/{path:.*}", self._api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()

    def settings_env(self) -> dict[str, str]:
        """SXSH_* variables that point a bot (or a `serve` process) here."""
        return {
            "SXSH_ZALO_OA_APP_ID": APP_ID,
            "SXSH_ZALO_OA_APP_SECRET": APP_SECRET,
            "SXSH_ZALO_OA_OA_SECRET_KEY": OA_SECRET,
            "SXSH_ZALO_OA_API_URL": self.url,
            "SXSH_ZALO_OA_OAUTH_URL": self.url,
        }

    def settings_kwargs(self) -> dict[str, Any]:
        return {
            "zalo_oa": {
                "app_id": APP_ID,
                "app_secret": APP_SECRET,
                "oa_secret_key": OA_SECRET,
                "api_url": self.url,
                "oauth_url": self.url,
            }
        }

    # -- tokens ----------------------------------------------------------------------------
    def issue_pair(self, lifetime: int | None = None) -> tuple[str, str]:
        access, refresh = "at_" + secrets.token_urlsafe(24), "rt_" + secrets.token_urlsafe(24)
        life = self.token_lifetime if lifetime is None else lifetime
        self._access[access] = self.clock.now() + timedelta(seconds=life)
        self._refresh.add(refresh)
        return access, refresh

    def authorization_code(self) -> str:
        code = "code_" + secrets.token_urlsafe(12)
        self._codes.add(code)
        return code

    def expire_access_tokens(self) -> None:
        """Every access token given out so far is expired now (-220)."""
        for token in self._access:
            self._access[token] = self.clock.now() - timedelta(seconds=1)

    def refresh_token_valid(self, token: str) -> bool:
        return token in self._refresh

    async def _token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.token_calls.append({k: str(v) for k, v in form.items()})
        if self.token_delay:
            await asyncio.sleep(self.token_delay)
        if request.headers.get("secret_key") != APP_SECRET or form.get("app_id") != APP_ID:
            return _refused("invalid_client", "Invalid app secret", -14002)
        grant = form.get("grant_type")
        if grant == "refresh_token":
            if form.get("refresh_token") not in self._refresh:
                return _refused("invalid_grant", "Invalid refresh token", -14014)
            self._refresh.discard(str(form["refresh_token"]))  # single use
        elif grant == "authorization_code":
            if form.get("code") not in self._codes:
                return _refused("invalid_grant", "Invalid authorization code", -14019)
            self._codes.discard(str(form["code"]))
        else:
            return _refused("unsupported_grant_type", "Unsupported grant", -14001)
        access, refresh = self.issue_pair()
        self.refreshes += 1
        return web.json_response(
            {
                "access_token": access,
                "refresh_token": refresh,
                "expires_in": str(self.token_lifetime),
            }
        )

    # -- the Open API ----------------------------------------------------------------------
    def fail(self, code: int, times: int = 1, path: str | None = None) -> None:
        """The next `times` calls (to `path`, or any) answer with error `code`."""
        self._failures += [(path, code)] * times

    def clear_failures(self) -> None:
        """The platform is back: the failures asked for and not yet given are dropped."""
        self._failures.clear()

    def _failure(self, path: str) -> int | None:
        for i, (where, code) in enumerate(self._failures):
            if where is None or where == path:
                del self._failures[i]
                return code
        return None

    async def _api(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        files: dict[str, tuple[str, bytes]] = {}
        if request.content_type.startswith("multipart/"):
            params: dict[str, Any] = {}
            async for part in await request.multipart():
                data = await part.read()
                if part.filename:
                    files[part.name] = (part.filename, bytes(data))
                else:
                    params[part.name] = data.decode()
        else:
            params = await request.json()
        token = request.headers.get("access_token")
        call = Call(path, params, files, token)
        expiry = self._access.get(token or "")
        if expiry is None:
            return self._error(call, -216, "Access token is invalid")
        if expiry <= self.clock.now():
            return self._error(call, -220, "Access token has expired")
        code = self._failure(path)
        if code is not None and code >= 500:  # recorded as a refused call, not a message sent
            call.params = {**call.params, "_error": code}
            self.calls.append(call)
            return web.Response(status=code, text="<html>Bad Gateway</html>")
        if code is not None:
            return self._error(call, code, "error on demand")
        if path.startswith("/v2.0/oa/upload/") and self.upload_delay:
            await asyncio.sleep(self.upload_delay)
        if path == "/v2.0/oa/upload/image":
            self.calls.append(call)
            return _ok({"attachment_id": f"img{next(self._uploads)}"})
        if path == "/v2.0/oa/upload/file":
            self.calls.append(call)
            return _ok({"token": f"file{next(self._uploads)}"})
        if path == "/v3.0/oa/quota/message":
            self.calls.append(call)
            return _ok(self._quota(str(params.get("user_id", ""))))
        if path in ("/v3.0/oa/message/cs", "/v2.0/oa/message"):
            return await self._message(call)
        return self._error(call, -240, "API is retired or unknown")

    async def _message(self, call: Call) -> web.Response:
        recipient, message = call.params.get("recipient") or {}, call.params.get("message") or {}
        problem = _message_problem(message)
        if problem:
            return self._error(call, -210, problem)
        now = self.clock.now()
        if "message_id" in recipient:
            inbound = self._inbound.get(str(recipient["message_id"]))
            if inbound is None or now - inbound.at > REPLY_WINDOW:
                return self._error(call, -232, "No or expired interaction")
            if inbound.replies >= REPLIES_PER_MESSAGE:
                return self._error(call, -232, "Reply limit for this message reached")
            inbound.replies += 1
            self.free += 1
        elif "user_id" in recipient:
            last = self._last.get(str(recipient["user_id"]))
            if last is None or now - last > INTERACTION_WINDOW:
                return self._error(call, -230, "User has not interacted in 7 days")
            self.proactive += 1
        elif "anonymous_id" in recipient:
            self.free += 1
        else:
            return self._error(call, -201, "Invalid recipient")
        self.calls.append(call)
        async with self._changed:
            self._changed.notify_all()
        return _ok({"message_id": secrets.token_hex(8), "user_id": recipient.get("user_id")})

    def _quota(self, user: str) -> dict:
        last = self._last.get(user)
        ok = last is not None and self.clock.now() - last <= INTERACTION_WINDOW
        return {"reply_quota": {"remain": 8 if ok else 0}, "window": "open" if ok else "closed"}

    def _error(self, call: Call, code: int, message: str) -> web.Response:
        call.params = {**call.params, "_error": code}
        self.calls.append(call)
        return web.json_response({"error": code, "message": message})

    # -- what the people received ----------------------------------------------------------
    def sent(self, user: str | None = None) -> list[Call]:
        """Messages accepted by the API (to `user`: by user_id or by one of their msg_ids)."""
        out = []
        for call in self.calls:
            if "_error" in call.params or not call.path.endswith(("/message/cs", "/oa/message")):
                continue
            if user is None or self._recipient_user(call.params.get("recipient") or {}) == user:
                out.append(call)
        return out

    def texts(self, user: str) -> list[str]:
        out = []
        for call in self.sent(user):
            message = call.params["message"]
            if "text" in message:
                out.append(message["text"])
            elif message.get("attachment", {}).get("type") == "template":
                out.append(message["attachment"]["payload"].get("text", ""))
        return out

    def buttons(self, user: str) -> list[list[dict]]:
        """The buttons of each button template sent to `user`, in order."""
        out = []
        for call in self.sent(user):
            payload = call.params["message"].get("attachment", {}).get("payload", {})
            if payload.get("template_type") == "button":
                out.append(payload["buttons"])
        return out

    def _recipient_user(self, recipient: dict) -> str | None:
        if "user_id" in recipient:
            return str(recipient["user_id"])
        if "message_id" in recipient:
            inbound = self._inbound.get(str(recipient["message_id"]))
            return getattr(inbound, "user", None)
        return None

    async def wait_for_messages(self, user: str, n: int, within: float = 20) -> list[Call]:
        """The messages sent to `user` once there are at least `n` (TimeoutError after
        `within` seconds)."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(self.sent(user)) >= n)
        return self.sent(user)

    # -- webhooks --------------------------------------------------------------------------
    def event(self, name: str, user: str, **message: Any) -> dict:
        """A webhook event as Zalo sends it; a person's message opens their windows."""
        now = self.clock.now()
        event: dict[str, Any] = {
            "app_id": APP_ID,
            "user_id_by_app": "app_" + user,
            "event_name": name,
            "timestamp": str(int(now.timestamp() * 1000)),
        }
        if name in ("follow", "unfollow"):
            event |= {"oa_id": OA_ID, "follower": {"id": user}, "source": "oa_profile"}
            return event
        event |= {"sender": {"id": user}, "recipient": {"id": OA_ID}}
        if name.startswith(("user_send_", "anonymous_send_")):
            msg_id = message.pop("msg_id", None) or f"msg{next(self._ids):06d}"
            event["message"] = {"msg_id": msg_id, **message}
            inbound = _Inbound(msg_id, now)
            inbound.user = user  # type: ignore[attr-defined]
            self._inbound[msg_id] = inbound
            self._last[user] = now
        elif message:
            event["message"] = message
        return event

    def signed(self, event: dict) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        mac = signature.header(APP_ID, body, str(event.get("timestamp", "")), OA_SECRET)
        return body, {"Content-Type": "application/json", "X-ZEvent-Signature": mac}

    async def user_sends(self, user: str, text: str, **extra: Any) -> dict:
        """The person types `text` (or taps a button whose payload is `text`); the event is
        posted to the webhook (with retries) in the background. Returns the event."""
        event = self.event("user_send_text", user, text=text, **extra)
        self.deliver(event)
        return event

    def deliver(self, event: dict, url: str | None = None) -> asyncio.Task:
        """Post `event` to the webhook, retrying on the schedule until it gets 200."""
        task = asyncio.create_task(self._deliver(event, url or self.webhook_url))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _deliver(self, event: dict, url: str | None) -> int:
        assert url, "set webhook_url first"
        body, headers = self.signed(event)
        status = 0
        async with aiohttp.ClientSession() as http:
            for retry, delay in enumerate([0.0, *self.retry_delays]):
                await asyncio.sleep(delay)
                try:
                    async with http.post(
                        url, data=body, headers={**headers, "num_retry": str(retry)},
                        timeout=aiohttp.ClientTimeout(total=2),
                    ) as response:  # fmt: skip
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
                self.deliveries.append((retry, status))
                if status == 200:
                    return status
        return status  # Zalo would now cancel the subscription


def _ok(data: dict) -> web.Response:
    return web.json_response({"error": 0, "message": "Success", "data": data})


def _refused(name: str, reason: str, code: int) -> web.Response:
    # Zalo's token endpoint refuses with HTTP 200.
    return web.json_response(
        {"error": code, "error_name": name, "error_reason": reason, "error_description": reason}
    )


def _message_problem(message: dict) -> str | None:
    text = message.get("text")
    if text is not None and not 1 <= len(text) <= 2000:
        return "text must be 1-2000 characters"
    attachment = message.get("attachment") or {}
    payload = attachment.get("payload") or {}
    if payload.get("template_type") == "button":
        buttons = payload.get("buttons") or []
        if not 1 <= len(buttons) <= 5:
            return "a button template has 1-5 buttons"
        for b in buttons:
            if len(b.get("title", "")) > 100 or len(b.get("payload", "")) > 1000:
                return "button title or payload over the limit"
    if text is None and not attachment:
        return "message has no text and no attachment"
    return None
