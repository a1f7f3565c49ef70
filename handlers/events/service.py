"""What happens to an event's people when the event is published, moved, cancelled or someone
registers: reminders derived from the event, and the notices that go through the outbox.

Everything runs inside the caller's transaction, so a move drops the old pending reminders and
computes the new ones atomically (issue 10)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from content.events import EventsConfig
from handlers import quiet_hours
from storage import events as store
from storage import events_reminders as reminders
from storage import outbox
from storage.events_models import Event, EventStatus, Registration, RegistrationStatus
from storage.models import Contact

ANNOUNCE = "event_announce"
CHANGED = "event_changed"
CANCELLED = "event_cancelled"
PROMOTED = "event_promoted"


def due_times(event: Event, config: EventsConfig, tz: ZoneInfo) -> list[tuple[int, datetime]]:
    """(offset in minutes, due time in UTC) of each reminder the event's kind asks for."""
    kind = config.kind(event.kind)
    out = []
    for offset in kind.remind:
        if event.date_only and event.deadline_on is not None and kind.remind_at is not None:
            day = event.deadline_on - timedelta(days=offset.before.days)
            due = datetime.combine(day, kind.remind_at, tz).astimezone(ZoneInfo("UTC"))
        else:
            due = event.starts_at - offset.before
        out.append((offset.minutes, due))
    return out


def recipients(session, event: Event, config: EventsConfig) -> list[int]:  # noqa: ANN001
    """Who is reminded: the registrants, or (programme deadlines) the subscribers of the
    event's topics who are in its audience."""
    if config.kind(event.kind).who == "subscribers":
        people = reminders.subscribers(session, store.topics_of(event))
        return [c.id for c in people if store.concerns(session, event, c)]
    return [
        r.contact_id for r in store.registrations(session, event.id, RegistrationStatus.registered)
    ]


def arm(
    session,  # noqa: ANN001
    event: Event,
    config: EventsConfig,
    tz: ZoneInfo,
    now: datetime,
    contact_ids: list[int] | None = None,
) -> int:
    """Create the reminders of the event's current version still ahead of `now`; returns how
    many are new. An event not published, or already started, reminds nobody."""
    if event.status not in store.VISIBLE or event.starts_at <= now:
        return 0
    people = recipients(session, event, config) if contact_ids is None else contact_ids
    wanted = [
        (minutes, contact_id, due)
        for minutes, due in due_times(event, config, tz)
        if due > now  # e.g. registered an hour before: no "2 hours before" reminder
        for contact_id in people
    ]
    return reminders.add_many(session, event.id, event.version, wanted, now, tz.key)


def publish(session, event: Event, config: EventsConfig, tz: ZoneInfo, now: datetime) -> int:  # noqa: ANN001
    """Publish a draft and tell the subscribers of its topics who are in its audience, once
    (the outbox key is per event and contact), outside quiet hours (handlers/quiet_hours.py:
    published at 22:00, told at 07:00; not at all when the event starts before then). Returns
    how many were told."""
    if event.status not in (EventStatus.draft,):
        return 0
    store.set_status(session, event, EventStatus.published, now)
    told = 0
    # News nobody asked for just now waits for the morning when published at night.
    due = quiet_hours.next_allowed(now, tz)
    if event.starts_at > due:
        for contact in reminders.subscribers(session, store.topics_of(event)):
            if store.concerns(session, event, contact):
                key = f"event:{event.id}:announce:c{contact.id}"
                outbox.enqueue(
                    session, key, contact.id, ANNOUNCE, due, {"event_id": event.id, "tz": tz.key}
                )
                told += 1
    arm(session, event, config, tz, now)
    return told


def moved(session, event: Event, config: EventsConfig, tz: ZoneInfo, now: datetime) -> int:  # noqa: ANN001
    """After a change of time or place (version already bumped): drop the old version's
    pending reminders, compute the new ones, and tell each registrant once with the new
    calendar file. An event moved into the past reminds and tells nobody."""
    reminders.drop_pending(session, event.id, keep_version=event.version)
    if event.status not in store.VISIBLE:
        return 0
    if event.starts_at <= now:
        store.set_status(session, event, EventStatus.past, now)
        return 0
    arm(session, event, config, tz, now)
    told = 0
    for reg in _people(session, event):
        key = f"event:{event.id}:v{event.version}:changed:c{reg.contact_id}"
        payload = {"event_id": event.id, "version": event.version, "tz": tz.key}
        outbox.enqueue(session, key, reg.contact_id, CHANGED, now, payload)
        told += 1
    return told


def cancel(session, event: Event, tz: ZoneInfo, now: datetime) -> int:  # noqa: ANN001
    """Cancel: every pending reminder removed, each registrant (and waiting person) told
    once. Returns how many were told; cancelling twice tells nobody again."""
    if event.status == EventStatus.cancelled:
        return 0
    was_visible = event.status in store.VISIBLE
    store.set_status(session, event, EventStatus.cancelled, now)
    reminders.drop_pending(session, event.id)
    if not was_visible or event.starts_at <= now:
        return 0
    told = 0
    for reg in _people(session, event):
        key = f"event:{event.id}:cancelled:c{reg.contact_id}"
        outbox.enqueue(
            session, key, reg.contact_id, CANCELLED, now, {"event_id": event.id, "tz": tz.key}
        )
        told += 1
    return told


def _people(session, event: Event) -> list[Registration]:  # noqa: ANN001
    return [
        r
        for r in store.registrations(session, event.id)
        if r.status in (RegistrationStatus.registered, RegistrationStatus.waiting)
    ]


def registered(
    session,  # noqa: ANN001
    event: Event,
    contact: Contact,
    config: EventsConfig,
    tz: ZoneInfo,
    now: datetime,
) -> Registration:
    """Register (seat or waiting list) and arm the person's reminders when they have a seat."""
    reg = store.register(session, event, contact.id, now)
    if reg.status == RegistrationStatus.registered:
        arm(session, event, config, tz, now, [contact.id])
    return reg


def unregistered(
    session,  # noqa: ANN001
    event: Event,
    contact: Contact,
    config: EventsConfig,
    tz: ZoneInfo,
    now: datetime,
) -> Registration | None:
    """Cancel the registration and its reminders; the first waiting person takes the seat,
    gets their reminders and a notice."""
    reg, promoted = store.unregister(session, event, contact.id, now)
    if reg is None:
        return None
    reminders.drop_pending(session, event.id, contact_id=contact.id)
    if promoted is not None:
        arm(session, event, config, tz, now, [promoted.contact_id])
        # One notice per promotion: the same person can be promoted again after cancelling.
        prefix = f"event:{event.id}:promoted:c{promoted.contact_id}:{promoted.id}"
        key = f"{prefix}:{outbox.count_keys(session, prefix + ':') + 1}"
        payload = {"event_id": event.id, "tz": tz.key}
        outbox.enqueue(session, key, promoted.contact_id, PROMOTED, now, payload)
    return reg


def save(
    session,  # noqa: ANN001
    fields: dict,
    status: str,
    config: EventsConfig,
    tz: ZoneInfo,
    now: datetime,
) -> tuple[Event, str]:
    """Create or change the event with `fields["code"]` and publish it when asked; a move
    re-derives reminders and tells registrants. Returns (event, what happened)."""
    event, what = store.upsert(session, fields, now)
    if what == "moved":
        moved(session, event, config, tz, now)
    if status == EventStatus.published and event.status == EventStatus.draft:
        publish(session, event, config, tz, now)
        what = "published" if what == "created" else what
    return event, what
