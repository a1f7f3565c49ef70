"""Reminders derived from the event, with an injected clock: at the right times, moved with
the event (never for the old time), removed on cancel, none for an event moved into the past,
a grace window after downtime, /stop honoured, and a reminder beside an open assessment."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery import Delivery
from storage.events_models import EventReminder
from storage.models import Outbox
from tests.chat import Person, rows
from tests.conftest import make_settings
from tests.events.conftest import START, save


class Inbox:
    """A channel that records what each person received (text and attachments)."""

    def __init__(self):
        self.got: list[tuple[str, str, str | None]] = []
        self.buttons: list[list] = []  # each reply's buttons, in the order received

    async def send(self, platform_id, replies):
        await asyncio.sleep(0)
        for r in replies:
            name = r.attachment.filename if r.attachment else None
            self.got.append((platform_id, r.text, name))
            self.buttons.append(r.buttons)

    def texts(self, who: str = "dn1") -> list[str]:
        return [t for p, t, _ in self.got if p == who]


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def deliver(conversation, clock, inbox):
    delivery = Delivery(conversation.engine, conversation, clock, {"console": inbox})

    def at(moment) -> dict:
        clock._now = moment
        return asyncio.run(delivery.run_once())

    return at


def registered(conversation, user="dn1") -> Person:
    p = Person(conversation, user_id=user)
    p.says("/events")
    p.presses("✅ Đăng ký")
    assert "Đã đăng ký" in p.text
    return p


def seat_freed_for_b(conversation) -> tuple[Person, Person]:
    """A one-seat event: "a" registered, "b" on the waiting list, then "a" cancels and "b" takes
    the seat (its notice queued). Returns (a, b)."""
    save(conversation, capacity=1)
    a = registered(conversation, "a")
    b = Person(conversation, user_id="b")
    b.says("/events")
    b.presses("⏳ Vào danh sách chờ")
    a.says("/events")
    a.presses("❌ Hủy đăng ký")
    return a, b


def reminders_of(texts: list[str]) -> list[str]:
    return [t for t in texts if t.startswith("⏰")]


def test_registrants_are_reminded_one_day_and_two_hours_before(conversation, deliver, inbox):
    save(conversation)
    registered(conversation)
    assert deliver(START - timedelta(days=1, minutes=1)) == {}
    assert deliver(START - timedelta(days=1)) == {"sent": 1}
    assert deliver(START - timedelta(hours=2)) == {"sent": 1}
    assert deliver(START + timedelta(hours=1)) == {}
    assert (
        reminders_of(inbox.texts())
        == [
            '⏰ Nhắc lịch: "Hội thảo tiết kiệm năng lượng" bắt đầu Thứ Sáu, 04/12/2026 lúc 08:00.\n'
            "📍 Hội trường Sở Công Thương"
        ]
        * 2
    )


def test_a_reminder_lets_the_registrant_give_the_seat_up_in_one_tap(conversation, deliver, inbox):
    save(conversation)
    p = registered(conversation)
    assert deliver(START - timedelta(days=1)) == {"sent": 1}
    buttons = inbox.buttons[-1]
    assert [b.label for b in buttons] == ["❌ Hủy đăng ký", "🗂 Sự kiện của tôi"]
    p.press_payload(buttons[0].payload)
    assert 'Đã hủy đăng ký "Hội thảo tiết kiệm năng lượng"' in p.text
    assert deliver(START - timedelta(hours=2)) == {}  # and no more reminders


def test_moving_the_event_moves_its_reminders_and_tells_registrants_once(
    conversation, deliver, inbox
):
    save(conversation)
    registered(conversation)
    later = START + timedelta(days=2)
    save(conversation, starts_at=later)
    save(conversation, starts_at=later)  # saving the same again changes nothing
    assert deliver(conversation.clock.now()) == {"sent": 1}
    [(_, notice, ics)] = inbox.got
    assert notice.startswith('🔄 Sự kiện "Hội thảo tiết kiệm năng lượng" đã thay đổi.')
    assert "Chủ Nhật, 06/12/2026 lúc 08:00" in notice and ics == "ws-1.ics"
    assert deliver(START - timedelta(days=1)) == {}  # the old time: nothing, ever
    assert deliver(START - timedelta(hours=2)) == {}
    assert deliver(later - timedelta(days=1)) == {"sent": 1}
    assert deliver(later - timedelta(hours=2)) == {"sent": 1}
    assert len(reminders_of(inbox.texts())) == 2
    assert all("Chủ Nhật, 06/12/2026" in t for t in reminders_of(inbox.texts()))
    versions = {r.event_version for r in rows(conversation, EventReminder)}
    assert versions == {2}


def test_a_reminder_already_sent_is_re_armed_when_the_event_moves_later(
    conversation, deliver, inbox
):
    save(conversation)
    registered(conversation)
    assert deliver(START - timedelta(days=1)) == {"sent": 1}
    later = START + timedelta(days=3)
    save(conversation, now=START - timedelta(hours=20), starts_at=later)
    deliver(START - timedelta(hours=20))  # the change notice
    assert deliver(START - timedelta(hours=2)) == {}
    assert deliver(later - timedelta(days=1)) == {"sent": 1}
    assert len(reminders_of(inbox.texts())) == 2


def test_cancelling_tells_registrants_once_and_nothing_more_arrives(conversation, deliver, inbox):
    from sqlmodel import Session

    from handlers.events import service
    from storage import events as store

    save(conversation)
    registered(conversation)
    registered(conversation, "dn2")
    for _ in range(2):
        with Session(conversation.engine) as s:
            event = store.by_code(s, "ws-1")
            service.cancel(s, event, conversation.settings.tz, conversation.clock.now())
            s.commit()
    assert deliver(conversation.clock.now()) == {"sent": 2}
    assert all("đã bị hủy" in t for _, t, _ in inbox.got)
    assert deliver(START - timedelta(days=1)) == {}
    assert deliver(START - timedelta(hours=2)) == {}
    assert len(inbox.got) == 2


def test_an_event_moved_into_the_past_reminds_nobody(conversation, deliver, inbox, clock):
    save(conversation)
    registered(conversation)
    save(conversation, starts_at=clock.now() - timedelta(hours=1))
    for moment in (clock.now(), START - timedelta(days=1), START - timedelta(hours=2)):
        assert deliver(moment) == {}
    assert inbox.got == []
    assert rows(conversation, EventReminder, EventReminder.status == "pending") == []


def test_after_downtime_a_reminder_goes_out_late_only_within_its_grace_window(
    conversation, deliver, inbox
):
    save(conversation)
    registered(conversation)
    # Down from before the 1-day reminder until 5 h 59 min after it: still sent (grace 6 h).
    assert deliver(START - timedelta(days=1) + timedelta(hours=5, minutes=59)) == {"sent": 1}
    # Down again over the 2-hour reminder for 31 minutes: too late (grace 30 min), recorded.
    assert deliver(START - timedelta(hours=2) + timedelta(minutes=31)) == {"cancelled": 1}
    [skipped] = rows(conversation, EventReminder, EventReminder.status == "skipped")
    assert (skipped.offset_minutes, skipped.reason) == (120, "too_late")
    assert len(reminders_of(inbox.texts())) == 1
    officer = Person(conversation, user_id="officer")  # officers see the skip and its reason
    officer.says("/eventinfo ws-1")
    assert (
        "Lời nhắc: 0 chờ gửi, 1 đã gửi, 0 không gửi được, bỏ qua: quá trễ (bot ngừng lâu hơn"
        " thời gian cho phép gửi muộn) 1." in officer.text
    )


def test_never_after_the_start(conversation, deliver, inbox):
    save(conversation, starts_at=START)
    registered(conversation)
    assert deliver(START + timedelta(minutes=1)) == {"cancelled": 2}
    reasons = sorted(r.reason for r in rows(conversation, EventReminder))
    assert reasons == ["started", "started"]
    assert inbox.got == []


def test_stop_stops_reminders_but_news_about_the_registration_still_arrives(
    conversation, deliver, inbox
):
    save(conversation)
    p = registered(conversation)
    p.says("/stop")
    assert deliver(START - timedelta(days=1)) == {"unreachable": 1}
    save(conversation, now=START - timedelta(hours=23), starts_at=START + timedelta(hours=1))
    assert deliver(START - timedelta(hours=23)) == {"sent": 1}
    assert inbox.texts()[0].startswith("🔄")
    assert deliver(START - timedelta(hours=1)) == {"unreachable": 1}
    assert reminders_of(inbox.texts()) == []


def test_a_reminder_arrives_beside_an_open_assessment_without_breaking_it(
    conversation, deliver, inbox
):
    save(conversation)
    p = registered(conversation)
    p.says("/assess")
    p.presses("✅ Đồng ý")
    assert "Câu 1/" in p.text
    assert deliver(START - timedelta(days=1)).get("sent", 0) >= 1  # the reminder (and a nudge)
    assert len(reminders_of(inbox.texts())) == 1
    p.says("Công ty TNHH Thủy sản Demo")  # the answer to question 1 is still taken
    assert "Câu 2/" in p.text


def test_a_programme_deadline_reminds_subscribers_7_days_and_1_day_before_at_8(
    conversation, deliver, inbox, clock
):
    from datetime import UTC, date, datetime

    p = Person(conversation, user_id="dn1")
    p.says("/subscribe")
    p.presses("⬜ Chương trình hỗ trợ")
    day = date(2026, 12, 20)
    start = datetime(2026, 12, 19, 17, 0, tzinfo=UTC)  # local midnight of the 20th
    save(
        conversation,
        code="kc-2027",
        kind="programme_deadline",
        title_vi="Hạn nộp hồ sơ khuyến công",
        starts_at=start,
        date_only=True,
        deadline_on=day,
        place="",
        topics='["programmes"]',
    )
    assert deliver(clock.now()) == {"sent": 1}  # the announcement to the subscriber
    assert inbox.texts()[0].startswith("📢 Sự kiện mới: Hạn nộp hồ sơ chương trình hỗ trợ")
    seven = datetime(2026, 12, 13, 1, 0, tzinfo=UTC)  # 08:00 in Cần Thơ
    assert deliver(seven - timedelta(minutes=1)) == {}
    assert deliver(seven) == {"sent": 1}
    assert deliver(seven + timedelta(days=6)) == {"sent": 1}
    assert (
        reminders_of(inbox.texts())
        == ['⏰ Sắp đến hạn: "Hạn nộp hồ sơ khuyến công" – hạn chót Chủ Nhật, 20/12/2026.'] * 2
    )


def test_publishing_tells_subscribers_in_its_audience_once(conversation, deliver, inbox):
    fan, other = Person(conversation, user_id="dn1"), Person(conversation, user_id="dn2")
    fan.says("/subscribe")
    fan.presses("⬜ Hội thảo, hội nghị")
    other.says("/subscribe")
    other.presses("⬜ Tập huấn")
    save(conversation, status="draft")
    assert deliver(conversation.clock.now()) == {}
    save(conversation)  # published now
    save(conversation)  # again: nobody told twice
    assert deliver(conversation.clock.now()) == {"sent": 1}
    [(who, text, _)] = inbox.got
    assert who == "dn1" and text.startswith("📢 Sự kiện mới: Hội thảo: Hội thảo tiết kiệm")
    assert len(rows(conversation, Outbox, Outbox.kind == "event_announce")) == 1


def test_an_event_published_at_night_is_announced_at_seven(conversation, deliver, inbox):
    """The tester's night-time messages, for announcements: published at 22:30 in Cần Thơ, the
    subscribers hear of it at 07:00, not in the night."""
    fan = Person(conversation, user_id="dn1")
    fan.says("/subscribe")
    fan.presses("⬜ Hội thảo, hội nghị")
    night = datetime(2026, 11, 28, 15, 30, tzinfo=UTC)  # 22:30 in Cần Thơ
    save(conversation, now=night)
    assert deliver(night) == {}
    seven = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)  # 07:00 in Cần Thơ
    assert deliver(seven - timedelta(minutes=1)) == {}
    assert deliver(seven) == {"sent": 1}
    assert inbox.texts()[0].startswith("📢 Sự kiện mới")


def test_stop_stops_announcements_but_a_registration_is_still_confirmed(
    conversation, deliver, inbox
):
    fan = Person(conversation, user_id="dn1")
    fan.says("/subscribe")
    fan.presses("⬜ Hội thảo, hội nghị")
    fan.says("/stop")
    save(conversation)  # published: the stopped subscriber is not told
    assert deliver(conversation.clock.now()) == {}
    assert rows(conversation, Outbox, Outbox.kind == "event_announce") == []
    fan.says("/events")
    fan.presses("✅ Đăng ký")  # the answer to their own tap still comes, with the .ics
    assert "Đã đăng ký" in fan.text and fan.last[0].attachment.filename == "ws-1.ics"
    assert inbox.got == []


class TestOnBothDatabases:
    """The re-queued outbox row is one INSERT … ON CONFLICT, written per dialect."""

    @pytest.fixture
    def settings(self, db_url):
        return make_settings(db_url, officer_ids="console:officer")

    def test_registering_again_after_cancelling_brings_the_reminders_back(
        self, conversation, deliver, inbox
    ):
        save(conversation)
        person = registered(conversation)
        person.says("/events")
        person.presses("❌ Hủy đăng ký")
        assert deliver(START - timedelta(days=2)) == {}
        person.says("/events")
        person.presses("✅ Đăng ký")
        assert "Bot sẽ nhắc anh/chị trước giờ diễn ra" in person.text
        assert deliver(START - timedelta(days=1)) == {"sent": 1}
        assert deliver(START - timedelta(hours=2)) == {"sent": 1}
        assert len(reminders_of(inbox.texts())) == 2
        assert {r.status for r in rows(conversation, Outbox, Outbox.kind == "event_reminder")} == {
            "sent"
        }


def test_promoted_a_second_time_the_person_is_told_and_reminded_again(conversation, deliver, inbox):
    a, b = seat_freed_for_b(conversation)
    deliver(conversation.clock.now())
    b.says("/events")
    b.presses("❌ Hủy đăng ký")
    a.says("/events")
    a.presses("✅ Đăng ký")
    b.says("/events")
    b.presses("⏳ Vào danh sách chờ")
    a.says("/events")
    a.presses("❌ Hủy đăng ký")  # b takes the seat again
    deliver(conversation.clock.now())
    promoted = [t for t in inbox.texts("b") if t.startswith("🎉")]
    assert len(promoted) == 2
    assert deliver(START - timedelta(days=1)) == {"sent": 1}
    assert len(reminders_of(inbox.texts("b"))) == 1


def test_officers_read_states_and_skip_reasons_in_words(
    conversation, deliver, sqlite_url, monkeypatch, tmp_path
):
    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from bot.cli import app

    save(conversation)
    registered(conversation)
    save(conversation, starts_at=START + timedelta(hours=1))  # moved: "changed", version 2
    deliver(conversation.clock.now())
    later = START + timedelta(hours=1)
    assert deliver(later - timedelta(hours=2) + timedelta(minutes=31)) == {"cancelled": 2}
    officer = Person(conversation, user_id="officer")
    officer.says("/eventinfo ws-1")
    assert "(ws-1) – đã đăng (đã đổi giờ hoặc địa điểm), phiên bản 2" in officer.text
    assert "bỏ qua: quá trễ (bot ngừng lâu hơn thời gian cho phép gửi muộn) 2." in officer.text
    officer.says("/lang en")
    officer.says("/eventinfo ws-1")
    assert "(ws-1) – published (time or place changed), version 2" in officer.text
    monkeypatch.setenv("SXSH_DATABASE_URL", sqlite_url)
    shown = CliRunner().invoke(app, ["events", "show", "ws-1"], catch_exceptions=False).output
    assert "(ws-1) – đã đăng (đã đổi giờ hoặc địa điểm), phiên bản 2" in shown
    assert "bỏ qua: quá trễ (bot ngừng lâu hơn thời gian cho phép gửi muộn) 2." in shown
    assert "Đăng ký: 1 đã đăng ký, 0 chờ, 0 đã hủy." in shown
    assert "skipped:" not in shown and "changed" not in shown
    out = tmp_path / "reg.xlsx"
    CliRunner().invoke(app, ["events", "export", "ws-1", "-o", str(out)], catch_exceptions=False)
    [_, row] = load_workbook(out).active.iter_rows(values_only=True)
    assert row[4] == "Đã đăng ký"


def test_a_reminder_whose_send_failed_once_is_sent_on_the_retry(conversation, clock, inbox):
    """A 5xx or a timeout on the first try puts the row back; the retry still sends the
    reminder (it is not taken for one already sent and cancelled)."""
    from bot.channels.errors import Retryable

    class Flaky(Inbox):
        failed = False

        async def send(self, platform_id, replies):
            if not self.failed:
                self.failed = True
                raise Retryable("502 Bad Gateway")
            await super().send(platform_id, replies)

    flaky = Flaky()
    delivery = Delivery(conversation.engine, conversation, clock, {"console": flaky})
    save(conversation)
    registered(conversation)
    clock._now = START - timedelta(days=1)
    assert asyncio.run(delivery.run_once()) == {"retry": 1}
    clock._now += timedelta(minutes=5)  # past the backoff
    assert asyncio.run(delivery.run_once()) == {"sent": 1}
    assert len(reminders_of(flaky.texts())) == 1


def test_an_announcement_that_comes_due_late_at_night_waits_for_seven(conversation, deliver, inbox):
    """Published at 20:50 but not delivered before 21:10 (the bot was closed): still held by
    quiet hours at send time, sent at 07:00 (new-user tester, fault 4)."""
    fan = Person(conversation, user_id="dn1")
    fan.says("/subscribe")
    fan.presses("⬜ Hội thảo, hội nghị")
    evening = datetime(2026, 11, 28, 13, 50, tzinfo=UTC)  # 20:50 in Cần Thơ
    save(conversation, now=evening)
    late = datetime(2026, 11, 28, 14, 10, tzinfo=UTC)  # 21:10
    assert deliver(late) == {"held": 1} and inbox.got == []
    seven = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)  # 07:00 in Cần Thơ
    assert deliver(seven - timedelta(minutes=1)) == {}
    assert deliver(seven) == {"sent": 1}
    assert inbox.texts()[0].startswith("📢 Sự kiện mới")
