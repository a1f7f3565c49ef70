"""An event as people in Vietnam read it: "Thứ Sáu, 08/11/2019 lúc 08:00", through babel with
explicit patterns (the named "full" style would add a time-zone name), in the settings' zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from content.store import ContentStore
from storage import events as store
from storage.events_models import Event

DATE = "EEEE, dd/MM/yyyy"  # Thứ Sáu, 08/11/2019 / Friday, 08/11/2019
TIME = "HH:mm"


def date_text(moment: datetime, tz: ZoneInfo, lang: str) -> str:
    text = format_date(moment.astimezone(tz).date(), DATE, locale=lang)
    return text[:1].upper() + text[1:]  # babel's Vietnamese weekday is lower case: "thứ Sáu"


def time_text(moment: datetime, tz: ZoneInfo, lang: str) -> str:
    return format_time(moment.astimezone(tz), TIME, locale=lang)


def when(content: ContentStore, event: Event, tz: ZoneInfo, lang: str) -> str:
    """ "Thứ Sáu, 08/11/2019 lúc 08:00" or, for a date-only deadline, the date alone."""
    if event.date_only:
        return date_text(event.starts_at, tz, lang)
    return content.texts.get(
        lang,
        "events.when",
        date=date_text(event.starts_at, tz, lang),
        time=time_text(event.starts_at, tz, lang),
    )


def title(event: Event, lang: str) -> str:
    return (event.title_en if lang == "en" else "") or event.title_vi


def place(event: Event) -> str:
    return " · ".join(x for x in (event.place, event.online_url) if x)


def card(content: ContentStore, event: Event, tz: ZoneInfo, lang: str, now: datetime) -> str:
    """Kind, title, when, where, seats left or closed: what a person needs to decide."""
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
        lines.append(seats_line(content, event, tz, lang, now))
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
        line += "\n" + t.get(
            lang,
            "events.register_until",
            date=date_text(deadline, tz, lang),
            time=time_text(deadline, tz, lang),
        )
    return line


def is_closed(event: Event, now: datetime) -> bool:
    """Registration is closed after its deadline and once the event has started."""
    if event.registration_deadline is not None and now >= event.registration_deadline:
        return True
    return now >= event.starts_at
