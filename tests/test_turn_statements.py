"""What one message costs the database (issue 13, "Tail latency"): under load every round trip
to PostgreSQL waits for a core, and the measured tail grew with the statements of a turn. A
known person's answered question is at most six statements; the person's ticket is read in one.
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


def test_an_answered_question_costs_six_statements(db_url, clock):
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
        assert len(statements) <= 6, "\n".join(statements)
        assert not any(s.startswith(("SAVEPOINT", "RELEASE")) for s in statements), statements
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
