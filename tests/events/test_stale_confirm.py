"""An old "❌ Vẫn hủy đăng ký" (tester round 2): after the person answered "👍 Giữ chỗ", the
button of that earlier question still gave the seat away at once, and after the deadline a seat
given away cannot be taken back. Only the question still open cancels; an old one asks again."""

from __future__ import annotations

from datetime import timedelta

from storage.events_models import Registration
from tests.chat import Person, rows
from tests.events.conftest import save


def _asked(conversation, clock) -> tuple[Person, str]:  # noqa: ANN001
    save(conversation, registration_deadline=clock.now() + timedelta(hours=1))
    person = Person(conversation, user_id="dn1")
    person.says("/events")
    person.presses("✅ Đăng ký")
    clock.advance(hours=2)
    person.says("/events")
    person.presses("❌ Hủy đăng ký")
    [anyway] = [b.payload for r in person.last for b in r.buttons if b.label.startswith("❌ Vẫn")]
    return person, anyway


def test_the_old_cancel_anyway_after_keep_my_seat_asks_again(conversation, clock):
    person, anyway = _asked(conversation, clock)
    person.presses("👍 Giữ chỗ")
    person.press_payload(anyway)
    assert [r.status for r in rows(conversation, Registration)] == ["registered"]
    assert "đã hết hạn đăng ký" in person.text  # the question again, with its buttons
    person.presses("❌ Vẫn hủy đăng ký")
    assert [r.status for r in rows(conversation, Registration)] == ["cancelled"]


def test_the_old_cancel_anyway_after_a_typed_no_asks_again(conversation, clock):
    person, anyway = _asked(conversation, clock)
    person.says("không")
    person.press_payload(anyway)
    assert [r.status for r in rows(conversation, Registration)] == ["registered"]


def test_the_cancel_anyway_of_the_open_question_cancels(conversation, clock):
    person, anyway = _asked(conversation, clock)
    person.press_payload(anyway)
    assert [r.status for r in rows(conversation, Registration)] == ["cancelled"]


def test_cancel_typed_at_the_question_keeps_the_seat_and_voids_its_yes(conversation, clock):
    person, anyway = _asked(conversation, clock)
    person.says("/cancel")
    assert "Sự kiện anh/chị đã đăng ký" in person.text or "🗂" in person.text
    person.press_payload(anyway)
    assert [r.status for r in rows(conversation, Registration)] == ["registered"]
