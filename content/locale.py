"""Dates, times, numbers and amounts as people in Vietnam write them, in one place.

Through babel with explicit patterns (CLDR's named styles add time-zone names or change with
babel versions): "Thứ Sáu, 08/11/2019", "08:00", "Thứ Sáu, 08/11/2019 lúc 08:00",
"1.234.567", "42,5 triệu đồng"; in English "Friday, 08/11/2019", "08:00",
"Friday, 08/11/2019 at 08:00", "1,234,567", "42.5 million dong". Day before month in both
languages: the readers are in Vietnam. The joining words ("lúc", "triệu đồng") are content
(texts `locale.*`), so officers can change them like any other wording.

Moments: an aware datetime is shown in the given time zone (from the settings); a naive one is
taken as UTC, which is how the database stores times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, localcontext
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal

from content.texts import Texts

DAY = "EEEE, dd/MM/yyyy"  # Thứ Sáu, 08/11/2019
DATE = "dd/MM/yyyy"  # 08/11/2019
SHORT_DATE = "dd/MM"  # 08/11
TIME = "HH:mm"  # 08:00, 24-hour in both languages
BABEL_LOCALE = {"vi": "vi_VN", "en": "en_GB"}  # en_GB: day-first habits, "Friday" not "Fri."
MILLION, BILLION = 1_000_000, 1_000_000_000


# "05/12/2026 08:00", "5/12/2026 8h", "05/12/2026 lúc 8h30", "05/12/2026 8g30",
# "2026-12-05 08:00": the day first, then the hour with ":", "h" or "g" (giờ) and the minutes.
_TYPED = re.compile(
    r"(?:(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})|(?P<y2>\d{4})-(?P<m2>\d{1,2})-(?P<d2>\d{1,2}))"
    r"(?:\s+(?:lúc\s+|at\s+)?|T)(?P<hh>\d{1,2})(?:[:hg](?P<mm>\d{2})?)(?<![:])",
    re.IGNORECASE,
)


def parse_date_time(text: str, tz: ZoneInfo) -> datetime | None:
    """A day and time as an officer types it in zone `tz` ("05/12/2026 8h", "05/12/2026
    8h30", "05/12/2026 08:00", "2026-12-05 08:00"; day before month), as an aware datetime in
    `tz`; None when it is not one (a time without minutes needs "h" or "g": "8h", not "8:")."""
    found = _TYPED.fullmatch(text.strip())
    if found is None:
        return None
    g = found.groupdict()
    year, month, day = (g["y"], g["m"], g["d"]) if g["y"] else (g["y2"], g["m2"], g["d2"])
    try:
        return datetime(int(year), int(month), int(day), int(g["hh"]), int(g["mm"] or 0), tzinfo=tz)
    except ValueError:  # 31/02, 25h, 8h75
        return None


def in_zone(moment: datetime, tz: ZoneInfo) -> datetime:
    """`moment` in the time zone `tz` (a naive datetime is UTC, as the database stores it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz)


def wall_clock(moment: datetime) -> str:
    """A local time as it stands, no zone conversion: "08/11/2019 08:00" (CSV cells, whose
    naive local datetimes are already in the officers' zone)."""
    return format_datetime(moment.replace(tzinfo=None), f"{DATE} {TIME}", locale="vi_VN")


def _babel(lang: str) -> str:
    return BABEL_LOCALE.get(lang, BABEL_LOCALE["vi"])


def date_text(day: date, lang: str) -> str:
    """A calendar day (no time zone involved, e.g. a programme's deadline): "08/11/2019"."""
    return format_date(day, DATE, locale=_babel(lang))


def number_text(
    value: float | int | Decimal, lang: str, decimals: int = 2, fixed: bool = False
) -> str:
    """ "1.234.567" (vi) / "1,234,567" (en); "42,5" / "42.5"; at most `decimals` decimals,
    rounded half up, no trailing zeros; with `fixed` exactly `decimals` ("70,0": table
    columns). Any number of digits; infinity and NaN are written as Python writes them."""
    exact = Decimal(str(value)) if not isinstance(value, Decimal) else value
    if not exact.is_finite():
        return str(value)
    step = Decimal(1).scaleb(-decimals)
    with localcontext() as context:  # room for every digit (quantize fails past the precision)
        context.prec = max(context.prec, exact.adjusted() + decimals + 3)
        rounded = exact.quantize(step, ROUND_HALF_UP)
        return format_decimal(rounded, format=_pattern(decimals, fixed), locale=_babel(lang))


@dataclass(frozen=True)
class Locale:
    """Formats for one language and time zone; `texts` gives the joining words."""

    lang: str
    tz: ZoneInfo
    texts: Texts

    def local(self, moment: datetime) -> datetime:
        """`moment` in this time zone (a naive datetime is UTC)."""
        return in_zone(moment, self.tz)

    def _day(self, moment: date | datetime) -> date:
        return self.local(moment).date() if isinstance(moment, datetime) else moment

    def weekday_date(self, moment: date | datetime) -> str:
        """ "Thứ Sáu, 08/11/2019" / "Friday, 08/11/2019"."""
        return format_date(self._day(moment), DAY, locale=_babel(self.lang))

    def date(self, moment: date | datetime) -> str:
        """ "08/11/2019" in both languages."""
        return format_date(self._day(moment), DATE, locale=_babel(self.lang))

    def time(self, moment: time | datetime) -> str:
        """ "08:00" (24-hour)."""
        value = self.local(moment).time() if isinstance(moment, datetime) else moment
        return format_time(value, TIME, locale=_babel(self.lang))

    def date_time(self, moment: datetime) -> str:
        """ "08/11/2019 08:00": compact, for lists and tables."""
        return f"{self.date(moment)} {self.time(moment)}"

    def short_date_time(self, moment: datetime) -> str:
        """ "08/11 08:00": day and month without the year, for this year's lists."""
        return f"{format_date(self._day(moment), SHORT_DATE, locale=_babel(self.lang))} " + (
            self.time(moment)
        )

    def weekday_date_time(self, moment: datetime) -> str:
        """ "Thứ Sáu, 08/11/2019 lúc 08:00" / "Friday, 08/11/2019 at 08:00"."""
        return self.texts.get(
            self.lang, "locale.day_at_time", day=self.weekday_date(moment), time=self.time(moment)
        )

    def number(self, value: float | int | Decimal, decimals: int = 2, fixed: bool = False) -> str:
        """ "1.234.567" / "1,234,567"; "42,5" / "42.5"; at most `decimals` decimals, rounded
        half up, no trailing zeros; with `fixed` exactly `decimals` ("70,0": table columns)."""
        return number_text(value, self.lang, decimals, fixed)

    def percent(self, value: float | int | Decimal, decimals: int = 1) -> str:
        """ "42,5 %" / "42.5%" (CLDR's spacing for each language)."""
        return self.texts.get(self.lang, "locale.percent", n=self.number(value, decimals))

    def money(self, amount: float | int | Decimal) -> str:
        """An amount of đồng as people say it: "800.000 đồng", "42,5 triệu đồng",
        "1,2 tỷ đồng" (English "800,000 dong", "42.5 million dong", "1.2 billion dong")."""
        if abs(amount) >= BILLION:
            key, n = "locale.money_billion", self.number(Decimal(amount) / BILLION, 2)
        elif abs(amount) >= MILLION:
            key, n = "locale.money_million", self.number(Decimal(amount) / MILLION, 2)
        else:
            key, n = "locale.money", self.number(amount, 0)
        return self.texts.get(self.lang, key, n=n)


def _pattern(decimals: int, fixed: bool = False) -> str:
    return "#,##0" + ("." + ("0" if fixed else "#") * decimals if decimals > 0 else "")
