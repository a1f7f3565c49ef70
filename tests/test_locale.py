"""Dates, times and amounts as people in Vietnam write them (content/locale.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_conversation
from content.forms import format_number
from content.locale import Locale, date_text, number_text, wall_clock
from content.texts import Texts
from tests.chat import Person
from tests.conftest import ROOT, make_settings

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TEXTS = Texts.load(ROOT / "content" / "texts")
VI, EN = Locale("vi", TZ, TEXTS), Locale("en", TZ, TEXTS)
# 08:00 in Cần Thơ on Friday 8 November 2019 is 01:00 UTC.
MOMENT = datetime(2019, 11, 8, 1, 0, tzinfo=UTC)


def test_dates_and_times_in_vietnamese():
    assert VI.weekday_date(date(2019, 11, 8)) == "Thứ Sáu, 08/11/2019"
    assert VI.time(time(8, 0)) == "08:00"
    assert VI.weekday_date_time(MOMENT) == "Thứ Sáu, 08/11/2019 lúc 08:00"
    assert VI.date_time(MOMENT) == "08/11/2019 08:00"
    assert VI.date(MOMENT) == "08/11/2019"


def test_dates_and_times_in_english():
    assert EN.weekday_date(date(2019, 11, 8)) == "Friday, 08/11/2019"
    assert EN.time(time(20, 30)) == "20:30"
    assert EN.weekday_date_time(MOMENT) == "Friday, 08/11/2019 at 08:00"


def test_the_time_zone_decides_the_day():
    # 23:30 UTC on the 7th is already the 8th in Cần Thơ.
    late = datetime(2019, 11, 7, 23, 30, tzinfo=UTC)
    assert VI.weekday_date_time(late) == "Thứ Sáu, 08/11/2019 lúc 06:30"
    assert Locale("vi", ZoneInfo("UTC"), TEXTS).date(late) == "07/11/2019"
    # A naive datetime is UTC, as the database stores it.
    assert VI.time(datetime(2019, 11, 7, 23, 30)) == "06:30"


@pytest.mark.parametrize(
    ("value", "vi", "en"),
    [
        (1234567, "1.234.567", "1,234,567"),
        (42.5, "42,5", "42.5"),
        (0.125, "0,13", "0.13"),  # half up, not banker's
        (45.0, "45", "45"),
    ],
)
def test_numbers(value, vi, en):
    assert (VI.number(value), EN.number(value)) == (vi, en)


@pytest.mark.parametrize(
    ("amount", "vi", "en"),
    [
        (42_500_000, "42,5 triệu đồng", "42.5 million dong"),
        (800_000_000, "800 triệu đồng", "800 million dong"),
        (1_200_000_000, "1,2 tỷ đồng", "1.2 billion dong"),
        (800_000, "800.000 đồng", "800,000 dong"),
    ],
)
def test_money(amount, vi, en):
    assert (VI.money(amount), EN.money(amount)) == (vi, en)


def test_percent():
    assert VI.percent(42.45) == "42,5 %"
    assert EN.percent(42.45) == "42.5%"


def test_short_dates_fixed_decimals_and_calendar_days():
    assert VI.short_date_time(MOMENT) == "08/11 08:00"
    assert VI.number(70, 1, fixed=True) == "70,0" and EN.number(33.25, 1, fixed=True) == "33.3"
    assert date_text(date(2027, 3, 5), "vi") == "05/03/2027"  # a deadline: no zone involved
    assert wall_clock(datetime(2026, 3, 2, 8, 30)) == "02/03/2026 08:30"  # already local


def test_any_number_of_digits_and_the_odd_values():
    assert number_text(10**30, "vi", 6) == "1" + ".000" * 10
    assert number_text(float("inf"), "vi") == "inf" and number_text(float("nan"), "en") == "nan"


def test_questionnaire_numbers_go_through_the_locale():
    assert format_number(12_000_000.0, "vi") == "12.000.000"
    assert format_number(12_000_000, "en") == "12,000,000"
    assert format_number(0.1 + 0.2, "vi") == "0,3"  # six decimals at most, no float noise
    assert format_number(10**40, "vi").count(".") == 13  # no quantize error past 28 digits


@pytest.mark.parametrize(
    ("zone", "seen", "short"),
    [
        ("Asia/Ho_Chi_Minh", "28/11/2026 09:00", "28/11 09:00"),
        ("UTC", "28/11/2026 02:00", "28/11 02:00"),
    ],
)
def test_what_people_and_officers_see_is_in_the_configured_zone(
    sqlite_url, clock, zone, seen, short
):
    settings = make_settings(sqlite_url, officer_ids="console:officer", timezone=zone)
    conv = build_conversation(settings, clock=clock)  # the clock reads 28/11/2026 02:00 UTC
    try:
        person = Person(conv, user_id="an")
        person.says("/officer Xin tư vấn xử lý nước thải")
        person.says("/mydata")
        assert f"{seen}" in person.text  # first and last seen
        officer = Person(conv, user_id="officer")
        officer.says("/questions")
        assert f"#1 · {short} · 👤" in officer.text
    finally:
        conv.engine.dispose()
