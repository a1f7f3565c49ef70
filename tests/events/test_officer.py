"""Officers in the chat: a guided conversation with a preview before publishing, rights
checked on the server, the officer view per event, and the whole journey in the terminal:
an officer creates and publishes, an enterprise registers and gets the .ics, the officer moves
the event, the enterprise gets one change notice and one reminder at the new time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.delivery import Delivery
from storage.events_models import Event
from tests.chat import Person, rows
from tests.events.test_reminders import Inbox


def create(officer: Person, start: str = "04/12/2026 08:00", seats: str = "30") -> None:
    officer.says("/newevent")
    assert "Chọn loại sự kiện" in officer.text
    officer.presses("Hội thảo")
    officer.says("Hội thảo kiểm toán năng lượng")
    officer.says("Energy audit workshop")
    officer.says(start)
    officer.says("Hội trường Sở Công Thương")
    officer.says(seats)


def test_an_officer_creates_an_event_with_a_preview_before_publishing(conversation):
    officer = Person(conversation, user_id="officer")
    create(officer)
    assert "Xem trước" in officer.text
    assert "Hội thảo: Hội thảo kiểm toán năng lượng" in officer.text
    assert "🕗 Thứ Sáu, 04/12/2026 lúc 08:00" in officer.text
    assert "Còn 30 chỗ." in officer.text
    assert rows(conversation, Event) == []  # nothing saved before the officer decides
    officer.presses("✅ Đăng")
    assert "Đã đăng" in officer.text and "workshop-20261204" in officer.text
    [event] = rows(conversation, Event)
    assert (event.status, event.capacity, event.title_en) == (
        "published",
        30,
        "Energy audit workshop",
    )
    assert event.starts_at == datetime(2026, 12, 4, 1, 0, tzinfo=UTC)


def test_wrong_answers_say_what_is_expected_and_change_nothing(conversation):
    officer = Person(conversation, user_id="officer")
    officer.says("/newevent")
    officer.presses("Hội thảo")
    officer.says("Hội thảo A")
    officer.says("-")
    officer.says("mai 8 giờ")
    assert 'Chưa đọc được thời gian "mai 8 giờ"' in officer.text
    officer.says("01/01/2020 08:00")
    assert "Thời gian này đã qua" in officer.text
    officer.says("04/12/2026 08:00")
    officer.says("Hội trường")
    officer.says("ba mươi")
    assert "Số chỗ phải là một số nguyên" in officer.text
    officer.says("-")
    assert "Đang nhận đăng ký." in officer.text  # no limit
    officer.presses("❌ Bỏ")
    assert "Đã bỏ bản nháp" in officer.text
    assert rows(conversation, Event) == []
    officer.says("sxsh là gì")  # free text is a question again
    assert "Vui lòng bấm" not in officer.text


def test_enterprises_cannot_create_or_see_officer_views(conversation):
    someone = Person(conversation, user_id="someone")
    for command in ("/newevent", "/editevent ws-1", "/eventinfo ws-1"):
        someone.says(command)
        assert "chưa hiểu lệnh" in someone.text  # officer commands do not exist for others
    someone.press_payload("evo:publish")  # nor do their buttons: the ordinary stale answer
    assert someone.text.startswith("Nút này không còn dùng được")
    assert rows(conversation, Event) == []


def test_the_terminal_journey_create_register_move_notice_and_one_reminder(conversation, clock):
    inbox = Inbox()
    delivery = Delivery(conversation.engine, conversation, clock, {"console": inbox})

    def deliver(moment: datetime) -> dict:
        clock._now = moment
        return asyncio.run(delivery.run_once())

    fan = Person(conversation, user_id="dn1")
    fan.says("/subscribe")
    fan.presses("⬜ Hội thảo, hội nghị")
    officer = Person(conversation, user_id="officer")
    create(officer)
    officer.presses("✅ Đăng")
    assert "1 người nhận tin" in officer.text
    assert deliver(clock.now()) == {"sent": 1}
    assert inbox.texts()[0].startswith("📢 Sự kiện mới: Hội thảo: Hội thảo kiểm toán năng lượng")

    fan.says("/events")
    fan.presses("✅ Đăng ký")
    assert fan.last[0].attachment.filename == "workshop-20261204.ics"

    officer.says("/editevent workshop-20261204")
    officer.presses("🕗 Đổi thời gian")
    officer.says("05/12/2026 14:00")
    assert "Thứ Bảy, 05/12/2026 lúc 14:00" in officer.text
    officer.presses("✅ Đăng")
    assert "1 người đã đăng ký sẽ nhận thông báo" in officer.text

    old = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)
    new = datetime(2026, 12, 5, 7, 0, tzinfo=UTC)
    assert deliver(clock.now()) == {"sent": 1}
    [(_, notice, ics)] = inbox.got[1:]
    assert "đã thay đổi" in notice and "Thứ Bảy, 05/12/2026 lúc 14:00" in notice
    assert ics == "workshop-20261204.ics"
    assert deliver(old - timedelta(days=1)) == {}
    assert deliver(old - timedelta(hours=2)) == {}
    assert deliver(new - timedelta(days=1)) == {"sent": 1}
    reminders = [t for t in inbox.texts() if t.startswith("⏰")]
    assert reminders == [
        '⏰ Nhắc lịch: "Hội thảo kiểm toán năng lượng" bắt đầu Thứ Bảy, 05/12/2026 lúc 14:00.\n'
        "📍 Hội trường Sở Công Thương"
    ]

    officer.says("/eventinfo workshop-20261204")
    assert "Đăng ký: 1 đã đăng ký, 0 chờ, 0 đã hủy." in officer.text
    assert "Lời nhắc: 1 chờ gửi, 1 đã gửi" in officer.text


def test_a_start_time_is_read_as_officers_write_it(conversation):
    officer = Person(conversation, user_id="officer")
    for typed, local in (
        ("05/12/2026 8h", (5, 8, 0)),
        ("5/12/2026 8h30", (5, 8, 30)),
        ("06/12/2026 lúc 14:00", (6, 14, 0)),
        ("07/12/2026 8g", (7, 8, 0)),
    ):
        create(officer, start=typed)
        assert "Xem trước" in officer.text, typed
        day, hour, minute = local
        assert f"{day:02d}/12/2026 lúc {hour:02d}:{minute:02d}" in officer.text, typed
        officer.presses("❌ Bỏ")
    officer.says("/newevent")
    officer.presses("Hội thảo")
    officer.says("Hội thảo A")
    officer.says("-")
    for wrong in ("05/12/2026 25h", "05/12/2026 8h75", "05/12/2026"):
        officer.says(wrong)
        assert f'Chưa đọc được thời gian "{wrong}"' in officer.text, wrong
    assert rows(conversation, Event) == []


def test_typing_a_button_label_at_the_kind_and_the_preview_presses_it(conversation):
    officer = Person(conversation, user_id="officer")
    officer.says("/newevent")
    officer.says("hoi thao")  # the kind's label without diacritics
    assert "Tên sự kiện (tiếng Việt)?" in officer.text
    officer.says("Hội thảo A")
    officer.says("-")
    officer.says("04/12/2026 08:00")
    officer.says("Hội trường")
    officer.says("30")
    officer.says("đăng")  # "✅ Đăng" typed
    assert "Đã đăng" in officer.text
    [event] = rows(conversation, Event)
    assert event.status == "published"
    officer.says("/newevent")
    officer.says("tiệc")  # no such button: what to do, nothing changes
    assert "Vui lòng bấm một nút bên dưới." in officer.text
    assert len(rows(conversation, Event)) == 1
