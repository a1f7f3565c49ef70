"""What an enterprise sees: upcoming events in Vietnamese dates, one-tap registration with a
calendar file, the waiting list, closed registration, "Sự kiện của tôi" and /subscribe."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.events_models import Registration, Subscription
from storage.models import Contact, Enterprise, Outbox
from tests.chat import Person, rows
from tests.events.conftest import START, reload, save


def test_events_lists_the_card_as_people_in_vietnam_read_it(conversation, person):
    save(conversation, capacity=30)
    person.says("/events")
    assert "Hội thảo: Hội thảo tiết kiệm năng lượng" in person.text
    assert "🕗 Thứ Sáu, 04/12/2026 lúc 08:00" in person.text
    assert "📍 Hội trường Sở Công Thương" in person.text
    assert "Còn 30 chỗ." in person.text
    assert "✅ Đăng ký" in person.buttons


def test_register_sends_the_calendar_file_and_takes_a_seat(conversation, person):
    save(conversation, capacity=2)
    person.says("/events")
    person.presses("✅ Đăng ký")
    reply = person.last[0]
    assert (
        'Đã đăng ký "Hội thảo tiết kiệm năng lượng" – Thứ Sáu, 04/12/2026 lúc 08:00' in reply.text
    )
    assert reply.attachment is not None
    assert reply.attachment.filename == "ws-1.ics"
    assert reply.attachment.mime_type == "text/calendar"
    assert b"UID:event-ws-1@" in reply.attachment.data
    assert reload(conversation).seats_taken == 1
    person.says("/events")
    assert "Còn 1 chỗ." in person.text and "❌ Hủy đăng ký" in person.buttons
    person.presses("❌ Hủy đăng ký")
    assert 'Đã hủy đăng ký "Hội thảo tiết kiệm năng lượng"' in person.text
    assert reload(conversation).seats_taken == 0
    [reg] = rows(conversation, Registration)
    assert reg.status == "cancelled"


def test_a_full_event_offers_the_waiting_list_and_promotes_when_a_seat_frees(conversation):
    save(conversation, capacity=1)
    first, second = Person(conversation, user_id="a"), Person(conversation, user_id="b")
    first.says("/events")
    first.presses("✅ Đăng ký")
    second.says("/events")
    assert "Đã đủ chỗ – anh/chị có thể vào danh sách chờ." in second.text
    second.presses("⏳ Vào danh sách chờ")
    assert "đứng thứ 1 trong danh sách chờ" in second.text
    assert second.last[0].attachment is None
    first.says("/events")
    first.presses("❌ Hủy đăng ký")
    statuses = {r.contact_id: r.status for r in rows(conversation, Registration)}
    assert sorted(statuses.values()) == ["cancelled", "registered"]
    [notice] = rows(conversation, Outbox, Outbox.kind == "event_promoted")
    b = rows(conversation, Contact, Contact.platform_id == "b")[0]
    assert notice.contact_id == b.id
    assert reload(conversation).seats_taken == 1


def test_closed_registration_says_so(conversation, person, clock):
    save(conversation, registration_deadline=clock.now() + timedelta(hours=1))
    person.says("/events")
    assert "Hạn đăng ký: Thứ Bảy, 28/11/2026 lúc 10:00." in person.text  # Vietnam time
    clock.advance(hours=2)
    person.presses("✅ Đăng ký")
    assert 'Sự kiện "Hội thảo tiết kiệm năng lượng" đã hết hạn đăng ký.' in person.text
    person.says("/events")
    assert "Đã hết hạn đăng ký." in person.text
    assert "✅ Đăng ký" not in person.buttons
    assert rows(conversation, Registration) == []


def test_a_button_for_the_old_time_shows_the_new_card_instead(conversation, person):
    save(conversation)
    person.says("/events")
    save(conversation, starts_at=START + timedelta(days=1))  # moved: version 2
    person.presses("✅ Đăng ký")
    assert "Thông tin sự kiện vừa thay đổi" in person.text
    assert "Thứ Bảy, 05/12/2026 lúc 08:00" in person.text
    assert rows(conversation, Registration) == []
    person.presses("✅ Đăng ký")
    assert "Đã đăng ký" in person.text


def test_my_events_lists_registrations(conversation, person):
    save(conversation)
    save(conversation, code="tr-1", kind="training", title_vi="Tập huấn SXSH", capacity=1)
    other = Person(conversation, user_id="x")
    other.says("/events")
    other.press_payload("ev:r:2:1")
    person.press_payload("ev:r:1:1")
    person.press_payload("ev:r:2:1")
    person.presses("🗂 Sự kiện của tôi")
    assert "• Đã đăng ký: Hội thảo tiết kiệm năng lượng – Thứ Sáu, 04/12/2026 lúc 08:00" in (
        person.text
    )
    assert "• Danh sách chờ: Tập huấn SXSH" in person.text


def test_subscribe_in_two_taps_and_see_what_you_receive(conversation, person):
    person.says("/subscribe")
    assert "Đang nhận: chưa chọn chủ đề nào." in person.text
    person.presses("⬜ Tập huấn")
    assert "Đang nhận: Tập huấn." in person.text
    assert "✅ Tập huấn" in person.buttons
    assert [s.topic for s in rows(conversation, Subscription)] == ["training"]
    person.presses("✅ Tập huấn")
    assert rows(conversation, Subscription) == []


def test_the_audience_filter_hides_events_meant_for_others(conversation, person):
    save(conversation, audience='{"sectors": ["seafood"]}')
    person.says("/events")
    assert "Hiện chưa có sự kiện sắp tới" in person.text
    from sqlmodel import Session

    with Session(conversation.engine) as s:
        ent = Enterprise(name="Thủy sản A", sector="seafood", created_at=START, updated_at=START)
        s.add(ent)
        s.flush()
        contact = s.exec(Contact.__table__.select()).first()
        row = s.get(Contact, contact.id)
        row.enterprise_id = ent.id
        s.add(row)
        s.commit()
    person.says("/events")
    assert "Hội thảo tiết kiệm năng lượng" in person.text


def test_english_speakers_read_english_dates(conversation, person):
    save(conversation)
    person.says("/lang en")
    person.says("/events")
    assert "Workshop: Energy saving workshop" in person.text
    assert "🕗 Friday, 04/12/2026 at 08:00" in person.text


def test_drafts_and_stale_payloads_show_nothing_wrong(conversation, person):
    save(conversation, status="draft")
    person.says("/events")
    assert "Hiện chưa có sự kiện sắp tới" in person.text
    person.press_payload("ev:r:1:1")
    assert "không còn nhận đăng ký" in person.text
    person.press_payload("ev:r:abc")
    assert "Nút này không còn dùng được" in person.text
    assert rows(conversation, Registration) == []


def test_deleting_my_data_gives_my_seat_to_the_first_waiting_person(conversation):
    save(conversation, capacity=1)
    first, second = Person(conversation, user_id="a"), Person(conversation, user_id="b")
    first.press_payload("ev:r:1:1")
    second.press_payload("ev:r:1:1")
    first.says("/mydata")
    assert "Sự kiện đã đăng ký: 1" in first.text
    first.says("/deletedata")
    first.presses("Có, xóa hết")
    assert [r.status for r in rows(conversation, Registration)] == ["registered"]
    assert reload(conversation).seats_taken == 1


def test_housekeeping_marks_started_events_past_and_they_leave_the_list(conversation, clock):
    save(conversation)
    [job] = [j for j in conversation.maintenance_jobs() if j.__name__ == "events_past"]
    assert job() == 0
    clock._now = START + timedelta(minutes=1)
    assert job() == 1
    assert reload(conversation).status == "past"


def test_the_seat_given_back_by_deletedata_is_told_in_the_configured_zone(sqlite_url, clock):
    import asyncio

    from bot.app import build_conversation
    from bot.delivery import Delivery
    from tests.conftest import make_settings
    from tests.events.test_reminders import Inbox

    settings = make_settings(sqlite_url, timezone="UTC")
    conv = build_conversation(settings, clock=clock)
    try:
        save(conv, capacity=1)
        first, second = Person(conv, user_id="a"), Person(conv, user_id="b")
        first.press_payload("ev:r:1:1")
        second.press_payload("ev:r:1:1")
        first.says("/deletedata")
        first.presses("Có, xóa hết")
        inbox = Inbox()
        asyncio.run(Delivery(conv.engine, conv, clock, {"console": inbox}).run_once())
        [notice] = inbox.texts("b")
        assert "Thứ Sáu, 04/12/2026 lúc 01:00" in notice  # 08:00 in Cần Thơ is 01:00 UTC
    finally:
        conv.engine.dispose()


def test_a_registered_person_sees_their_place_not_the_waiting_list_offer(conversation):
    save(conversation, capacity=1)
    first, second = Person(conversation, user_id="a"), Person(conversation, user_id="b")
    first.says("/events")
    first.presses("✅ Đăng ký")
    first.says("/events")
    assert "✅ Anh/chị đã đăng ký sự kiện này.\nĐã đủ chỗ." in first.text
    assert "danh sách chờ" not in first.text
    assert "❌ Hủy đăng ký" in first.buttons
    second.says("/events")
    second.presses("⏳ Vào danh sách chờ")
    second.says("/events")
    assert "⏳ Anh/chị đang ở vị trí 1 trong danh sách chờ." in second.text
    assert "có thể vào danh sách chờ" not in second.text
    first.says("/lang en")
    first.says("/events")
    assert "✅ You are registered for this event." in first.text


def test_cancelling_after_the_deadline_asks_first_and_promises_nothing(conversation, person, clock):
    """New-user tester, fault 5: after the deadline a cancelled seat cannot be taken back."""
    save(conversation, registration_deadline=clock.now() + timedelta(hours=1))
    person.says("/events")
    person.presses("✅ Đăng ký")
    clock.advance(hours=2)
    person.says("/events")
    person.presses("❌ Hủy đăng ký")
    assert "đã hết hạn đăng ký" in person.text and "không đăng ký lại được" in person.text
    assert [r.status for r in rows(conversation, Registration)] == ["registered"]
    person.presses("👍 Giữ chỗ")
    assert [r.status for r in rows(conversation, Registration)] == ["registered"]
    person.says("/events")
    person.presses("❌ Hủy đăng ký")
    person.presses("❌ Vẫn hủy đăng ký")
    assert 'Đã hủy đăng ký "Hội thảo tiết kiệm năng lượng".' in person.text
    assert "đăng ký lại" not in person.text
    assert [r.status for r in rows(conversation, Registration)] == ["cancelled"]


def test_cancelling_before_the_deadline_is_one_tap(conversation, person, clock):
    save(conversation, registration_deadline=clock.now() + timedelta(hours=1))
    person.says("/events")
    person.presses("✅ Đăng ký")
    person.presses("❌ Hủy đăng ký")
    assert "Anh/chị có thể đăng ký lại nếu còn chỗ" in person.text
    assert [r.status for r in rows(conversation, Registration)] == ["cancelled"]


def test_eventinfo_with_an_unknown_code_says_it_is_unknown(conversation):
    save(conversation)
    officer = Person(conversation, user_id="officer")
    officer.says("/eventinfo nope")
    assert 'Không có sự kiện nào mã "nope"' in officer.text
    officer.says("/eventinfo")
    assert "Gõ kèm mã sự kiện" in officer.text


def test_my_events_buttons_cut_titles_on_a_word_boundary(conversation, person):
    save(conversation)
    person.says("/events")
    person.presses("✅ Đăng ký")
    person.presses("🗂 Sự kiện của tôi")
    assert "❌ Hủy đăng ký: Hội thảo tiết kiệm năng…" in person.buttons


@pytest.mark.parametrize(
    ("typed", "cancelled"),
    [("có", True), ("Vẫn hủy đăng ký", True), ("không", False), ("giu cho", False)],
)
def test_the_after_deadline_question_takes_a_typed_answer(
    conversation, person, clock, typed, cancelled
):
    save(conversation, registration_deadline=clock.now() + timedelta(hours=1))
    person.says("/events")
    person.presses("✅ Đăng ký")
    clock.advance(hours=2)
    person.says("/events")
    person.presses("❌ Hủy đăng ký")
    person.says(typed)
    status = "cancelled" if cancelled else "registered"
    assert [r.status for r in rows(conversation, Registration)] == [status]
    person.says("có")  # the question is closed: nothing more happens
    assert [r.status for r in rows(conversation, Registration)] == [status]
