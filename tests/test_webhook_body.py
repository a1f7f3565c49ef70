"""Webhook bodies are read with a cap (SXSH_WEB_MAX_BODY_BYTES): an operator posting a huge
body saw `sxsh-bot serve` read all of it before refusing it (peak memory 217 -> 803 MB for
300 MB). The refusal must come without holding the body."""

from __future__ import annotations

import asyncio
import contextlib

from starlette.requests import Request
from starlette.testclient import TestClient

from bot import serve
from bot.app import build_conversation
from bot.channels.webbody import read_capped
from tests.conftest import make_settings

SECRET = "s" * 40


def request_of(chunks: list[bytes], headers: dict[str, str], sent: list[int]) -> Request:
    pending = list(chunks)

    async def receive() -> dict:
        chunk = pending.pop(0)
        sent.append(len(chunk))
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "headers": raw}, receive)


def test_a_body_sent_past_the_limit_is_refused_without_reading_the_rest():
    sent: list[int] = []
    chunks = [b"x" * 1000] * 100  # 100 kB, no length declared (chunked)
    body = asyncio.run(read_capped(request_of(chunks, {}, sent), 5000))
    assert body is None
    assert sum(sent) <= 6000  # stopped at the limit, not after the 100 kB


def test_a_declared_length_past_the_limit_is_refused_before_reading():
    sent: list[int] = []
    headers = {"content-length": str(10**10)}
    assert asyncio.run(read_capped(request_of([b"{}"], headers, sent), 5000)) is None
    assert sent == []


def test_a_body_within_the_limit_is_read_whole():
    sent: list[int] = []
    body = asyncio.run(read_capped(request_of([b'{"a":', b" 1}"], {}, sent), 5000))
    assert body == b'{"a": 1}'


def test_the_telegram_webhook_refuses_a_huge_body_with_413(sqlite_url, clock):
    settings = make_settings(
        sqlite_url,
        telegram_token="123456789:AAFakeTokenForTests_abcdefghijklmnop",
        telegram_webhook_url="https://bot.example.vn/telegram",
        telegram_webhook_secret=SECRET,
        web_max_body_bytes=2000,
    )
    conv = build_conversation(settings, clock=clock)
    client = TestClient(serve.build(conv, settings))  # no lifespan: no Bot API needed
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    big = client.post("/telegram", content=b"x" * 5000, headers=headers)
    wrong = client.post("/telegram", content=b"x" * 5000, headers={})
    conv.engine.dispose()
    assert (big.status_code, big.text) == (413, "too large")
    assert wrong.status_code == 403


def test_a_refused_token_at_start_is_one_line_not_a_traceback(sqlite_url, clock):
    # `serve` with Telegram unreachable at start logged a 110-line traceback through uvicorn.
    from tests.support.telegram_server import FakeTelegram

    async def start_once(api_url: str) -> list[dict]:
        settings = make_settings(
            sqlite_url,
            telegram_token="123456789:AAFakeTokenForTests_abcdefghijklmnop",
            telegram_api_url=api_url,
            telegram_webhook_url="https://bot.example.vn/telegram",
            telegram_webhook_secret=SECRET,
        )
        conv = build_conversation(settings, clock=clock)
        app = serve.build(conv, settings)
        sent: list[dict] = []
        steps = [{"type": "lifespan.startup"}]

        async def receive() -> dict:
            if steps:
                return steps.pop()
            await asyncio.sleep(3600)
            return {}

        async def send(message: dict) -> None:
            sent.append(message)

        # The app raises after sending the failure; the ASGI server logs `message`.
        with contextlib.suppress(Exception):
            await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
        conv.engine.dispose()
        return sent

    async def go() -> list[dict]:
        async with FakeTelegram(token_ok="987:other") as srv:
            return await start_once(srv.root_url)

    sent = asyncio.run(go())
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]
    assert sent[0]["message"] == (
        "Telegram: the Bot API refused SXSH_TELEGRAM_TOKEN (401): check the token"
    )
