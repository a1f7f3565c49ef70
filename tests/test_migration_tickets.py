"""Migration 0011: the officers' question list becomes tickets under the same numbers, answers
become ticket messages under the same ids (a queued answer still finds its text), new numbers
come after every question number given, and a downgrade brings the answers back."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from storage import migrate
from storage.db import make_engine

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC).isoformat(sep=" ")


def test_questions_and_answers_become_tickets_and_numbers_stay_unique(db_url):
    migrate.upgrade(db_url, "0010_zalo_oa")
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO contacts (channel, platform_id, language, role, status, "
                "first_seen, last_seen) VALUES ('telegram', '42', 'vi', 'enterprise', "
                "'active', :now, :now)"
            ),
            {"now": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO question_log (contact_id, channel, text, lang, score, confident, "
                "alternatives, handed_off, created_at, answered_at) VALUES "
                "(1, 'telegram', 'Xin gặp cán bộ', 'vi', 0, false, '[]', true, :now, NULL), "
                "(1, 'telegram', 'Vay vốn ở đâu?', 'vi', 0, false, '[]', false, :now, :now), "
                "(1, 'telegram', 'SXSH là gì', 'vi', 0.9, true, '[]', false, :now, NULL), "
                "(1, 'telegram', 'Câu sẽ xóa', 'vi', 0, false, '[]', false, :now, NULL)"
            ),
            {"now": NOW},
        )
        conn.execute(text("DELETE FROM question_log WHERE id = 4"))  # its number stays used
        conn.execute(
            text(
                "INSERT INTO officer_answers (question_id, officer, text, created_at) "
                "VALUES (2, 'cli:Mai', 'Nộp tại Sở Công Thương', :now)"
            ),
            {"now": NOW},
        )
    engine.dispose()
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        tickets = conn.execute(
            text("SELECT id, status, source, question, first_reply_at IS NOT NULL FROM tickets")
        ).all()
        assert [tuple(t) for t in tickets] == [
            (1, "open", "person", "Xin gặp cán bộ", False),
            (2, "closed", "unanswered", "Vay vốn ở đâu?", True),
        ]
        said = conn.execute(text("SELECT id, ticket_id, officer, text FROM ticket_messages"))
        assert [tuple(m) for m in said] == [(1, 2, "cli:Mai", "Nộp tại Sở Công Thương")]
        conn.execute(
            text(
                "INSERT INTO tickets (contact_id, channel, source, status, question, lang, "
                "opened_at, updated_at, opening, person_told, reminders_sent) VALUES "
                "(1, 'telegram', 'person', 'open', 'Mới', 'vi', :now, :now, 1, false, 0)"
            ),
            {"now": NOW},
        )
        new_id = conn.execute(text("SELECT id FROM tickets WHERE question = 'Mới'")).scalar()
        conn.execute(
            text(
                "INSERT INTO ticket_messages (ticket_id, from_officer, text, created_at) "
                "VALUES (1, false, 'Thêm', :now)"
            ),
            {"now": NOW},
        )
        new_message = conn.execute(
            text("SELECT id FROM ticket_messages WHERE text = 'Thêm'")
        ).scalar()
    engine.dispose()
    assert new_id == 5  # after question #4, deleted before the upgrade
    assert new_message == 2
    migrate.downgrade(db_url, "0010_zalo_oa")
    engine = make_engine(db_url)
    with engine.begin() as conn:
        back = conn.execute(text("SELECT question_id, officer, text FROM officer_answers"))
        assert [tuple(a) for a in back] == [(2, "cli:Mai", "Nộp tại Sở Công Thương")]
    engine.dispose()
