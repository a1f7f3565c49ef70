"""Delivery lanes on both databases, with a recording channel: lanes drain what is due, a bad
row never stops a lane, and a crash mid-send is resumed, given up on, or counted unknown."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlmodel import Session, select

from bot.app import build_conversation
from bot.channels.telegram.requests import ONE_ATTEMPT, ReplyLimiter
from bot.delivery import Delivery, Kind, KindTable, Limits, RetryPolicy
from bot.delivery.throttle import PriorityLimiter
from handlers.messages import Reply
from storage import contacts, outbox
from storage.db import session_scope
from storage.models import Outbox
from tests.conftest import make_settings

FAST = Limits(per_second=10_000, per_chat_per_second=10_000, lanes={}, in_flight=16)


class Recorder:
    """A channel whose platform messages are the '|'-separated pieces of a text."""

    def __init__(self, die_after: int | None = None):
        self.sent: list[tuple[str, str]] = []
        self.die_after = die_after

    @staticmethod
    def parts(replies):
        return [Reply(text=piece) for r in replies for piece in r.text.split("|")]

    async def send(self, platform_id, replies):
        await asyncio.sleep(0)
        if self.die_after is not None and len(self.sent) >= self.die_after:
            raise asyncio.CancelledError  # the process dies in the middle of this send
        self.sent.extend((platform_id, r.text) for r in replies)


def note(session, content, contact, payload, now):
    return [Reply(text=payload["t"])]


def broken(session, content, contact, payload, now):
    raise KeyError("a renderer bug")


KINDS = KindTable(
    lambda: {
        "answer": Kind(note, lane="reply"),
        "nudge": Kind(note, lane="reminder"),
        "news": Kind(note, lane="bulk"),
        "broken": Kind(broken, lane="reminder"),
    }
)


@pytest.fixture
def conv(db_url, clock):
    conversation = build_conversation(make_settings(db_url), clock=clock)
    yield conversation
    conversation.engine.dispose()


def enqueue(conv, clock, kind: str, text: str, person: str = "lan", key: str | None = None):
    with session_scope(conv.engine) as s:
        c, _ = contacts.touch(s, "console", person, clock.now())
        s.flush()
        outbox.enqueue(s, key or f"{kind}:{person}", c.id, kind, clock.now(), {"t": text})


def delivery(conv, clock, sender, **kw) -> Delivery:
    kw.setdefault("limits", {"console": FAST})
    return Delivery(conv.engine, conv, clock, {"console": sender}, kinds=KINDS, **kw)


def rows(conv) -> dict[str, tuple]:
    with Session(conv.engine) as s:
        return {
            r.key: (r.status, r.attempts, r.parts_sent, r.error)
            for r in s.exec(select(Outbox)).all()
        }


async def test_the_reminder_lane_drains_everything_due_not_50_rows_a_tick(conv, clock):
    with session_scope(conv.engine) as s:
        for i in range(120):
            c, _ = contacts.touch(s, "console", f"p{i}", clock.now())
            s.flush()
            outbox.enqueue(s, f"nudge:{i}", c.id, "nudge", clock.now(), {"t": f"Nhắc {i}"})
    rec = Recorder()
    assert await delivery(conv, clock, rec).drain() == {"sent": 120}
    assert sorted(rec.sent) == sorted((f"p{i}", f"Nhắc {i}") for i in range(120))


async def test_a_bad_row_does_not_stop_the_lane_and_gives_up_after_the_limit(conv, clock):
    enqueue(conv, clock, "broken", "x", person="an")
    enqueue(conv, clock, "mystery", "x", person="binh")  # a kind nobody declares
    enqueue(conv, clock, "nudge", "Nhắc lịch", person="chi")
    rec = Recorder()
    d = delivery(conv, clock, rec, policy=RetryPolicy(max_attempts=3, first_delay=60))
    assert await d.run_once() == {"retry": 1, "failed": 1, "sent": 1}
    assert rec.sent == [("chi", "Nhắc lịch")]
    for _ in range(5):
        clock.advance(hours=1)
        await d.run_once()
    got = rows(conv)
    assert got["broken:an"] == ("failed", 3, 0, "gave up after 3 attempts: render: KeyError")
    assert got["mystery:binh"] == ("failed", 1, 0, "no renderer for kind mystery")


async def test_a_crash_mid_send_resumes_after_the_last_delivered_part(conv, clock):
    enqueue(conv, clock, "answer", "Phần 1|Phần 2|Phần 3")
    with pytest.raises(asyncio.CancelledError):
        await delivery(conv, clock, Recorder(die_after=1)).run_once()
    assert rows(conv)["answer:lan"] == ("sending", 1, 1, None)
    rec = Recorder()
    d = delivery(conv, clock, rec)
    assert await d.run_once() == {}  # the claim is not stale yet: its worker may be alive
    clock.advance(minutes=11)
    assert await d.run_once() == {"sent": 1}
    assert rec.sent == [("lan", "Phần 2"), ("lan", "Phần 3")]  # part 1 is never repeated
    assert rows(conv)["answer:lan"] == ("sent", 2, 3, None)


async def test_a_row_that_kills_its_worker_every_time_is_given_up(conv, clock):
    # A reply resumes after a crash (a reminder or bulk row would be unknown, never re-sent).
    enqueue(conv, clock, "answer", "Phần 1|Phần 2")
    for _ in range(3):
        with pytest.raises(asyncio.CancelledError):
            await delivery(conv, clock, Recorder(die_after=0)).run_once()
        clock.advance(minutes=11)
    d = delivery(conv, clock, Recorder(), policy=RetryPolicy(max_attempts=3))
    assert await d.run_once() == {"failed": 1}
    assert rows(conv)["answer:lan"] == (
        "failed",
        4,
        0,
        "gave up after 3 attempts: interrupted while sending",
    )


async def test_a_broadcast_message_interrupted_by_a_crash_is_unknown_not_resent(conv, clock):
    enqueue(conv, clock, "news", "Bản tin tháng 12", person="an")
    enqueue(conv, clock, "news", "Bản tin tháng 12", person="binh")
    with pytest.raises(asyncio.CancelledError):
        await delivery(conv, clock, Recorder(die_after=1)).run_once()
    clock.advance(minutes=11)
    rec = Recorder()
    assert await delivery(conv, clock, rec).drain() == {}
    assert rec.sent == []
    got = rows(conv)
    # The two chats are sent to at once: either may be the one the crash interrupted.
    assert sorted(got[k][:2] for k in ("news:an", "news:binh")) == [("sent", 1), ("unknown", 1)]


async def test_the_channel_budget_serves_a_waiting_reply_before_waiting_bulk_sends():
    limiter = PriorityLimiter(per_second=200)
    order: list[str] = []

    async def take(name: str, priority: int) -> None:
        await limiter.acquire(priority)
        order.append(name)

    bulk = [asyncio.create_task(take(f"bulk {i}", 2)) for i in range(10)]
    await asyncio.sleep(0)  # ten broadcast messages wait for the budget
    reply = asyncio.create_task(take("reply", 0))
    await asyncio.gather(*bulk, reply)
    assert order.index("reply") <= 1  # at most the one slot already granted goes first
    assert len(order) == 11


async def test_the_budget_never_puts_more_than_its_rate_in_one_window_even_catching_up():
    """The platform counts sends per window: after a busy moment the limiter catches up on its
    schedule, but never past `per_second` grants in one window (1 s and a margin in use)."""
    limiter = PriorityLimiter(per_second=20, window=1.2)
    loop = asyncio.get_running_loop()
    times: list[float] = []

    async def take() -> None:
        await limiter.acquire(2)
        times.append(loop.time())
        if len(times) == 3:
            time.sleep(0.3)  # noqa: ASYNC251 - the event loop is busy: the next slots come late

    await asyncio.gather(*(take() for _ in range(25)))
    assert len(times) == 25
    assert min(b - a for a, b in zip(times, times[20:], strict=False)) >= 1.2 - 1e-3


async def test_replies_take_the_first_free_slot_of_the_budget_and_the_outbox_its_own():
    """The Telegram app's answers to people take a first-priority slot of the lanes' budget
    (bulk uses only what they leave); an outbox send (ONE_ATTEMPT) took its slot already."""
    limiter = ReplyLimiter(per_second=1000, per_chat_per_second=1000)
    budget = limiter.budget = PriorityLimiter(per_second=1000)
    taken: list[int] = []
    acquire = budget.acquire

    async def counted(priority: int = 0) -> None:
        taken.append(priority)
        await acquire(priority)

    budget.acquire = counted

    async def call() -> bool:
        return True

    data = {"chat_id": 5}
    assert await limiter.process_request(call, (), {}, "sendMessage", data, None)
    assert await limiter.process_request(call, (), {}, "sendMessage", data, ONE_ATTEMPT)
    assert taken == [0]


async def test_officers_see_what_was_not_delivered_and_why(sqlite_url, clock, monkeypatch):
    from typer.testing import CliRunner

    from bot.cli import app

    conv = build_conversation(make_settings(sqlite_url), clock=clock)
    enqueue(conv, clock, "broken", "x", person="an")
    enqueue(conv, clock, "nudge", "Nhắc lịch", person="chi")
    d = delivery(conv, clock, Recorder(), policy=RetryPolicy(max_attempts=1))
    assert await d.run_once() == {"failed": 1, "sent": 1}
    conv.engine.dispose()
    monkeypatch.setenv("SXSH_DATABASE_URL", sqlite_url)
    result = CliRunner().invoke(app, ["outbox"])
    assert result.exit_code == 0, result.output
    assert "gave up after 1 attempt: render: KeyError" in result.output
    assert "broken" in result.output and "failed" in result.output


async def test_two_workers_send_every_part_of_every_row_exactly_once(conv, db_url, clock):
    with session_scope(conv.engine) as s:
        for i in range(30):
            c, _ = contacts.touch(s, "console", f"p{i}", clock.now())
            s.flush()
            text = f"{i}: phần 1|{i}: phần 2|{i}: phần 3"
            outbox.enqueue(
                s, f"answer:{i}", c.id, "answer" if i % 2 else "news", clock.now(), {"t": text}
            )
    other = build_conversation(make_settings(db_url), clock=clock)
    a, b = Recorder(), Recorder()
    first = delivery(conv, clock, a, batch=4)
    second = Delivery(
        other.engine, other, clock, {"console": b}, batch=4, kinds=KINDS, limits={"console": FAST}
    )
    await asyncio.gather(first.drain(), second.drain())
    sent = sorted(a.sent + b.sent)
    expected = sorted((f"p{i}", f"{i}: phần {n}") for i in range(30) for n in (1, 2, 3))
    assert sent == expected
    assert {v[:3] for v in rows(conv).values()} == {("sent", 1, 3)}
    other.engine.dispose()
