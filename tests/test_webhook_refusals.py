"""A webhook request without the right secret (Telegram, Zalo Bot) or signature (Zalo OA) is
refused and logged at most once a minute per channel, with the client's address and how many
were refused meanwhile, never the secret: a scanner or a misconfigured platform used to write
one warning per request, without saying where they came from."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack

import httpx
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from bot import serve
from bot.app import build_conversation
from bot.channels.zalo_bot.app import ZaloBot
from bot.channels.zalo_oa.webhook import Webhook
from handlers.clock import FrozenClock
from tests.conftest import make_settings
from tests.support.telegram_server import DEFAULT_TOKEN

SECRET = "right-secret-" + "s" * 24
GIVEN = "wrong-secret-" + "w" * 24


def refusals(caplog) -> list[str]:  # noqa: ANN001
    return [r.getMessage() for r in caplog.records
            if r.levelno == logging.WARNING and "refused" in r.getMessage()]  # fmt: skip


def test_telegram_refusals_are_logged_once_a_minute_with_the_address(tmp_path, caplog):
    clock = FrozenClock()
    settings = make_settings(
        f"sqlite:///{tmp_path / 'bot.db'}",
        search={"embeddings": False},
        telegram={"token": DEFAULT_TOKEN, "webhook_url": "https://bot.example.vn/telegram",
                  "webhook_secret": SECRET},
    )  # fmt: skip
    conversation = build_conversation(settings, clock=clock)
    client = TestClient(serve.build(conversation, settings))  # no lifespan: no channel starts
    header = {"X-Telegram-Bot-Api-Secret-Token": GIVEN, "X-Forwarded-For": "203.0.113.7"}
    with caplog.at_level(logging.WARNING):
        codes = [client.post("/telegram", json={}, headers=header).status_code for _ in range(3)]
        assert refusals(caplog) == [
            "refused a Telegram webhook request without the right secret header "
            "from testclient (forwarded for 203.0.113.7)"
        ]
        clock.advance(seconds=61)
        client.post("/telegram", json={}, headers=header)
    conversation.engine.dispose()
    assert codes == [403, 403, 403]
    assert refusals(caplog)[1].endswith("(forwarded for 203.0.113.7); 2 more since the last line")
    assert SECRET not in caplog.text and GIVEN not in caplog.text


async def test_zalo_bot_and_zalo_oa_refusals_are_rate_limited_per_channel(tmp_path, caplog):
    clock = FrozenClock()
    settings = make_settings(
        f"sqlite:///{tmp_path / 'bot.db'}",
        search={"embeddings": False},
        zalo_bot={"token": "12345:" + "t" * 30, "api_url": "http://127.0.0.1:9",
                  "webhook_url": "https://bot.example.vn/zalo/bot", "webhook_secret": SECRET},
    )  # fmt: skip
    conversation = build_conversation(settings, clock=clock)
    oa = Webhook(conversation.engine, clock, None, app_id="app", oa_secret=SECRET)  # type: ignore[arg-type]
    forgery = {"X-ZEvent-Signature": "mac=" + "0" * 64}

    async def zalo_oa(request):  # noqa: ANN001, ANN202 - as serve.py routes it
        return await oa(request)

    async with AsyncExitStack() as stack:
        bot = await ZaloBot.open(conversation, settings, stack)
        app = Starlette(routes=[Route("/zalo/bot", bot.webhook, methods=["POST"]),
                                Route("/zalo/oa", zalo_oa, methods=["POST"])])  # fmt: skip
        transport = httpx.ASGITransport(app=app, client=("198.51.100.4", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://serve") as http:
            with caplog.at_level(logging.WARNING):
                for _ in range(3):
                    bad = await http.post("/zalo/bot", json={},
                                          headers={"X-Bot-Api-Secret-Token": GIVEN})  # fmt: skip
                    forged = await http.post("/zalo/oa", content=b"{}", headers=forgery)
    conversation.engine.dispose()
    assert (bad.status_code, forged.status_code) == (403, 401)
    lines = refusals(caplog)
    assert len(lines) == 2  # one per channel
    assert lines[0].startswith("refused a zalo_bot webhook request without the right secret")
    assert lines[1].startswith("refused a zalo_oa webhook: wrong signature")
    assert all(line.endswith("from 198.51.100.4") for line in lines)
    assert SECRET not in caplog.text and GIVEN not in caplog.text
