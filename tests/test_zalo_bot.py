"""The Zalo Bot platform channel with the real conversation core and the local Zalo Bot server:
a question and its answer by polling and by webhook, the webhook's secret header, an update not
lost when the process dies right after the poll returned it, duplicates handled once."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select
from starlette.applications import Starlette
from starlette.routing import Route

from bot import metrics
from bot.app import build_conversation
from bot.channels.zalo_bot.app import ZaloBot
from bot.delivery import Delivery
from handlers.clock import FrozenClock
from storage.db import session_scope
from storage.models import Outbox
from storage.zalo_oa_models import ZaloBotUpdate
from tests.conftest import make_settings
from tests.support.zalo_bot_server import TOKEN, FakeZaloBot

QUESTION = "tiết kiệm nước trong nhà máy thế nào"
SECRET = "zalo-bot-secret-" + "y" * 20


def counted(channel: str, name: str = "sxsh_messages_out_total") -> float:
    """A /metrics counter's value for `channel` in this process."""
    text = metrics.generate_latest(metrics.REGISTRY).decode()
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and s.labels == {"channel": channel}
    )


@pytest.fixture
async def srv():
    async with FakeZaloBot() as server:
        yield server


def conversation_for(tmp_path, srv: FakeZaloBot, limits=None, **zalo_bot):  # noqa: ANN001, ANN201
    settings = make_settings(
        f"sqlite:///{tmp_path / 'bot.db'}",
        search={"embeddings": False},
        zalo_bot={"token": TOKEN, "api_url": srv.url, "poll_timeout": 1, **zalo_bot},
        limits=limits or {},
    )
    return settings, build_conversation(settings, clock=FrozenClock())


async def test_a_question_and_its_answer_by_polling_which_deletes_the_webhook_first(tmp_path, srv):
    srv.webhook = {"url": "https://old.example/hook", "secret_token": "x" * 16}  # left over
    settings, conversation = conversation_for(tmp_path, srv)
    async with AsyncExitStack() as stack:
        bot = await ZaloBot.open(conversation, settings, stack)
        bot.pump.start()
        stop = asyncio.Event()
        polling = asyncio.create_task(bot.run_polling(stop))
        await srv.wait_for_call("deleteWebhook")  # polling starts by deleting the webhook
        await srv.user_sends(QUESTION, chat="c1")
        [answer, *_] = await srv.wait_for_texts("c1", 1)
        stop.set()
        await asyncio.wait_for(polling, 5)
        await bot.pump.stop()
    assert "nước" in answer
    methods = [c.method for c in srv.calls]
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    conversation.engine.dispose()


async def test_a_question_and_its_answer_by_webhook_with_the_secret_header(tmp_path, srv):
    settings, conversation = conversation_for(
        tmp_path, srv, webhook_url="https://bot.example.vn/zalo/bot", webhook_secret=SECRET
    )
    async with AsyncExitStack() as stack:
        bot = await ZaloBot.open(conversation, settings, stack)
        await bot.register_webhook()
        assert srv.webhook == {"url": "https://bot.example.vn/zalo/bot", "secret_token": SECRET}
        app = Starlette(routes=[Route("/zalo/bot", bot.webhook, methods=["POST"])])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://serve") as http:
            update = {"ok": True, "result": srv.update(QUESTION, chat="c2")}
            wrong = await http.post("/zalo/bot", json=update,
                                    headers={"X-Bot-Api-Secret-Token": "nope" * 8})  # fmt: skip
            good = {"X-Bot-Api-Secret-Token": SECRET}
            oks = [await http.post("/zalo/bot", json=update, headers=good) for _ in range(2)]
        await srv.wait_for_texts("c2", 1)
        await bot.pump.stop()
        await bot.pump.sweep()
    assert wrong.status_code == 403 and [r.status_code for r in oks] == [200, 200]
    texts = srv.texts("c2")
    assert "nước" in texts[0] and len(texts) == len(set(texts))  # the duplicate: answered once
    conversation.engine.dispose()


