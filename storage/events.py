"""Events and registrations: find, create or change an event by its stable code, and take a
seat in the same transaction as the registration, so simultaneous taps on the last seat give
exactly one seat."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.events_models import Event, EventStatus, Registration, RegistrationStatus
from storage.models import Contact, Enterprise, Response

# Fields whose change moves the event for the people coming: bump the version, re-derive the
# reminders and tell the registrants (issue 10).
MOVING_FIELDS = ("starts_at", "ends_at", "place", "online_url", "date_only", "deadline_on")
VISIBLE = (EventStatus.published, EventStatus.changed)


def by_code(session: Session, code: str) -> Event | None:
    return session.exec(select(Event).where(Event.code == code)).first()


def get(session: Session, event_id: int) -> Event | None:
    return session.get(Event, event_id)


def all_events(session: Session, status: str | None = None) -> list[Event]:
    query = select(Event).order_by(Event.starts_at, Event.id)
    if status:
        query = query.where(Event.status == status)
    return list(session.exec(query).all())


def upcoming(session: Session, now: datetime) -> list[Event]:
    """Published events that have not started (a date-only deadline: its day not over)."""
    query = (
        select(Event)
        .where(col(Event.status).in_(VISIBLE), Event.starts_at > now)
        .order_by(Event.starts_at, Event.id)
    )
    return list(session.exec(query).all())


def upsert(session: Session, fields: dict, now: datetime) -> tuple[Event, str]:
    """Create the event with `fields["code"]` or change it. Returns (event, what) where what is
    "created", "moved" (time or place changed: version bumped), "changed" or "unchanged"."""
    event = by_code(session, fields["code"])
    if event is None:
        event = Event(**fields, created_at=now, updated_at=now)
        session.add(event)
        session.flush()
        return event, "created"
    changed = [k for k, v in fields.items() if getattr(event, k) != v]
    if not changed:
        return event, "unchanged"
    moved = any(k in MOVING_FIELDS for k in changed)
    for key in changed:
        setattr(event, key, fields[key])
    event.updated_at = now
    if moved:
        event.version += 1
        if event.status == EventStatus.published:
            event.status = EventStatus.changed
    session.add(event)
    session.flush()
    return event, "moved" if moved else "changed"


def set_status(session: Session, event: Event, status: EventStatus, now: datetime) -> None:
    event.status = status
    event.updated_at = now
    if status == EventStatus.published and event.published_at is None:
        event.published_at = now
    if status == EventStatus.cancelled:
        event.cancelled_at = now
    session.add(event)
    session.flush()


def topics_of(event: Event) -> list[str]:
    return list(json.loads(event.topics or "[]"))


def audience_of(event: Event) -> dict[str, list[str]]:
    return dict(json.loads(event.audience or "{}"))


def concerns(session: Session, event: Event, contact: Contact) -> bool:
    """Is the contact in the event's audience? An empty audience is everyone; each filter
    given (sectors, parks, wards, levels) must match; a contact without enterprise data only
    sees events for everyone."""
    audience = {k: v for k, v in audience_of(event).items() if v}
    if not audience:
        return True
    enterprise = session.get(Enterprise, contact.enterprise_id) if contact.enterprise_id else None
    facts = {
        "sectors": enterprise.sector if enterprise else None,
        "parks": enterprise.industrial_park if enterprise else None,
        "wards": enterprise.ward if enterprise else None,
        "levels": _level(session, contact),
    }
    return all(facts.get(key) in values for key, values in audience.items())


def _level(session: Session, contact: Contact) -> str | None:
    row = session.exec(
        select(Response.result)
        .where(Response.contact_id == contact.id, Response.status == "completed")
        .order_by(col(Response.completed_at).desc())
    ).first()
    return json.loads(row).get("level") if row else None


# -- registrations -------------------------------------------------------------------------
def registration(session: Session, event_id: int, contact_id: int) -> Registration | None:
    return session.exec(
        select(Registration).where(
            Registration.event_id == event_id, Registration.contact_id == contact_id
        )
    ).first()


def _take_seat(session: Session, event_id: int) -> bool:
    """One seat, by a conditional update: the database row lock orders concurrent takers."""
    result = session.exec(
        update(Event)
        .where(
            Event.id == event_id,
            (col(Event.capacity).is_(None)) | (Event.seats_taken < Event.capacity),
        )
        .values(seats_taken=Event.seats_taken + 1)
    )
    return result.rowcount == 1


def _free_seat(session: Session, event_id: int) -> None:
    session.exec(
        update(Event)
        .where(Event.id == event_id, Event.seats_taken > 0)
        .values(seats_taken=Event.seats_taken - 1)
    )


def register(session: Session, event: Event, contact_id: int, now: datetime) -> Registration:
    """Register the contact: a seat if one is free, else the waiting list. Registering again
    returns the existing registration unchanged."""
    reg = registration(session, event.id, contact_id)
    if reg is not None and reg.status != RegistrationStatus.cancelled:
        return reg
    status = (
        RegistrationStatus.registered
        if _take_seat(session, event.id)
        else RegistrationStatus.waiting
    )
    if reg is None:
        reg = Registration(
            event_id=event.id,
            contact_id=contact_id,
            status=status,
            registered_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(reg)
        except IntegrityError:  # a double tap from another process won: keep theirs
            if status == RegistrationStatus.registered:
                _free_seat(session, event.id)
            return registration(session, event.id, contact_id)  # type: ignore[return-value]
    else:
        reg.status, reg.updated_at = status, now
        session.add(reg)
    session.flush()
    session.refresh(event)
    return reg


def unregister(
    session: Session, event: Event, contact_id: int, now: datetime
) -> tuple[Registration | None, Registration | None]:
    """Cancel the contact's registration. Returns (theirs, promoted): when a seat frees, the
    first person waiting takes it in the same transaction."""
    reg = registration(session, event.id, contact_id)
    if reg is None or reg.status == RegistrationStatus.cancelled:
        return None, None
    had_seat = reg.status == RegistrationStatus.registered
    reg.status, reg.updated_at = RegistrationStatus.cancelled, now
    session.add(reg)
    promoted = None
    if had_seat:
        _free_seat(session, event.id)
        promoted = promote_first_waiting(session, event, now)
    session.flush()
    session.refresh(event)
    return reg, promoted


def promote_first_waiting(session: Session, event: Event, now: datetime) -> Registration | None:
    query = (
        select(Registration)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.waiting)
        .order_by(Registration.updated_at, Registration.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    first = session.exec(query).first()
    if first is None or not _take_seat(session, event.id):
        return None
    first.status, first.updated_at = RegistrationStatus.registered, now
    session.add(first)
    return first


def registrations(session: Session, event_id: int, status: str | None = None) -> list[Registration]:
    query = select(Registration).where(Registration.event_id == event_id)
    if status:
        query = query.where(Registration.status == status)
    return list(session.exec(query.order_by(Registration.registered_at, Registration.id)).all())


def of_contact(session: Session, contact_id: int) -> list[tuple[Registration, Event]]:
    query = (
        select(Registration, Event)
        .join(Event, Event.id == Registration.event_id)
        .where(
            Registration.contact_id == contact_id,
            Registration.status != RegistrationStatus.cancelled,
        )
        .order_by(Event.starts_at)
    )
    return [(r, e) for r, e in session.exec(query).all()]


def seats_left(event: Event) -> int | None:
    return None if event.capacity is None else max(event.capacity - event.seats_taken, 0)
