"""Second confirmations when scheduling (tester's fault 4): scheduling a broadcast identical to
one already scheduled asked "send anyway?" without a button to say so, and called the scheduled
one "running"; the draft stayed stuck."""

from __future__ import annotations

from storage.broadcasts_models import Broadcast
from tests.chat import Person, rows
from tests.test_broadcasts import people


def schedule(officer: Person, text: str, when: str) -> None:
    officer.says(f"/broadcast {text}")
    officer.presses("👥 Tất cả")
    officer.presses("🕒 Lên lịch")
    officer.says(when)


def test_scheduling_a_twin_of_a_scheduled_broadcast_asks_with_buttons(conversation, clock):
    people(conversation, clock, 2)
    officer = Person(conversation, user_id="officer")
    schedule(officer, "Họp mặt doanh nghiệp cuối năm", "05/12/2026 08:00")
    assert "sẽ gửi lúc" in officer.text
    schedule(officer, "Họp mặt doanh nghiệp cuối năm", "06/12/2026 08:00")
    assert "#1 có cùng nội dung" in officer.text
    assert "đã lên lịch" in officer.text  # not "still running"
    assert officer.buttons == ["⚠️ Vẫn gửi", "✖ Hủy"]
    assert [r.status for r in rows(conversation, Broadcast)] == ["scheduled", "draft"]
    officer.presses("⚠️ Vẫn gửi")
    assert "Thông báo #2 sẽ gửi lúc" in officer.text and "06/12/2026" in officer.text
    assert [r.status for r in rows(conversation, Broadcast)] == ["scheduled", "scheduled"]


def test_cancel_at_the_twin_question_cancels_the_draft(conversation, clock):
    people(conversation, clock, 1)
    officer = Person(conversation, user_id="officer")
    schedule(officer, "Tập huấn kiểm toán năng lượng", "05/12/2026 08:00")
    schedule(officer, "Tập huấn kiểm toán năng lượng", "07/12/2026 08:00")
    officer.presses("✖ Hủy")
    assert [r.status for r in rows(conversation, Broadcast)] == ["scheduled", "cancelled"]
