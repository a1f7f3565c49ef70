"""The Bot API down for longer than a reply's own retries (issue 13, "Outages survived": the
platform's API unavailable for minutes, replies queued, not lost). The product's real PTB
Application polls the local Bot API server while every sendMessage answers 502: the answer is
held in the outbox (reply lane), and delivered once, when the platform is back."""

from __future__ import annotations

import asyncio

from sqlmodel import Session, select

from bot.app import build_conversation
from bot.channels import telegram
from bot.delivery import Delivery
from storage.models import Outbox, OutboxStatus
from tests.conftest import make_settings
from tests.resilience_support import running
from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram

CHAT = 4242


def held_rows(conv) -> list[Outbox]:  # noqa: ANN001
    with Session(conv.engine) as s:
        return list(s.exec(select(Outbox).where(Outbox.kind == "held_reply")))


async def test_an_answer_during_an_outage_is_held_and_sent_once_when_the_platform_is_back(
    tmp_path, clock
):
    async with FakeTelegram() as srv:
        settings = make_settings(
            f"sqlite:///{tmp_path / 'bot.db'}",
            telegram_token=DEFAULT_TOKEN,
            telegram_api_url=srv.root_url,
            limits={"reply_retry_seconds": 1, "reply_attempts": 2},
        )
        conv = build_conversation(settings, clock=clock)
        try:
            srv.fail("sendMessage", status=502, times=None)  # down until cleared
            async with running(srv, conv, settings):
                srv.user_sends("Sản xuất sạch hơn là gì?", user_id=CHAT)
                for _ in range(600):  # the reply's retries (about a second), then held
                    if held_rows(conv):
                        break
                    await asyncio.sleep(0.05)
                [row] = held_rows(conv)
                assert row.status == OutboxStatus.pending
                assert srv.sent_messages(CHAT) == []  # nothing reached the person yet
                srv.clear_faults()  # the platform is back
                async with srv.make_bot() as bot:
                    sender = {"telegram": telegram.TelegramSender(bot)}
                    delivery = Delivery(conv.engine, conv, clock, sender)
                    assert await delivery.run_once() == {"sent": 1}
                    assert await delivery.run_once() == {}  # once
                [answer] = srv.sent_messages(CHAT)
                assert "sản xuất sạch hơn" in answer["text"].lower()
                assert answer.get("reply_markup")  # its buttons came along
                srv.user_sends("/help", user_id=CHAT)  # and the bot answers directly again
                await srv.wait_for("sendMessage", chat_id=CHAT, ok=True, count=2, since=0,
                                   timeout=60)  # fmt: skip
        finally:
            conv.engine.dispose()
    [row] = held_rows(conv)
    assert row.status == OutboxStatus.sent
