"""A sticker, a photo without a caption, blank spaces or an emoji alone sent at an open question
(the assessment's consent, the erase question, "cancel after the deadline?", the officer's
message, an officer's answer after ✍️) answers nothing: the question stays open and is shown
again with its buttons. New-user tester: after a sticker at the consent question "đồng ý" was
read as a question about privacy; after a sticker following ✍️ Trả lời the officer's answer
was read as a question to the bot and never reached the person."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import build_conversation
from handlers.messages import Inbound
from storage.events_models import Registration
from storage.models import Contact, Outbox, Response
from storage.tickets_models import TicketMessage
from tests.chat import Person, rows
from tests.conftest import make_settings
from tests.events.conftest import save


@pytest.fixture
def conv(sqlite_url, clock):
    conversation = build_conversation(
        make_settings(sqlite_url, officer_ids="console:cb"), clock=clock
    )
    yield conversation
    conversation.engine.dispose()


def sends_nothing(p: Person, what: str) -> None:
    """A sticker or photo (the channel's "unsupported"), blank spaces, or an emoji alone."""
    if what == "sticker":
        p.last = p.conversation.handle(
            Inbound(channel=p.channel, user_id=p.user_id, kind="unsupported")
        )
    else:
        p.says({"spaces": "   ", "emoji": "👍"}[what])


NOTHING = ["sticker", "spaces", "emoji"]


@pytest.mark.parametrize("what", NOTHING)
def test_the_consent_question_stays_open(conv, what):
    p = Person(conv, user_id="dn")
    p.says("/assess")
    sends_nothing(p, what)
    assert "Anh/chị có đồng ý cung cấp thông tin liên hệ" in p.text
    assert "✅ Đồng ý" in p.buttons
    p.says("dong y")
    assert "Câu 1/" in p.text
    assert len(rows(conv, Response)) == 1


@pytest.mark.parametrize("what", NOTHING)
def test_the_erase_question_stays_open(conv, what):
    p = Person(conv, user_id="dn")
    p.says("/start")
    p.says("/deletedata")
    sends_nothing(p, what)
    assert "Xóa toàn bộ dữ liệu cá nhân" in p.text and "Có, xóa hết" in p.buttons
    assert len(rows(conv, Contact)) == 1  # nothing erased by the sticker
    p.says("có")
    assert "Đã xóa dữ liệu cá nhân" in p.text
    assert rows(conv, Contact) == []


@pytest.mark.parametrize("what", NOTHING)
def test_the_cancel_after_the_deadline_question_stays_open(conv, clock, what):
    save(conv, registration_deadline=clock.now() + timedelta(hours=1))
    p = Person(conv, user_id="dn")
    p.says("/events")
    p.presses("✅ Đăng ký")
    clock.advance(hours=2)
    p.says("/events")
    p.presses("❌ Hủy đăng ký")
    sends_nothing(p, what)
    assert "Anh/chị vẫn muốn hủy?" in p.text
    assert [r.status for r in rows(conv, Registration)] == ["registered"]
    p.says("có")
    assert [r.status for r in rows(conv, Registration)] == ["cancelled"]


@pytest.mark.parametrize("what", NOTHING)
def test_the_message_for_an_officer_is_asked_again_with_its_button(conv, what):
    p = Person(conv, user_id="dn")
    p.says("/officer")
    sends_nothing(p, what)
    assert "Anh/chị gõ câu hỏi hoặc nội dung cần cán bộ" in p.text
    assert "Thôi, không gửi" in p.buttons


@pytest.mark.parametrize("what", ["sticker", "spaces"])
def test_an_officers_answer_after_a_sticker_still_reaches_the_person(conv, what):
    officer = Person(conv, user_id="cb")
    officer.says("/start")
    Person(conv, user_id="dn").says("/officer Tôi cần tư vấn lò hơi")
    officer.press_payload("tk:reply:1")
    sends_nothing(officer, what)
    assert "Gõ nội dung trả lời phiếu #1" in officer.text
    officer.says("Chào anh, chiều nay em gọi lại ạ.")
    assert "Đã xếp trả lời phiếu #1" in officer.text
    answers = [m.text for m in rows(conv, TicketMessage) if m.from_officer]
    assert answers == ["Chào anh, chiều nay em gọi lại ạ."]
    [person] = [c for c in rows(conv, Contact) if c.platform_id == "dn"]
    queued = [o.kind for o in rows(conv, Outbox) if o.contact_id == person.id]
    assert queued == ["officer_reply"]  # on its way to the person
