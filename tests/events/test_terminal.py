"""The whole events journey through the real `sxsh-bot chat` command, one terminal session per
person and moment (the clock set with SXSH_CLOCK_START, as an officer trying the bot would): an
officer creates and publishes an event, an enterprise registers and gets the calendar file
(written, its path shown), the officer moves the event, and the enterprise gets one change
notice with the new file and one reminder at each new reminder time, none at the old ones."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from bot.cli import app

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NEW_TIME = "Thứ Bảy, 05/12/2026 lúc 14:00"


@pytest.fixture
def chat(sqlite_url, monkeypatch):
    monkeypatch.setenv("SXSH_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("SXSH_OFFICER_IDS", "console:officer")
    monkeypatch.setenv("SXSH_SEARCH_EMBEDDINGS", "false")
    runner = CliRunner()

    def session(user: str, at: datetime, *lines: str) -> str:
        """`sxsh-bot chat --user USER` at local time `at`, typing `lines`; the transcript."""
        monkeypatch.setenv("SXSH_CLOCK_START", at.replace(tzinfo=VN).isoformat())
        typed = "".join(f"{line}\n" for line in lines)
        result = runner.invoke(app, ["chat", "--user", user], input=typed, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return session


def calendar_file(transcript: str) -> Calendar:
    """The .ics whose path the terminal shows."""
    [path] = [
        line.split("(tệp / file: ")[1].rstrip(")")
        for line in transcript.splitlines()
        if "(tệp / file: " in line
    ]
    assert path.endswith(".ics")
    return Calendar.from_ical(Path(path).read_bytes())


def starts(cal: Calendar) -> tuple[datetime, int]:
    [event] = cal.walk("VEVENT")
    return event.decoded("dtstart"), int(event.get("sequence"))


def test_officer_creates_enterprise_registers_officer_moves_one_notice_one_reminder(chat):
    t0 = datetime(2026, 11, 28, 9, 0)
    created = chat(
        "officer",
        t0,
        "/newevent",
        "1",
        "Hội thảo kiểm toán năng lượng",
        "Energy audit workshop",
        "04/12/2026 08:00",
        "Hội trường Sở Công Thương",
        "30",
        "1",
    )
    assert "  [1] Hội thảo\n" in created  # the kind pressed
    assert "🕗 Thứ Sáu, 04/12/2026 lúc 08:00" in created and "  [1] ✅ Đăng\n" in created
    assert '✅ Đã đăng "Hội thảo kiểm toán năng lượng" (mã workshop-20261204)' in created

    registered = chat("dn1", t0, "/events", "1")
    assert "  [1] ✅ Đăng ký\n" in registered
    assert '✅ Đã đăng ký "Hội thảo kiểm toán năng lượng" – Thứ Sáu, 04/12/2026 lúc 08:00' in (
        registered
    )
    assert "(tệp / file: data/console-files/workshop-20261204.ics)" in registered
    assert starts(calendar_file(registered)) == (datetime(2026, 12, 4, 8, 0, tzinfo=VN), 1)

    moved = chat("officer", t0, "/editevent workshop-20261204", "3", "05/12/2026 14:00", "1")
    assert "  [3] 🕗 Đổi thời gian\n" in moved and NEW_TIME in moved
    assert "1 người đã đăng ký sẽ nhận thông báo" in moved

    # The day before the old time: the change notice with the new file, no reminder.
    old_day_before = chat("dn1", datetime(2026, 12, 3, 8, 0))
    assert old_day_before.count("🔔 ") == 1
    assert (
        f'🔔 🔄 Sự kiện "Hội thảo kiểm toán năng lượng" đã thay đổi. Thông tin mới: {NEW_TIME}.'
        in (old_day_before)
    )
    assert starts(calendar_file(old_day_before)) == (datetime(2026, 12, 5, 14, 0, tzinfo=VN), 2)
    # Two hours before the old time: nothing.
    assert "🔔" not in chat("dn1", datetime(2026, 12, 4, 6, 0))
    # The day before and two hours before the new time: one reminder each, at the new time.
    reminder = (
        f'🔔 ⏰ Nhắc lịch: "Hội thảo kiểm toán năng lượng" bắt đầu {NEW_TIME}.\n'
        "📍 Hội trường Sở Công Thương"
    )
    for moment in (datetime(2026, 12, 4, 14, 0), datetime(2026, 12, 5, 12, 0)):
        transcript = chat("dn1", moment)
        assert transcript.count("🔔 ") == 1 and reminder in transcript

    info = chat("officer", datetime(2026, 12, 5, 12, 5), "/eventinfo workshop-20261204")
    assert "Đăng ký: 1 đã đăng ký, 0 chờ, 0 đã hủy." in info
    assert "Lời nhắc: 0 chờ gửi, 2 đã gửi" in info


def test_a_typed_number_at_seats_is_the_number_and_seats_never_drop_below_registrations(chat):
    """New-user tester, fault 6: at "Số chỗ?" a typed "1" or "01" is the value (it pressed
    "❌ Bỏ"), "2 cho" is read, and fewer seats than people registered is refused."""
    t0 = datetime(2026, 11, 28, 9, 0)
    chat("officer", t0, "/newevent", "1", "Hội thảo", "-", "04/12/2026 08:00", "Sở", "30", "1")
    code = "workshop-20261204"
    for person in ("dn1", "dn2"):
        assert "✅ Đã đăng ký" in chat(person, t0, "/events", "1")
    lowered = chat("officer", t0, f"/editevent {code}", "5", "1", "01", "2 cho", "1")
    assert "Đã bỏ bản nháp" not in lowered
    assert lowered.count("Sự kiện đã có 2 người đăng ký nên không giảm xuống 1 chỗ được") == 2
    assert "Đã đủ chỗ – anh/chị có thể vào danh sách chờ." in lowered  # the preview: 2 of 2
    assert f'✅ Đã lưu thay đổi của "Hội thảo" (mã {code})' in lowered


def test_one_seat_typed_as_1_at_a_new_event(chat):
    t0 = datetime(2026, 11, 28, 9, 0)
    made = chat("officer", t0, "/newevent", "1", "Hội thảo", "-", "04/12/2026 08:00", "Sở", "1")
    assert "Đã bỏ bản nháp" not in made and "Còn 1 chỗ" in made
