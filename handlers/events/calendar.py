"""The calendar file (.ics) sent with a registration, a change and a cancellation.

Built with icalendar (RFC 5545): one stable UID per event so a phone updates the entry it
already has, SEQUENCE = the event version, times in the local zone with its VTIMEZONE (added by
`add_missing_timezones()`, which Outlook needs), STATUS:CANCELLED when cancelled."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from icalendar import Event as VEvent

from handlers.messages import Attachment
from storage.events_models import Event, EventStatus

PRODID = "-//So Cong Thuong Can Tho//SXSH bot//VI"
UID_DOMAIN = "sxsh-bot.congthuong.cantho"
DEFAULT_LENGTH = timedelta(hours=2)  # an event without an end shows as two hours long


def uid(event: Event) -> str:
    return f"event-{event.code}@{UID_DOMAIN}"


def build(event: Event, tz: ZoneInfo, lang: str, now: datetime) -> bytes:
    """The .ics bytes for the event, in `lang` (vi or en) where it has that language."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if event.status == EventStatus.cancelled else "PUBLISH")
    item = VEvent()
    item.add("uid", uid(event))
    item.add("sequence", event.version)
    item.add("dtstamp", now)
    title = (event.title_en if lang == "en" else "") or event.title_vi
    description = (event.description_en if lang == "en" else "") or event.description_vi
    item.add("summary", title)
    about = "\n\n".join(x for x in (description, event.organiser) if x)
    if about:
        item.add("description", about)
    if event.date_only and event.deadline_on is not None:
        item.add("dtstart", event.deadline_on)
        item.add("dtend", event.deadline_on + timedelta(days=1))
    else:
        start = event.starts_at.astimezone(tz)
        end = (event.ends_at or event.starts_at + DEFAULT_LENGTH).astimezone(tz)
        item.add("dtstart", start)
        item.add("dtend", end)
    location = ", ".join(x for x in (event.place, event.online_url) if x)
    if location:
        item.add("location", location)
    if event.online_url:
        item.add("url", event.online_url)
    item.add("status", "CANCELLED" if event.status == EventStatus.cancelled else "CONFIRMED")
    cal.add_component(item)
    cal.add_missing_timezones()
    return cal.to_ical()


def attachment(event: Event, tz: ZoneInfo, lang: str, now: datetime) -> Attachment:
    return Attachment(
        filename=f"{event.code}.ics",
        data=build(event, tz, lang, now),
        mime_type="text/calendar",
    )
