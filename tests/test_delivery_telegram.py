"""Delivery lanes end to end: the real python-telegram-bot Bot against the local Bot API server,
counting what the server received (issue 7 items 13-14, issue 9 "Delivery lanes")."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.app import build_conversation
from bot.channels import telegram
from bot.delivery import Delivery
from handlers import officer
from storage import contacts, questions
from storage.db import session_scope
from storage.models import Outbox
from tests.conftest import make_settings
from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram

PERSON = 1001


@pytest.fixture
async def srv():
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def conv(srv, sqlite_url, clock):
    settings = make_settings(
        sqlite_url, telegram_token=DEFAULT_TOKEN, telegram_api_url=srv.root_url
    )
    conversation = build_conversation(settings, clock=clock)
    yield conversation
    conversation.engine.dispose()


def long_answer(size: int = 4023) -> str:
    """An officer's answer of `size` characters in paragraphs, as officers write them."""
    paragraph = "Doanh nghiệp nên kiểm toán năng lượng, thay đèn LED và thu hồi nhiệt lò hơi. "
    paras, total = [], 0
    while total < size:
        para = (paragraph * 6)[: min(460, size - total)]
        paras.append(para)
        total += len(para) + 2
    text = "\n\n".join(paras)[:size]
    assert len(text) == size
    return text


def ask_and_answer(conv, clock, answer: str, user_id: int = PERSON) -> int:
    """A person's question logged, and an officer's answer queued for them (the real path)."""
    with session_scope(conv.engine) as s:
        contact, _ = contacts.touch(s, "telegram", str(user_id), clock.now())
        s.flush()
        q = questions.log_question(
            s,
            contact_id=contact.id,
            channel="telegram",
            text="Nhà máy tôi có được hỗ trợ kiểm toán năng lượng không?",
            lang="vi",
            topic=None,
            score=0.0,
            confident=False,
            alternatives=[],
            now=clock.now(),
        )
        officer.answer_question(s, q.id, answer, "telegram:42", clock.now())
        return q.id


def fail_once_after_first_part(srv: FakeTelegram, status: int) -> None:
    """The first long part goes through; the next sendMessage gets `status` once."""
    original = srv._api_sendMessage
    armed = [True]

    def send_message(params, files):
        result = original(params, files)
        if armed[0] and len(params.get("text", "")) > 2000:
            armed[0] = False
            srv.fail("sendMessage", status=status)
        return result

    srv.register("sendMessage", send_message)


async def test_a_502_on_the_second_part_sends_only_that_part_again(srv, conv, clock):
    answer = long_answer(4023)
    ask_and_answer(conv, clock, answer)
    fail_once_after_first_part(srv, 502)
    async with srv.make_bot() as bot:
        delivery = Delivery(conv.engine, conv, clock, {"telegram": telegram.TelegramSender(bot)})
        await delivery.run_once()
        clock.advance(minutes=30)
        await delivery.run_once()
        clock.advance(hours=2)
        await delivery.run_once()
    failed = [c for c in srv.calls if c.method == "sendMessage" and not c.ok]
    assert [c.status for c in failed] == [502]
    texts = [m["text"] for m in srv.sent_messages(PERSON)]
    assert len(texts) == 2, [t[:40] for t in texts]  # each part once
    assert answer in "\n\n".join(texts).replace("\n\n\n\n", "\n\n")
    with Session(conv.engine) as s:
        row = s.exec(select(Outbox)).one()
        assert (row.status, row.attempts) == ("sent", 2)
