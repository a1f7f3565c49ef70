"""Second confirmations when scheduling (tester's fault 4): scheduling a broadcast identical to
one already scheduled asked "send anyway?" without a button to say so, and called the scheduled
one "running"; the draft stayed stuck. A preview for an audience nobody matches offered "Send
now" with 0 recipients."""

from __future__ import annotations

from storage.broadcasts_models import Broadcast
from storage.models import Outbox
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


def test_a_preview_nobody_matches_says_so_and_offers_no_sending(conversation, clock):
    people(conversation, clock, 2, prefix="r", sector="rice_food")
    officer = Person(conversation, user_id="officer")
    officer.says("/broadcast Tập huấn chế biến thủy sản sạch hơn")
    officer.says("sector=seafood")  # a sector that exists, but nobody is in it
    assert "0 người nhận" in officer.text
    assert "Không có ai khớp với nhóm người nhận này" in officer.text
    assert officer.buttons == ["👥 Tất cả", "✖ Hủy"]  # neither send nor schedule
    officer.press_payload("bc:send:1")  # a send button from elsewhere: still nobody
    assert "Không có ai khớp với nhóm người nhận này" in officer.text
    assert rows(conversation, Outbox, Outbox.kind == "broadcast") == []
    assert [r.status for r in rows(conversation, Broadcast)] == ["draft"]
    officer.says("sector=rice_food")  # the draft still asks for its audience
    assert "2 người nhận" in officer.text and "✅ Gửi ngay" in officer.buttons
