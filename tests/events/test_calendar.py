"""The .ics file: parsed by icalendar and by a second parser (vobject), the event's time in
Asia/Ho_Chi_Minh with its VTIMEZONE, the UID kept and SEQUENCE raised across a change,
STATUS:CANCELLED on cancel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import vobject

from handlers.events import calendar
from storage.events_models import Event, EventStatus

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def event(**over) -> Event:
    fields = dict(
        id=1,
        code="ws-1",
        kind="workshop",
        title_vi="Hội thảo tiết kiệm năng lượng",
        title_en="Energy saving workshop",
        description_vi="Giới thiệu SXSH",
        starts_at=datetime(2026, 12, 4, 1, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 4, 4, 30, tzinfo=UTC),
        place="Hội trường Sở Công Thương",
        status=EventStatus.published,
        version=1,
        created_at=NOW,
        updated_at=NOW,
    )
    fields.update(over)
    return Event(**fields)


def test_two_parsers_read_the_local_time_and_the_title():
    data = calendar.build(event(), TZ, "vi", NOW)
    cal = icalendar.Calendar.from_ical(data)
    [vevent] = cal.walk("VEVENT")
    assert str(vevent["summary"]) == "Hội thảo tiết kiệm năng lượng"
    start = vevent.decoded("dtstart")
    assert (start.hour, start.minute, start.tzinfo.key) == (8, 0, "Asia/Ho_Chi_Minh")
    assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Ho_Chi_Minh"]
    other = vobject.readOne(data.decode())
    assert other.vevent.dtstart.value.astimezone(UTC) == datetime(2026, 12, 4, 1, 0, tzinfo=UTC)
    assert other.vevent.dtstart.value.strftime("%H:%M") == "08:00"
    assert other.vevent.dtend.value.strftime("%H:%M") == "11:30"
    assert other.vevent.location.value == "Hội trường Sở Công Thương"


def test_uid_is_kept_and_sequence_raised_across_a_change_and_a_cancel():
    first = icalendar.Calendar.from_ical(calendar.build(event(), TZ, "en", NOW))
    moved = event(version=2, starts_at=datetime(2026, 12, 5, 1, 0, tzinfo=UTC))
    second = icalendar.Calendar.from_ical(calendar.build(moved, TZ, "en", NOW))
    cancelled = event(version=2, status=EventStatus.cancelled)
    third = icalendar.Calendar.from_ical(calendar.build(cancelled, TZ, "en", NOW))
    [a], [b], [c] = (x.walk("VEVENT") for x in (first, second, third))
    assert a["uid"] == b["uid"] == c["uid"] == "event-ws-1@sxsh-bot.congthuong.cantho"
    assert (a["sequence"], b["sequence"]) == (1, 2)
    assert str(a["summary"]) == "Energy saving workshop"
    assert b.decoded("dtstart") - a.decoded("dtstart") == timedelta(days=1)
    assert str(c["status"]) == "CANCELLED" and str(third["method"]) == "CANCEL"


def test_a_date_only_deadline_is_an_all_day_entry():
    from datetime import date

    deadline = event(date_only=True, deadline_on=date(2026, 12, 20), kind="programme_deadline")
    [vevent] = icalendar.Calendar.from_ical(calendar.build(deadline, TZ, "vi", NOW)).walk("VEVENT")
    assert vevent.decoded("dtstart") == date(2026, 12, 20)
    assert vobject.readOne(
        calendar.build(deadline, TZ, "vi", NOW).decode()
    ).vevent.dtstart.value == (date(2026, 12, 20))
