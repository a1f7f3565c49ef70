"""Delivery lanes end to end: the real python-telegram-bot Bot against the local Bot API server,
counting what the server received (issue 7 items 13-14, issue 9 "Delivery lanes")."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.app import build_conversation
from bot.channels import telegram
from bot.delivery import Delivery, Kind, KindTable, RetryPolicy
from bot.delivery.lanes import registered_kinds
from handlers.messages import Reply
from handlers.tickets import inbox
from storage import contacts, outbox, questions, tickets
from storage.db import session_scope
from storage.models import Outbox
from storage.tickets_models import TicketSource
from tests.conftest import make_settings
from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram

PERSON = 1001


class Recorder:
    """A channel that records what it was asked to send."""

    def __init__(self):
        self.sent: list[tuple[str, str]] = []

    async def send(self, platform_id, replies):
        self.sent.extend((platform_id, r.text) for r in replies)


def note(session, content, contact, payload, now):
    return [Reply(text=payload["t"])]


def with_kinds(**extra: Kind) -> KindTable:
    """The product's kinds plus test kinds."""
    return KindTable(lambda: {**registered_kinds(), **extra})


def the_row_of_kind(conv, kind: str) -> Outbox:
    with Session(conv.engine) as s:
        return s.exec(select(Outbox).where(Outbox.kind == kind)).one()


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
        ticket = tickets.open_ticket(
            s, contact_id=contact.id, channel="telegram", question=q.text, lang="vi",
            source=TicketSource.unanswered, now=clock.now(), question_log_id=q.id,
        )  # fmt: skip
        inbox.answer_ticket(s, ticket.id, answer, "telegram:42", clock.now())
        return ticket.id


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


def the_row(conv) -> Outbox:
    with Session(conv.engine) as s:
        return s.exec(select(Outbox)).one()


async def test_a_send_that_always_fails_backs_off_then_stops_with_the_reason(srv, conv, clock):
    ask_and_answer(conv, clock, "Có, Sở hỗ trợ một phần chi phí kiểm toán năng lượng.")
    srv.fail("sendMessage", status=502, times=None)
    policy = RetryPolicy(max_attempts=4, first_delay=30, max_delay=3600)
    waits = []
    async with srv.make_bot() as bot:
        sender = telegram.TelegramSender(bot)
        delivery = Delivery(conv.engine, conv, clock, {"telegram": sender}, policy=policy)
        for _ in range(8):
            await delivery.run_once()
            row = the_row(conv)
            if row.status == "pending":
                waits.append((row.due_at - clock.now()).total_seconds())
                assert await delivery.run_once() == {}  # not before its next try
            clock.advance(hours=2)
    assert waits == [30, 60, 120]  # stored in the row, doubling
    calls = [c for c in srv.calls if c.method == "sendMessage"]
    assert [c.status for c in calls] == [502] * 4  # and never again
    row = the_row(conv)
    assert (row.status, row.attempts) == ("failed", 4)
    assert row.error == "gave up after 4 attempts: NetworkError"


async def test_a_request_telegram_refuses_fails_at_once_with_its_reason(srv, conv, clock):
    ask_and_answer(conv, clock, "Có, Sở hỗ trợ một phần chi phí kiểm toán năng lượng.")
    srv.fail("sendMessage", status=400, description="Bad Request: message is too long")
    async with srv.make_bot() as bot:
        delivery = Delivery(conv.engine, conv, clock, {"telegram": telegram.TelegramSender(bot)})
        assert await delivery.run_once() == {"failed": 1}
        clock.advance(days=1)
        assert await delivery.run_once() == {}
    row = the_row(conv)
    assert (row.status, row.attempts, row.error) == (
        "failed",
        1,
        "Message is too long",  # Telegram's own words, as PTB gives them
    )


async def test_a_429_pauses_only_that_channel_and_costs_no_attempt(srv, conv, clock):
    ask_and_answer(conv, clock, "Trả lời qua Telegram.")
    console = Recorder()
    with session_scope(conv.engine) as s:
        c, _ = contacts.touch(s, "console", "lan", clock.now())
        s.flush()
        outbox.enqueue(s, "note:lan", c.id, "note", clock.now(), {"t": "Nhắc lịch hội thảo"})
    kinds = with_kinds(note=Kind(note))
    srv.fail("sendMessage", status=429, retry_after=30)
    async with srv.make_bot() as bot:
        tg = telegram.TelegramSender(bot)
        delivery = Delivery(
            conv.engine, conv, clock, {"telegram": tg, "console": console}, kinds=kinds
        )
        assert await delivery.run_once() == {"retry": 1, "sent": 1}
        assert console.sent == [("lan", "Nhắc lịch hội thảo")]  # the other channel went on
        clock.advance(seconds=29)
        assert await delivery.run_once() == {}  # Telegram still paused
        clock.advance(seconds=2)
        assert await delivery.run_once() == {"sent": 1}
    row = the_row_of_kind(conv, inbox.ANSWER)
    assert (row.status, row.attempts) == ("sent", 1)
    assert [c.status for c in srv.calls if c.method == "sendMessage"] == [429, 200]


async def test_an_officer_answer_goes_out_before_a_due_broadcast(srv, conv, clock):
    with session_scope(conv.engine) as s:
        for i in range(60):
            c, _ = contacts.touch(s, "telegram", str(2000 + i), clock.now())
            s.flush()
            outbox.enqueue(s, f"news:{i}", c.id, "news", clock.now(), {"t": f"Bản tin {i}"})
    clock.advance(minutes=5)  # the broadcast has been due for a while
    ask_and_answer(conv, clock, "Có, Sở hỗ trợ một phần chi phí kiểm toán năng lượng.")
    kinds = with_kinds(news=Kind(note, lane="bulk"))
    async with srv.make_bot() as bot:
        sender = telegram.TelegramSender(bot)
        delivery = Delivery(conv.engine, conv, clock, {"telegram": sender}, batch=20, kinds=kinds)
        assert await delivery.run_once() == {"sent": 21}
        first = srv.sent_messages()[0]
        assert first["chat"]["id"] == PERSON
        assert "Sở hỗ trợ một phần" in first["text"]
        assert await delivery.drain() == {"sent": 40}
    assert len(srv.sent_messages()) == 61
