"""An event as people in Vietnam read it: "Thứ Sáu, 08/11/2019 lúc 08:00", in the settings' zone
(dates and times through content/locale.py)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from content.locale import Locale
from content.store import ContentStore
from storage import events as store
from storage.events_models import Event


def when(content: ContentStore, event: Event, tz: ZoneInfo, lang: str) -> str:
    """ "Thứ Sáu, 08/11/2019 lúc 08:00" or, for a date-only deadline, the date alone."""
    locale = Locale(lang, tz, content.texts)
    if event.date_only:
        return locale.weekday_date(event.starts_at)
    return locale.weekday_date_time(event.starts_at)


def title(event: Event, lang: str) -> str:
    return (event.title_en if lang == "en" else "") or event.title_vi


def place(event: Event) -> str:
    return " · ".join(x for x in (event.place, event.online_url) if x)


def card(
    content: ContentStore,
    event: Event,
    tz: ZoneInfo,
    lang: str,
    now: datetime,
    mine: str | None = None,
) -> str:
    """Kind, title, when, where, seats left or closed: what a person needs to decide. `mine`
    is the reader's own line ("you are registered", their waiting-list place): then the seats
    line only counts (no offer of the waiting list, no registration deadline)."""
    t = content.texts
    kind = content.events.kind(event.kind).name.get(lang, event.kind)
    lines = [
        f"{kind}: {title(event, lang)}",
        t.get(lang, "events.card_when", when=when(content, event, tz, lang)),
    ]
    if place(event):
        lines.append(t.get(lang, "events.card_place", place=place(event)))
    description = (event.description_en if lang == "en" else "") or event.description_vi
    if description:
        lines.append(description)
    if content.events.kind(event.kind).who == "registrants":
        lines.append(mine or seats_line(content, event, tz, lang, now))
        if mine and (left := store.seats_left(event)) is not None:
            key = "events.seats_left" if left else "events.seats_none"
            lines.append(content.texts.get(lang, key, n=left))
    return "\n".join(lines)


def seats_line(content: ContentStore, event: Event, tz: ZoneInfo, lang: str, now: datetime) -> str:
    t = content.texts
    if is_closed(event, now):
        return t.get(lang, "events.closed")
    left = store.seats_left(event)
    if left is None:
        line = t.get(lang, "events.seats_open")
    elif left == 0:
        line = t.get(lang, "events.seats_full")
    else:
        line = t.get(lang, "events.seats_left", n=left)
    if event.registration_deadline is not None:
        deadline = event.registration_deadline
        deadline = deadline if deadline.tzinfo else deadline.replace(tzinfo=UTC)
        locale = Locale(lang, tz, t)
        if deadline.astimezone(tz).time() == time(0):
            # a date alone (e.g. an Excel date cell) closes at the end of that day, not "00:00"
            day = locale.weekday_date(deadline - timedelta(minutes=1))
            line += "\n" + t.get(lang, "events.register_until_day", date=day)
        else:
            when = locale.weekday_date_time(deadline)
            line += "\n" + t.get(lang, "events.register_until", when=when)
    return line


def is_closed(event: Event, now: datetime) -> bool:
    """Registration is closed after its deadline and once the event has started."""
    if event.registration_deadline is not None and now >= event.registration_deadline:
        return True
    return now >= event.starts_at
