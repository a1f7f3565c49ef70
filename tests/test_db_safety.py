"""What the database cannot store is cleaned in one place, and its errors never carry what
people typed (issue 8 item 6)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from bot.app import build_conversation
from storage.db import make_engine, session_scope
from storage.models import Contact, QuestionLog
from tests.chat import Person, rows
from tests.conftest import make_settings

NUL_TEXT = "Xin gặp cán bộ\x00 về thủ tục vay vốn SXSH"


@pytest.fixture
def conv(db_url, clock):
    c = build_conversation(make_settings(db_url), clock=clock)
    yield c
    c.engine.dispose()


def test_an_officer_request_with_a_nul_byte_is_stored_and_confirmed(conv):
    p = Person(conv)
    p.says("/officer")
    p.says(NUL_TEXT)
    assert "Đã chuyển cho cán bộ" in p.text
    [row] = rows(conv, QuestionLog)
    assert row.text == "Xin gặp cán bộ về thủ tục vay vốn SXSH"


def test_a_question_with_a_nul_byte_is_answered_not_apologised(conv):
    p = Person(conv)
    p.says("/start")
    p.says("tiết kiệm\x00 năng lượng")
    assert "bot gặp lỗi khi xử lý tin nhắn" not in p.text
    assert [r.text for r in rows(conv, QuestionLog)] == ["tiết kiệm năng lượng"]


def test_a_lone_surrogate_from_a_platform_is_stored_as_a_replacement_character(conv):
    p = Person(conv)
    p.says("/officer")
    p.says("Cần hỗ trợ \ud83d gấp")  # half of an emoji, as a broken client sends it
    assert "Đã chuyển cho cán bộ" in p.text
    assert [r.text for r in rows(conv, QuestionLog)] == ["Cần hỗ trợ \ufffd gấp"]


def test_raw_sql_parameters_are_cleaned_too(db_url):
    engine = make_engine(db_url)
    from storage import migrate

    migrate.upgrade(db_url)
    try:
        with session_scope(engine) as s:
            s.exec(
                text("INSERT INTO app_state (key, value) VALUES (:k, :v)"),
                params={"k": "note", "v": "a\x00b"},
            )
        with Session(engine) as s:
            value = s.exec(text("SELECT value FROM app_state WHERE key = 'note'")).scalar_one()
        assert value == "ab"
    finally:
        engine.dispose()


def test_a_database_error_does_not_carry_the_parameters(db_url, caplog):
    from storage import migrate

    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    when = {"first_seen": now, "last_seen": now}
    name = "Nguyễn Văn An 0912345678"
    try:
        with pytest.raises((IntegrityError, DBAPIError)) as err, session_scope(engine) as s:
            for _ in range(2):  # the same person twice: a unique constraint fails
                s.add(Contact(channel="console", platform_id="u9", display_name=name, **when))
        logging.getLogger("test").error("database error: %s", err.value)
    finally:
        engine.dispose()
    assert "0912345678" not in str(err.value)
    assert "0912345678" not in caplog.text
    assert "hidden due to hide_parameters" in str(err.value)
