"""What the outbox rows of the events capability say when they are delivered: reminders,
"event changed" and "cancelled" notices, a seat freed from the waiting list, and the
announcement of a new event to subscribers.

A renderer returns None when the message is no longer due (the delivery then cancels the row).
The reminder renderer re-checks the event version and the grace window at send time, so a
reminder computed for an old time, or one that came due while the bot was down for too long,
never goes out; it is recorded as skipped with the reason officers see."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from content.store import ContentStore
from handlers import quiet_hours
from handlers.events import calendar, display
from handlers.messages import Button, Reply
from storage import events as store
from storage import events_reminders as reminders
from storage.events_models import (
    Event,
    EventReminder,
    EventStatus,
    RegistrationStatus,
    ReminderStatus,
)
from storage.models import Contact


def _lang(contact: Contact) -> str:
    return contact.language if contact.language in ("vi", "en") else "vi"


def _tz(payload: dict) -> ZoneInfo:
    """The settings' zone, written into every row when it was queued (renderers get no
    settings); a row without it fails to render, with the reason, rather than guess a zone."""
    return ZoneInfo(payload["tz"])


def _fields(content: ContentStore, event: Event, tz: ZoneInfo, lang: str) -> dict:
    return {
        "title": display.title(event, lang),
        "when": display.when(content, event, tz, lang),
        "place": display.place(event) or "-",
    }


def reminder(
    session, content: ContentStore, contact: Contact, payload: dict, now: datetime
) -> list[Reply] | None:  # noqa: ANN001
    found = reminders.find(session, payload)
    # "sent" is written when the row is claimed; a retry after a failed send (or after the
    # worker died before sending) renders it again: the outbox row, not this one, sends once.
    if found is None or found[0].status == ReminderStatus.skipped:
        return None
    row, event = found
    reason = _why_not(content, event, row, now)
    if reason:
        reminders.skip(session, row, reason, now)
        return None
    reminders.mark_sent(session, row, now)  # the outbox row holds whether the send succeeded
    lang, tz = _lang(contact), _tz(payload)
    key = "events.reminder_deadline" if event.date_only else "events.reminder"
    text = content.texts.get(lang, key, **_fields(content, event, tz, lang))
    buttons = []
    if _holds(session, event, contact):  # a registrant can give the seat up from the reminder
        buttons = [
            Button(content.texts.get(lang, "events.button.unregister"),
                   f"ev:u:{event.id}:{event.version}"),
            Button(content.texts.get(lang, "events.button.mine"), "ev:mine"),
        ]  # fmt: skip
    return [Reply(text=text, buttons=buttons)]


def _why_not(
    content: ContentStore, event: Event | None, row: EventReminder, now: datetime
) -> str | None:
    """None when the reminder is to go out now, else the reason it is skipped."""
    if event is None or event.status == EventStatus.cancelled:
        return "cancelled"
    if event.version != row.event_version:
        return "version_changed"
    if event.status not in store.VISIBLE:
        return "not_published"
    if now >= event.starts_at and not event.date_only:
        return "started"
    offset = content.events.offset(event.kind, row.offset_minutes)
    if offset is not None and now - row.due_at > offset.grace:
        return "too_late"
    return None


def changed(session, content, contact, payload, now) -> list[Reply] | None:  # noqa: ANN001
    event = store.get(session, payload.get("event_id"))
    if event is None or event.version != payload.get("version") or event.starts_at <= now:
        return None  # moved again since: the newer notice says it
    if event.status not in store.VISIBLE or not _holds(session, event, contact):
        return None  # (or they left it after the change: no calendar file for an event left)
    lang, tz = _lang(contact), _tz(payload)
    text = content.texts.get(lang, "events.changed_notice", **_fields(content, event, tz, lang))
    return [Reply(text=text, attachment=calendar.attachment(event, tz, lang, now))]


def cancelled(session, content, contact, payload, now) -> list[Reply] | None:  # noqa: ANN001
    event = store.get(session, payload.get("event_id"))
    if event is None or event.status != EventStatus.cancelled:
        return None
    lang, tz = _lang(contact), _tz(payload)
    text = content.texts.get(lang, "events.cancelled_notice", **_fields(content, event, tz, lang))
    return [Reply(text=text, attachment=calendar.attachment(event, tz, lang, now))]


def promoted(session, content, contact, payload, now) -> list[Reply] | None:  # noqa: ANN001
    event = store.get(session, payload.get("event_id"))
    if event is None or event.status not in store.VISIBLE or event.starts_at <= now:
        return None
    if not _holds(session, event, contact, RegistrationStatus.registered):
        return None  # the seat was given up again before this was sent: nothing to announce
    lang, tz = _lang(contact), _tz(payload)
    text = content.texts.get(lang, "events.promoted", **_fields(content, event, tz, lang))
    return [Reply(text=text, attachment=calendar.attachment(event, tz, lang, now))]


def _holds(session, event: Event, contact: Contact, *states: str) -> bool:  # noqa: ANN001
    """The person's registration is, now, in one of `states` (a seat or the waiting list by
    default): notices about it are checked when sent, not only when queued."""
    reg = store.registration(session, event.id, contact.id)
    wanted = states or (RegistrationStatus.registered, RegistrationStatus.waiting)
    return reg is not None and reg.status in wanted


def announce(session, content, contact, payload, now) -> list[Reply] | None:  # noqa: ANN001
    """News nobody asked for: held by quiet hours at send time too (quiet_hours.NotNow)."""
    event = store.get(session, payload.get("event_id"))
    if event is None or event.status not in store.VISIBLE or event.starts_at <= now:
        return None  # (before the zone is read: a row naming no event is simply dropped)
    quiet_hours.hold_at_night(now, _tz(payload))
    if not store.concerns(session, event, contact):
        return None
    lang, tz = _lang(contact), _tz(payload)
    card = display.card(content, event, tz, lang, now)
    buttons = []
    if content.events.kind(event.kind).who == "registrants" and not display.is_closed(event, now):
        label = content.texts.get(lang, "events.button.register")
        buttons.append(Button(label, f"ev:r:{event.id}:{event.version}"))
    return [Reply(text=content.texts.get(lang, "events.announce", card=card), buttons=buttons)]
