"""The officer side as a new officer met it (tester's fault 14): /help shows the officer commands
to officers only, lists and notices name officers by the names kept in the officers table, a
reply over another officer's claim asks for --force, an officer's own messages are no tickets."""

from __future__ import annotations

import re

import pytest

from bot.app import build_conversation
from handlers.registry import REGISTRY
from storage import officers
from storage.db import session_scope
from storage.tickets_models import OfficerRole, Ticket, TicketMessage
from tests.chat import Person, rows
from tests.conftest import make_settings


@pytest.fixture
def conv(sqlite_url, clock):
    """Two officers in the officers table (Trần Mai, Lê Lan), one in the settings only (an)."""
    settings = make_settings(sqlite_url, officer_ids="console:an")
    conversation = build_conversation(settings, clock=clock)
    with session_scope(conversation.engine) as s:
        for pid, name in (("mai", "Trần Mai"), ("lan", "Lê Lan")):
            officers.add(s, "console", pid, name, OfficerRole.officer, "cli:admin", clock.now())
    yield conversation
    conversation.engine.dispose()


def test_help_shows_the_officer_commands_to_officers_only(conv):
    officer_only = {n for n, c in REGISTRY.commands.items() if c.officer_only and n != "questions"}
    for lang_command, user in (("/help", "mai"), ("/help", "an")):
        shown = Person(conv, user_id=user).says(lang_command)[0].text
        named = set(re.findall(r"(?<![\w/])/([a-z]+)\b", shown))
        assert officer_only <= named, officer_only - named
    person = Person(conv, user_id="hoa").says("/help")[0].text
    assert "Cách dùng bot" in person
    assert not officer_only & set(re.findall(r"(?<![\w/])/([a-z]+)\b", person))


def test_inbox_and_a_second_officer_see_the_holder_by_name_and_a_reply_over_a_claim_asks(conv):
    Person(conv, user_id="hoa").says("/officer Cần tư vấn lò hơi")
    mai, lan = Person(conv, user_id="mai"), Person(conv, user_id="lan")
    mai.says("/claim 1")
    assert "Trần Mai" in lan.says("/inbox")[0].text
    assert "console:mai" not in lan.text
    lan.says("/claim 1")
    assert lan.text == "Phiếu #1 đã có người nhận: Trần Mai."
    lan.says("/reply 1 Em gọi lại cho anh chiều nay.")
    assert lan.text.startswith("Phiếu #1 đang do Trần Mai xử lý.")
    assert "/reply 1 --force" in lan.text
    assert [m for m in rows(conv, TicketMessage) if m.from_officer] == []  # nothing sent
    lan.says("/reply 1 --force Em gọi lại cho anh chiều nay.")
    assert "#1" in lan.text and "đang do" not in lan.text
    [answer] = [m for m in rows(conv, TicketMessage) if m.from_officer]
    assert answer.officer == "console:lan" and answer.text == "Em gọi lại cho anh chiều nay."
    mai.says("/reply 1 --force Chị Mai bổ sung.")  # the holder is never asked about herself
    assert "đang do" not in mai.text


def test_an_officers_own_stray_messages_are_no_tickets(conv):
    mai = Person(conv, user_id="mai")
    for stray in ("06/12/2026 14:00", "Gọi cho tôi về chuyện con mèo nhà hàng xóm", "gặp cán bộ"):
        mai.says(stray)
    assert rows(conv, Ticket) == []
    Person(conv, user_id="hoa").says("Gọi cho tôi về chuyện con mèo nhà hàng xóm")
    assert len(rows(conv, Ticket)) == 1  # a person's question still is one