async def test_an_update_is_not_lost_when_the_process_dies_right_after_the_poll(tmp_path, srv):
    settings, conversation = conversation_for(tmp_path, srv)
    async with AsyncExitStack() as stack:
        dying = await ZaloBot.open(conversation, settings, stack)
        dying.pump.kick = lambda event_id: None  # the process dies before handling it
        await srv.user_sends(QUESTION, chat="c3")
        assert await dying.poll_once()
    assert srv.texts("c3") == []  # the platform will not hand it out again
    with session_scope(conversation.engine) as session:
        assert len(session.exec(select(ZaloBotUpdate)).all()) == 1
    # The next process takes it up once the claim is stale (no claim at all here: at once).
    async with AsyncExitStack() as stack:
        restarted = await ZaloBot.open(conversation, settings, stack)
        assert await restarted.pump.sweep() == 1
    assert "nước" in srv.texts("c3")[0]
    conversation.engine.dispose()


async def test_an_answer_zalo_would_not_take_is_held_and_sent_once_later(tmp_path, srv):
    """The Bot API failing for longer than an answer's tries (issue 13, "Outages survived"):
    the answer waits in the outbox (held_reply) and goes once when Zalo takes it again."""
    settings, conversation = conversation_for(tmp_path, srv)
    async with AsyncExitStack() as stack:
        bot = await ZaloBot.open(conversation, settings, stack)
        for _ in range(50):
            srv.fail("sendMessage", 502)
        await bot.pump.handler.handle(srv.update(QUESTION, chat="c9"))
        assert srv.texts("c9") == []  # nothing reached the person
        with session_scope(conversation.engine) as session:
            [row] = session.exec(select(Outbox).where(Outbox.kind == "held_reply")).all()
        srv.clear_failures()  # Zalo is back
        sender = {"zalo_bot": bot.pump.handler.sender}
        delivery = Delivery(conversation.engine, conversation, conversation.clock, sender)
        assert await delivery.run_once() == {"sent": 1}
        assert await delivery.run_once() == {}  # once
    [answer, *_] = srv.texts("c9")
    assert "nước" in answer
    conversation.engine.dispose()


async def test_a_rate_limit_longer_than_the_set_wait_holds_the_answer_at_once(tmp_path, srv):
    """limits.reply_max_wait_seconds holds for Zalo Bot answers as for the other channels: a
    429 asking for 30 s with 5 s allowed is not waited out, the answer goes to the outbox."""
    settings, conversation = conversation_for(tmp_path, srv, limits={"reply_max_wait_seconds": 5})
    async with AsyncExitStack() as stack:
        bot = await ZaloBot.open(conversation, settings, stack)
        limited = counted("zalo_bot", "sxsh_platform_429_total")
        for _ in range(10):
            srv.fail("sendMessage", 429, "too many requests")  # no retry_after: 30 s assumed
        handling = bot.pump.handler.handle(srv.update(QUESTION, chat="c10"))
        await asyncio.wait_for(handling, 10)  # waiting the 30 s out would time out here
        assert counted("zalo_bot", "sxsh_platform_429_total") - limited >= 1  # /metrics
    assert srv.texts("c10") == []
    with session_scope(conversation.engine) as session:
        assert session.exec(select(Outbox).where(Outbox.kind == "held_reply")).all()
    conversation.engine.dispose()


async def test_zalo_bot_sends_are_counted_in_messages_out(tmp_path, srv):
    """/metrics counted Telegram's sends only: a Zalo Bot answer is counted as each message the
    platform accepted, with the channel label; a refused one is not."""
    settings, conversation = conversation_for(tmp_path, srv)
    async with AsyncExitStack() as stack:
        bot = await ZaloBot.open(conversation, settings, stack)
        before = counted("zalo_bot")
        await bot.pump.handler.handle(srv.update(QUESTION, chat="c11"))
        accepted = len(srv.texts("c11"))
        srv.fail("sendMessage", 400, "bad request")  # refused for good: not counted
        await bot.pump.handler.handle(srv.update(QUESTION, chat="c12"))
        accepted += len(srv.texts("c12"))
    assert accepted >= 1 and len(srv.texts("c12")) == len(srv.texts("c11")) - 1
    assert counted("zalo_bot") - before == accepted
    conversation.engine.dispose()
