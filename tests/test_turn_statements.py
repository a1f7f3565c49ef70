"""What one message costs the database (issue 13, "Tail latency"): under load every round trip
to PostgreSQL waits for a core, and the measured tail grew with the statements of a turn. A
known person's answered question is at most five statements, an assessment answer nine (and
on PostgreSQL the lock that serialises one person's messages across processes).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event
from sqlmodel import Session

from bot.app import build_conversation
from handlers.messages import Inbound
from storage import contacts, migrate, tickets
from storage.db import make_engine, session_scope
from storage.tickets_models import TicketSource, TicketStatus
from tests.conftest import make_settings


def lock(db_url: str) -> int:
    """pg_advisory_xact_lock: one person's messages one after the other (storage.contacts)."""
    return 1 if db_url.startswith("postgresql") else 0


def test_an_answered_question_costs_five_statements(db_url, clock):
    conv = build_conversation(make_settings(db_url), clock=clock)
    statements: list[str] = []

    @event.listens_for(conv.engine, "before_cursor_execute")
    def count(conn, cursor, statement, *args):  # noqa: ANN001, ANN002
        statements.append(" ".join(statement.split())[:70])

    def say(text: str, message_id: str) -> str:
        inbound = Inbound(channel="telegram", user_id="42", text=text, message_id=message_id)
        return "\n".join(r.text for r in conv.handle(inbound))

    try:
        say("xin chào", "1")  # the contact exists from here
        statements.clear()
        answer = say("sản xuất sạch hơn là gì", "2")
        assert "sản xuất sạch hơn" in answer.lower()
        assert len(statements) <= 5 + lock(db_url), "\n".join(statements)  # it was 10
        assert not any(s.startswith(("SAVEPOINT", "RELEASE")) for s in statements), statements
    finally:
        conv.engine.dispose()


def test_an_assessment_answer_costs_nine_statements(db_url, clock):
    conv = build_conversation(make_settings(db_url), clock=clock)
    statements: list[str] = []
    ids = iter(range(1, 100))

    @event.listens_for(conv.engine, "before_cursor_execute")
    def count(conn, cursor, statement, *args):  # noqa: ANN001, ANN002
        statements.append(" ".join(statement.split())[:70])

    def send(**what: str) -> list:
        inbound = Inbound(channel="telegram", user_id="43", message_id=str(next(ids)), **what)
        return conv.handle(inbound)

    try:
        replies = send(text="/assess")
        [agree] = [b.payload for r in replies for b in r.buttons if b.label.endswith("Đồng ý")]
        send(payload=agree, kind="button")
        for answer in ("Công ty TNHH Thủy sản Mẫu", "1", "120 người"):
            send(text=answer)
        statements.clear()
        replies = send(text="KCN Trà Nóc I")  # the industrial park: the company record too
        assert len(statements) <= 9 + lock(db_url), "\n".join(statements)  # it was 11
        assert "phường" in replies[-1].text.lower()  # the next question: where the firm is
    finally:
        conv.engine.dispose()


def test_the_persons_ticket_open_first_else_the_newest_closed_since(db_url, clock):
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    now = clock.now()
    try:
        with session_scope(engine) as s:
            person, _ = contacts.touch(s, "telegram", "7", now)
            other, _ = contacts.touch(s, "telegram", "8", now)

            def ticket(contact_id: int, question: str, closed_days_ago: float | None = None):  # noqa: ANN202
                t = tickets.open_ticket(
                    s,
                    contact_id=contact_id,
                    channel="telegram",
                    question=question,
                    lang="vi",
                    source=TicketSource.unanswered,
                    now=now - timedelta(days=30),
                )
                if closed_days_ago is not None:
                    tickets.close(s, t.id, now - timedelta(days=closed_days_ago))
                return t

            ticket(person.id, "old", closed_days_ago=20)
            ticket(person.id, "closed two days ago", closed_days_ago=2)
            ticket(person.id, "closed yesterday", closed_days_ago=1)
            ticket(other.id, "someone else's, open")
            person_id, other_id = person.id, other.id
        with Session(engine) as s:
            week = now - timedelta(days=7)
            found = tickets.current_or_closed_since(s, person_id, week)
            assert (found.question, found.status) == ("closed yesterday", TicketStatus.closed)
            assert tickets.current_or_closed_since(s, person_id, None) is None
            assert tickets.current_or_closed_since(s, person_id, now) is None
            assert tickets.current_or_closed_since(s, other_id, None).question.endswith("open")
        with session_scope(engine) as s:
            for question in ("open first", "open second"):
                tickets.open_ticket(
                    s,
                    contact_id=person_id,
                    channel="telegram",
                    question=question,
                    lang="vi",
                    source=TicketSource.person,
                    now=now,
                )
        with Session(engine) as s:
            found = tickets.current_or_closed_since(s, person_id, now - timedelta(days=7))
            assert (found.question, found.status) == ("open second", TicketStatus.open)
    finally:
        engine.dispose()
