"""Migration 0005: existing answers move to officer_answers, nothing pointing at a contact is
lost while SQLite copies the tables, and ids are never reused afterwards."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from storage import migrate
from storage.db import make_engine

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC).isoformat(sep=" ")


def test_answers_and_contacts_survive_the_upgrade(db_url):
    migrate.upgrade(db_url, "0004")
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO contacts (channel, platform_id, language, role, status, "
                "first_seen, last_seen) VALUES ('console', 'lan', 'vi', 'enterprise', "
                "'active', :now, :now), ('console', 'an', 'vi', 'enterprise', 'active', "
                ":now, :now)"
            ),
            {"now": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO consent_records (contact_id, purpose, wording_version, granted, "
                "given_at) VALUES (1, 'assessment_contact', 'v1', true, :now)"
            ),
            {"now": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO question_log (contact_id, channel, text, lang, score, "
                "confident, alternatives, handed_off, created_at, answer, answered_at, "
                "answered_by) VALUES (1, 'console', 'Hỏi', 'vi', 0, false, '[]', true, "
                ":now, 'Đáp', :now, 'cli'), (2, 'console', 'Hỏi 2', 'vi', 0, false, '[]', "
                "false, :now, NULL, NULL, NULL)"
            ),
            {"now": NOW},
        )
    engine.dispose()
    migrate.upgrade(db_url, "0009_events")  # 0011 moves answers on to tickets
    engine = make_engine(db_url)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM consent_records")).scalar() == 1
        answers = conn.execute(text("SELECT question_id, officer, text FROM officer_answers"))
        assert answers.all() == [(1, "cli", "Đáp")]
        # The newest contact and question are deleted; their numbers must not come back.
        conn.execute(text("DELETE FROM question_log WHERE id = 2"))
        conn.execute(text("DELETE FROM contacts WHERE id = 2"))
        conn.execute(
            text(
                "INSERT INTO contacts (channel, platform_id, language, role, status, "
                "first_seen, last_seen) VALUES ('console', 'new', 'vi', 'enterprise', "
                "'active', :now, :now)"
            ),
            {"now": NOW},
        )
        contact_id = conn.execute(
            text("SELECT id FROM contacts WHERE platform_id = 'new'")
        ).scalar()
        conn.execute(
            text(
                "INSERT INTO question_log (contact_id, channel, text, lang, score, confident, "
                "alternatives, handed_off, created_at) VALUES (:c, 'console', 'Mới', 'vi', 0, "
                "false, '[]', false, :now)"
            ),
            {"c": contact_id, "now": NOW},
        )
        question_id = conn.execute(text("SELECT id FROM question_log WHERE text = 'Mới'")).scalar()
    engine.dispose()
    assert contact_id == 3 and question_id == 3
    migrate.downgrade(db_url, "0004")  # the answer goes back to its old column
    engine = make_engine(db_url)
    with engine.begin() as conn:
        row = conn.execute(text("SELECT answer, answered_by FROM question_log WHERE id = 1"))
        assert row.one() == ("Đáp", "cli")
    engine.dispose()
