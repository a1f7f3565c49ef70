"""The outbox on both databases: a key can be enqueued once, due rows are claimed by exactly one
worker even when several processes share PostgreSQL, and a crashed send is retried."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import Session, select

from bot.app import build_conversation
from bot.delivery import Delivery
from handlers.capability import OutboxKind
from handlers.messages import Reply
from handlers.registry import REGISTRY
from storage import contacts, outbox
from storage.db import session_scope
from storage.models import Outbox
from tests.conftest import make_settings


class Recorder:
    def __init__(self):
        self.sent: list[tuple[str, str]] = []

    async def send(self, platform_id, replies):
        await asyncio.sleep(0)  # let the other worker run in between
        self.sent.extend((platform_id, r.text) for r in replies)


def setup(db_url, clock, monkeypatch, people=40):
    note = OutboxKind("note", lambda s, c, contact, payload, now: [Reply(payload["t"])])
    monkeypatch.setitem(REGISTRY.outbox, "note", note)
    conv = build_conversation(make_settings(db_url), clock=clock)
    with session_scope(conv.engine) as s:
        for i in range(people):
            c, _ = contacts.touch(s, "console", f"p{i}", clock.now())
            s.flush()
            outbox.enqueue(s, f"note:{i}", c.id, "note", clock.now(), {"t": f"tin {i}"})
            # The same key again is a no-op: no duplicate row, no duplicate message.
            outbox.enqueue(s, f"note:{i}", c.id, "note", clock.now(), {"t": "lặp"})
    return conv


async def test_two_workers_share_the_outbox_without_double_sends(db_url, clock, monkeypatch):
    conv = setup(db_url, clock, monkeypatch)
    # Two "processes": separate engines (connection pools) on the same database.
    other = build_conversation(make_settings(db_url), clock=clock)
    rec_a, rec_b = Recorder(), Recorder()
    a = Delivery(conv.engine, conv, clock, {"console": rec_a}, batch=7)
    b = Delivery(other.engine, other, clock, {"console": rec_b}, batch=7)
    for _ in range(10):
        await asyncio.gather(a.run_once(), b.run_once())
    sent = rec_a.sent + rec_b.sent
    assert sorted(sent) == sorted((f"p{i}", f"tin {i}") for i in range(40))
    with Session(conv.engine) as s:
        assert {r.status for r in s.exec(select(Outbox)).all()} == {"sent"}
    conv.engine.dispose()
    other.engine.dispose()


async def test_a_send_interrupted_by_a_crash_is_retried_later(db_url, clock, monkeypatch):
    conv = setup(db_url, clock, monkeypatch, people=1)
    with session_scope(conv.engine) as s:
        [row] = outbox.claim_due(s, clock.now())  # claimed, then the worker "dies"
        assert row.status == "sending"
    rec = Recorder()
    d = Delivery(conv.engine, conv, clock, {"console": rec})
    assert await d.run_once() == {}  # not before the claim is stale
    clock.advance(minutes=11)
    assert await d.run_once() == {"sent": 1}
    assert rec.sent == [("p0", "tin 0")]
    conv.engine.dispose()


async def test_stopped_contacts_are_not_sent_to(db_url, clock, monkeypatch):
    conv = setup(db_url, clock, monkeypatch, people=2)
    with session_scope(conv.engine) as s:
        c = contacts.get(s, "console", "p0")
        contacts.set_status(s, c, "stopped")
    rec = Recorder()
    d = Delivery(conv.engine, conv, clock, {"console": rec})
    assert await d.run_once() == {"unreachable": 1, "sent": 1}
    assert rec.sent == [("p1", "tin 1")]
    clock.advance(days=1)
    assert await d.run_once() == {}
    conv.engine.dispose()


def test_due_time_can_move_while_pending(sqlite_url, clock, monkeypatch):
    conv = setup(sqlite_url, clock, monkeypatch, people=1)
    later = clock.now() + timedelta(hours=5)
    with session_scope(conv.engine) as s:
        c = contacts.get(s, "console", "p0")
        row = outbox.enqueue(s, "note:0", c.id, "note", later, reschedule=True)
        assert row.due_at == later
    conv.engine.dispose()


async def test_a_cancelled_message_asked_for_again_is_sent_a_sent_one_never_twice(
    sqlite_url, clock, monkeypatch
):
    conv = setup(sqlite_url, clock, monkeypatch, people=2)
    with session_scope(conv.engine) as s:
        assert outbox.cancel(s, "note:0")
    rec = Recorder()
    d = Delivery(conv.engine, conv, clock, {"console": rec})
    assert await d.run_once() == {"sent": 1}
    with session_scope(conv.engine) as s:
        for i in range(2):
            c = contacts.get(s, "console", f"p{i}")
            outbox.enqueue(s, f"note:{i}", c.id, "note", clock.now(), {"t": f"lại {i}"})
    assert await d.run_once() == {"sent": 1}
    assert rec.sent == [("p1", "tin 1"), ("p0", "lại 0")]
    conv.engine.dispose()


def test_one_persons_messages_are_serialised_across_processes(pg_url, clock):
    """While one process handles a person's message, another waits for it (PostgreSQL)."""
    import threading

    from tests.chat import Person

    conv = build_conversation(make_settings(pg_url), clock=clock)
    other = build_conversation(make_settings(pg_url), clock=clock)
    Person(conv, user_id="lan").says("/start")
    done = threading.Event()
    with session_scope(conv.engine) as s:
        contacts.lock_person(s, "console", "lan")  # a message of Lan's is being handled
        worker = threading.Thread(
            target=lambda: (Person(other, user_id="lan").says("/help"), done.set())
        )
        worker.start()
        worker.join(timeout=0.5)
        assert not done.is_set()  # the second process waits for the first
        # Someone else is not held up.
        assert "Cách dùng bot" in Person(other, user_id="hoa").says("/help")[0].text
    worker.join(timeout=30)
    assert done.is_set()
    conv.engine.dispose()
    other.engine.dispose()
