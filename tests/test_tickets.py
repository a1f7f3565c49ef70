"""Tickets in the conversation core (console channel, real SQLite or PostgreSQL): opened by what
the bot could not answer and by requests for a person, joined while open, reopened within the
window, the person told once, officers' cards exactly once, claims first-wins, forged presses
refused, reminders in working hours and the daily digest, /unanswered, /note."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.app import build_conversation
from bot.delivery import Delivery
from handlers.tickets import jobs
from storage.db import session_scope
from storage.models import Contact, Outbox
from storage.tickets_models import AuditEntry, Ticket, TicketMessage
from tests.chat import Person, rows
from tests.conftest import make_settings
from tests.test_assessment import Recorder

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
UNKNOWN = "Gọi cho tôi về chuyện con mèo nhà hàng xóm"  # nothing in the content answers this


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=HCM).astimezone(UTC)


def cards(conversation) -> list[Outbox]:
    return rows(conversation, Outbox, Outbox.kind == "ticket_card")


def test_an_unanswered_question_opens_a_ticket_and_the_person_is_told_once(conversation, clock):
    officer = Person(conversation, user_id="officer")
    officer.says("/start")  # the officer has a chat with the bot: cards can reach them
    p = Person(conversation, user_id="lan")
    p.says(UNKNOWN)
    assert "chưa có câu trả lời" in p.text or "chưa chắc" in p.text
    assert "phiếu #1" in p.text and "1 ngày làm việc" in p.text
    p.says("sản xuất sạch hơn là gì")  # answered normally, and joins the open ticket
    assert "phòng ngừa" in p.text and "phiếu #1" not in p.text
    p.says("Còn một chuyện nữa về con mèo nhà hàng xóm")
    assert "phiếu #" not in p.text  # told once per opening
    [ticket] = rows(conversation, Ticket)
    assert (ticket.status, ticket.source, ticket.question) == ("open", "unanswered", UNKNOWN)
    p.says("/mydata")
    assert (
        "Phiếu gửi cán bộ Sở Công Thương (câu hỏi, tin nhắn và câu trả lời của cán bộ): 1."
        in p.text
    )
    said = rows(conversation, TicketMessage)
    assert [m.text for m in said] == [
        "sản xuất sạch hơn là gì",
        "Còn một chuyện nữa về con mèo nhà hàng xóm",
    ]
    [card] = cards(conversation)
    assert card.key.startswith("ticket_card:1:1:")
    [officer_contact] = rows(conversation, Contact, Contact.platform_id == "officer")
    assert card.contact_id == officer_contact.id  # to the officer, not to the person


async def test_cards_reach_each_officer_once_and_show_the_enterprise(conversation, clock):
    officer = Person(conversation, user_id="officer")
    officer.says("/start")
    officer.says("/stop")  # no announcements: work messages about tickets still come
    p = Person(conversation, user_id="lan")
    p.says("/officer Xin tư vấn tiết kiệm năng lượng cho xưởng")
    p.says("/officer Bổ sung: xưởng 200 công nhân")  # joins: no second card
    recorder = Recorder()
    delivery = Delivery(conversation.engine, conversation, clock, {"console": recorder})
    assert await delivery.run_once() == {"sent": 1}
    assert await delivery.run_once() == {}
    [(user, [card])] = recorder.sent
    assert user == "officer"
    assert card.text.startswith("🎫 #1 · 👤")
    assert "(chưa có thông tin doanh nghiệp)" in card.text
    assert "tiết kiệm năng lượng" in card.text and "200 công nhân" in card.text
    assert [b.payload for b in card.buttons] == ["tk:claim:1", "tk:reply:1", "tk:close:1"]


def test_a_closed_ticket_reopens_within_the_window_and_not_after(conversation, clock):
    Person(conversation, user_id="officer").says("/start")
    p = Person(conversation, user_id="lan")
    officer = Person(conversation, user_id="officer")
    p.says("/officer Hỏi về hồ sơ vay vốn")
    officer.says("/reply 1 Anh/chị gửi hồ sơ qua email của Sở.")
    officer.says("/close 1")
    clock.advance(days=2)
    p.says("Email của Sở là gì ạ?")
    [ticket] = rows(conversation, Ticket)
    assert (ticket.status, ticket.opening) == ("open", 2)
    assert "phiếu #1" in p.text  # told again: a new opening
    assert len(cards(conversation)) == 2  # a new card for the new opening
    officer.says("/close 1")
    clock.advance(days=4)
    p.says("/officer Câu hỏi mới hoàn toàn")
    assert [(t.id, t.status) for t in rows(conversation, Ticket)] == [(1, "closed"), (2, "open")]


def test_a_second_officer_is_told_who_has_the_ticket(conversation, sqlite_url, clock):
    Person(conversation, user_id="lan").says("/officer Cần gặp cán bộ")
    settings = make_settings(sqlite_url, officer_ids="console:officer,console:an")
    conversation.settings = settings
    mai, an = Person(conversation, user_id="officer"), Person(conversation, user_id="an")
    mai.says("/claim 1")
    assert "đã nhận phiếu #1" in mai.text
    an.press_payload("tk:claim:1")
    assert an.text == "Phiếu #1 đã có người nhận: console:officer."
    mai.says("/claim 1")  # pressing again is harmless
    assert "đã nhận phiếu #1" in mai.text
    assert [(e.actor, e.action) for e in rows(conversation, AuditEntry)] == [
        ("console:officer", "ticket.claim"),
        ("console:officer", "ticket.claim"),
    ]


def test_two_officers_claiming_at_once_on_postgresql_one_wins(pg_url, clock):
    settings = make_settings(pg_url, officer_ids="console:mai,console:an")
    conv = build_conversation(settings, clock=clock)
    try:
        rounds = 6
        for i in range(rounds):
            Person(conv, user_id=f"p{i}").says(f"/officer Cần gặp cán bộ {i}")
        mai, an = Person(conv, user_id="mai"), Person(conv, user_id="an")
        mai.says("/start"), an.says("/start")
        for ticket_id in range(1, rounds + 1):
            barrier = threading.Barrier(2)

            def press(officer: Person, ticket_id: int = ticket_id, barrier=barrier) -> None:  # noqa: ANN001
                barrier.wait()
                officer.press_payload(f"tk:claim:{ticket_id}")

            threads = [threading.Thread(target=press, args=(o,)) for o in (mai, an)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            said = sorted([mai.text, an.text])
            won = [s for s in said if f"đã nhận phiếu #{ticket_id}" in s]
            lost = [s for s in said if "đã có người nhận" in s]
            assert len(won) == 1 and len(lost) == 1, said
        claimed = rows(conv, Ticket)
        assert all(t.claimed_by in ("console:mai", "console:an") for t in claimed)
        assert len(rows(conv, AuditEntry)) == rounds  # one claim each, by the winner
    finally:
        conv.engine.dispose()


@pytest.mark.parametrize("payload", ["tk:claim:1", "tk:reply:1", "tk:close:1"])
def test_a_forged_ticket_button_from_a_non_officer_changes_nothing(conversation, payload):
    Person(conversation, user_id="lan").says("/officer Cần gặp cán bộ")
    before = [(t.status, t.claimed_by) for t in rows(conversation, Ticket)]
    outbox_before = len(rows(conversation, Outbox))
    stranger = Person(conversation, user_id="stranger")
    stranger.press_payload(payload)
    assert stranger.text.startswith("Nút này không còn dùng được.")
    stranger.says("Tôi là cán bộ đây, trả lời phiếu 1")  # no reply flow was opened
    assert [(t.status, t.claimed_by) for t in rows(conversation, Ticket)] == before
    assert rows(conversation, TicketMessage, TicketMessage.from_officer.is_(True)) == []
    assert len(rows(conversation, Outbox)) == outbox_before
    assert rows(conversation, AuditEntry) == []


async def test_the_reply_button_takes_the_next_message_as_the_answer(conversation, clock):
    p = Person(conversation, user_id="lan")
    p.says("/officer Cần gặp cán bộ về môi trường")
    officer = Person(conversation, user_id="officer")
    officer.press_payload("tk:reply:1")
    assert "Gõ nội dung trả lời phiếu #1" in officer.text
    officer.says("Chiều nay cán bộ sẽ gọi anh/chị.")
    assert "Đã xếp trả lời phiếu #1" in officer.text
    recorder = Recorder()
    delivery = Delivery(conversation.engine, conversation, clock, {"console": recorder})
    await delivery.run_once()
    [(user, [reply])] = [(u, r) for u, r in recorder.sent if u == "lan"]
    assert "Chiều nay cán bộ sẽ gọi" in reply.text and "môi trường" in reply.text
    officer.says("sản xuất sạch hơn là gì")  # the flow is over: an ordinary question again
    assert "phòng ngừa" in officer.text


def test_replying_to_a_card_answers_that_ticket(conversation):
    from handlers.messages import Inbound

    Person(conversation, user_id="lan").says("/officer Cần gặp cán bộ")
    card = "🎫 #1 · 👤 mở lúc 28/11/2026 09:00 · Terminal\n(chưa có thông tin doanh nghiệp)"
    replies = conversation.handle(
        Inbound(channel="console", user_id="officer", text="Đã nhận, sẽ gọi lại.", reply_to=card)
    )
    assert "Đã xếp trả lời phiếu #1" in replies[0].text
    forged = conversation.handle(
        Inbound(channel="console", user_id="stranger", text="Trả lời giả", reply_to=card)
    )
    assert "phiếu #1" not in forged[0].text
    answers = rows(conversation, TicketMessage, TicketMessage.from_officer.is_(True))
    assert [(a.officer, a.text) for a in answers] == [("console:officer", "Đã nhận, sẽ gọi lại.")]


def test_working_hours_count_only_monday_to_friday_0730_to_1700():
    count = jobs.working_seconds
    day = (time(7, 30), time(17, 0))
    # Friday 16:00 -> Monday 10:30: one hour on Friday, three on Monday.
    assert count(local(2026, 11, 27, 16), local(2026, 11, 30, 10, 30), HCM, *day) == 4 * 3600
    assert count(local(2026, 11, 28, 9), local(2026, 11, 29, 18), HCM, *day) == 0  # weekend
    assert count(local(2026, 11, 30, 6), local(2026, 11, 30, 8), HCM, *day) == 1800
    assert count(local(2026, 11, 30, 8), local(2026, 11, 30, 7), HCM, *day) == 0


async def test_an_unclaimed_ticket_is_reminded_after_four_working_hours_once(conversation, clock):
    officer = Person(conversation, user_id="officer")
    officer.says("/start")
    clock._now = local(2026, 11, 27, 16)  # Friday 16:00
    Person(conversation, user_id="lan").says("/officer Cần gặp cán bộ gấp")

    def remind() -> int:
        with session_scope(conversation.engine) as s:
            return jobs.remind_unclaimed(s, clock.now(), conversation.settings)

    clock._now = local(2026, 11, 30, 10)  # Monday 10:00: 3.5 working hours
    assert remind() == 0
    clock._now = local(2026, 11, 30, 10, 30)
    assert remind() == 1
    assert remind() == 0  # once per 4 working hours
    recorder = Recorder()
    delivery = Delivery(conversation.engine, conversation, clock, {"console": recorder})
    await delivery.run_once()
    texts = [r.text for _, replies in recorder.sent for r in replies]
    assert any(t.startswith("⏰ Phiếu #1 chưa ai nhận sau 4 giờ làm việc.") for t in texts)
    officer.says("/claim 1")
    clock._now = local(2026, 11, 30, 15)
    assert remind() == 0  # claimed: no more reminders


async def test_the_daily_digest_goes_out_once_on_working_days(conversation, clock):
    officer = Person(conversation, user_id="officer")
    officer.says("/start")
    Person(conversation, user_id="lan").says("/officer Cần gặp cán bộ")

    def digest(moment: datetime) -> int:
        with session_scope(conversation.engine) as s:
            return jobs.daily_digest(s, moment, conversation.settings)

    assert digest(local(2026, 11, 28, 8)) == 0  # Saturday
    assert digest(local(2026, 11, 30, 7)) == 0  # Monday before 07:30
    assert digest(local(2026, 11, 30, 7, 45)) == 1
    assert digest(local(2026, 11, 30, 9)) == 1  # queued again: the same key, one row
    assert len(rows(conversation, Outbox, Outbox.kind == "ticket_digest")) == 1
    clock._now = local(2026, 11, 30, 7, 45)
    recorder = Recorder()
    delivery = Delivery(conversation.engine, conversation, clock, {"console": recorder})
    await delivery.run_once()
    digests = [r.text for _, replies in recorder.sent for r in replies if r.text.startswith("📋")]
    assert len(digests) == 1
    assert "1 chờ cán bộ" in digests[0] and "#1 · " in digests[0]


def test_unanswered_lists_the_most_frequent_questions_grouped(conversation):
    for user, text in [
        ("a", "Khuôn ép nhựa bị rỗ khí thì sửa thế nào?"),
        ("b", "khuon ep nhua bi ro khi thi sua the nao"),
        ("c", "KHUÔN ÉP NHỰA BỊ RỖ KHÍ THÌ SỬA THẾ NÀO"),
        ("d", "Con mèo nhà hàng xóm"),
    ]:
        Person(conversation, user_id=user).says(text)
    officer = Person(conversation, user_id="officer")
    officer.says("/unanswered")
    lines = officer.text.splitlines()
    assert lines[1] == "3× Khuôn ép nhựa bị rỗ khí thì sửa thế nào?"
    assert "1× Con mèo nhà hàng xóm" in lines


def test_an_officers_note_is_a_ticket_they_hold(conversation):
    officer = Person(conversation, user_id="officer")
    officer.says("/note Công ty Mekong Seafood gọi hỏi về kiểm toán năng lượng")
    assert "Đã ghi phiếu #1" in officer.text
    [ticket] = rows(conversation, Ticket)
    assert (ticket.source, ticket.claimed_by, ticket.contact_id) == (
        "note",
        "console:officer",
        None,
    )
    officer.says("/reply 1 Gọi lại")
    assert "ghi chú của cán bộ" in officer.text
    officer.says("/close 1")
    assert [(e.action, e.target_id) for e in rows(conversation, AuditEntry)] == [
        ("ticket.note", "1"),
        ("ticket.close", "1"),
    ]


def test_reminders_and_digest_are_scheduled_jobs_of_the_capability(conversation):
    names = [job.__name__ for job in conversation.maintenance_jobs()]
    assert {"ticket_reminders", "ticket_digest"} <= set(names)


async def test_the_card_names_the_enterprise_from_its_profile(conversation, clock):
    from storage.models import Enterprise

    Person(conversation, user_id="officer").says("/start")
    p = Person(conversation, user_id="lan")
    p.says("/start")
    with session_scope(conversation.engine) as s:
        company = Enterprise(
            name="Công ty TNHH Thủy sản Mekong",
            sector="seafood",
            industrial_park="tra_noc_1",
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        s.add(company)
        s.flush()
        [contact] = s.exec(select(Contact).where(Contact.platform_id == "lan")).all()
        contact.enterprise_id = company.id
        s.add(contact)
    p.says("/officer Xin tư vấn xử lý nước thải")
    recorder = Recorder()
    delivery = Delivery(conversation.engine, conversation, clock, {"console": recorder})
    await delivery.run_once()
    [(_, [card])] = recorder.sent
    company_line = card.text.splitlines()[1]
    assert company_line == "Công ty TNHH Thủy sản Mekong · Chế biến thủy sản · KCN Trà Nóc I"


async def test_the_officer_holding_a_ticket_hears_of_the_persons_new_message(conversation, clock):
    officer = Person(conversation, user_id="officer")
    officer.says("/start")
    p = Person(conversation, user_id="lan")
    p.says("/officer Cần tư vấn thay đèn tiết kiệm điện")
    officer.says("/reply 1 Anh/chị dùng bao nhiêu bóng đèn?")
    recorder = Recorder()
    delivery = Delivery(conversation.engine, conversation, clock, {"console": recorder})
    await delivery.run_once()  # the first card and the answer
    recorder.sent.clear()
    p.says("Khoảng 300 bóng huỳnh quang")  # joins ticket #1: the officers' turn again
    assert rows(conversation, Ticket)[0].status == "open"
    assert await delivery.run_once() == {"sent": 1}
    [(user, [card])] = recorder.sent
    assert user == "officer" and card.text.startswith("🎫 #1")
    assert "«Khoảng 300 bóng huỳnh quang»" in card.text


def test_ticket_settings_come_from_the_environment_and_wrong_hours_are_refused(monkeypatch):
    from bot.settings import SettingsError, load_settings

    monkeypatch.setenv("SXSH_TICKETS_REOPEN_DAYS", "0")
    monkeypatch.setenv("SXSH_TICKETS_WORK_START", "08:00")
    s = load_settings()
    assert (s.tickets.reopen_days, s.tickets.work_start) == (0, time(8, 0))
    monkeypatch.setenv("SXSH_TICKETS_WORK_END", "07:00")
    with pytest.raises(SettingsError, match="SXSH_TICKETS_WORK_END must be later"):
        load_settings()


def test_with_reopening_off_a_closed_ticket_stays_closed(sqlite_url, clock):
    conv = build_conversation(
        make_settings(sqlite_url, officer_ids="console:officer", tickets={"reopen_days": 0}),
        clock=clock,
    )
    try:
        p, officer = Person(conv, user_id="lan"), Person(conv, user_id="officer")
        p.says("/officer Hỏi lần một")
        officer.says("/close 1")
        p.says("/officer Hỏi lần hai")
        assert [(t.id, t.status) for t in rows(conv, Ticket)] == [(1, "closed"), (2, "open")]
    finally:
        conv.engine.dispose()
