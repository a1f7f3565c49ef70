"""Subscriptions to topics and the reminder rows derived from an event.

A reminder row is keyed by (event, offset, contact, event version) and has one outbox row
(`outbox_key`) that the delivery lane sends; the row itself records why a reminder was skipped."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.events_models import Event, EventReminder, ReminderStatus, Subscription
from storage.models import Contact, ContactStatus, Outbox, OutboxStatus
from storage.outbox import FREE, QUOTA
from storage.zalo_oa import not_reached_reason

REMINDER_KIND = "event_reminder"


# -- subscriptions -------------------------------------------------------------------------
def topics_of_contact(session: Session, contact_id: int) -> set[str]:
    rows = session.exec(select(Subscription.topic).where(Subscription.contact_id == contact_id))
    return set(rows.all())


def toggle(session: Session, contact_id: int, topic: str, now: datetime) -> bool:
    """Subscribe or unsubscribe; returns True when the contact is now subscribed."""
    row = session.exec(
        select(Subscription).where(
            Subscription.contact_id == contact_id, Subscription.topic == topic
        )
    ).first()
    if row is not None:
        session.delete(row)
        session.flush()
        return False
    try:
        with session.begin_nested():
            session.add(Subscription(contact_id=contact_id, topic=topic, created_at=now))
    except IntegrityError:  # a double tap from another process: it is subscribed either way
        pass
    return True


def subscribers(session: Session, topics: list[str]) -> list[Contact]:
    """Active contacts subscribed to any of the topics (a stopped person gets no news)."""
    if not topics:
        return []
    query = (
        select(Contact)
        .where(
            col(Contact.id).in_(
                select(Subscription.contact_id).where(col(Subscription.topic).in_(topics))
            ),
            Contact.status == ContactStatus.active,
        )
        .order_by(Contact.id)
    )
    return list(session.exec(query).all())


# -- reminders -----------------------------------------------------------------------------
def outbox_key(event_id: int, version: int, offset_minutes: int, contact_id: int) -> str:
    return f"event:{event_id}:v{version}:remind:{offset_minutes}m:c{contact_id}"


def add_many(
    session: Session,
    event_id: int,
    version: int,
    wanted: list[tuple[int, int, datetime]],
    now: datetime,
    tz_name: str,
) -> int:
    """Reminders (offset minutes, contact id, due time) of one event version and their outbox
    rows, in two statements whatever their number (2,000 registrants move in one transaction).
    Existing ones are left alone (ON CONFLICT DO NOTHING on the unique keys), so a retry or a
    concurrent registration never duplicates; an outbox row cancelled when the reminder was
    dropped is queued again. `tz_name` is the zone people read times in.
    Returns how many were new."""
    if not wanted:
        return 0
    reminder_rows, outbox_rows = [], []
    for minutes, contact_id, due in wanted:
        key = outbox_key(event_id, version, minutes, contact_id)
        reminder_rows.append(
            {
                "event_id": event_id,
                "contact_id": contact_id,
                "offset_minutes": minutes,
                "event_version": version,
                "due_at": due,
                "status": ReminderStatus.pending.value,
                "outbox_key": key,
                "updated_at": now,
            }
        )
        payload = {
            "event_id": event_id,
            "version": version,
            "offset": minutes,
            "contact_id": contact_id,
            "tz": tz_name,
        }
        outbox_rows.append(
            {
                "key": key,
                "contact_id": contact_id,
                "kind": REMINDER_KIND,
                "payload": json.dumps(payload),
                "due_at": due,
                "status": OutboxStatus.pending.value,
                "attempts": 0,
                "parts_sent": 0,
            }
        )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.flush()  # pending ORM changes first: these statements bypass the unit of work
    conn = session.connection()
    result = conn.execute(insert(EventReminder).on_conflict_do_nothing(), reminder_rows)
    # A key met again after its reminder was dropped (unregistered, then registered again)
    # has a cancelled outbox row: queue it again. A sent one stays sent.
    stmt = insert(Outbox)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[Outbox.key],
            set_={
                "status": OutboxStatus.pending.value,
                "due_at": stmt.excluded.due_at,
                "payload": stmt.excluded.payload,
                "attempts": 0,
                "parts_sent": 0,
                "error": None,
            },
            where=Outbox.status == OutboxStatus.cancelled.value,
        ),
        outbox_rows,
    )
    return max(result.rowcount, 0)


def _key(payload: dict) -> tuple:
    return tuple(payload.get(k) for k in ("event_id", "version", "offset", "contact_id"))


CACHE = "event_reminders"  # Session.info key: this transaction's prefetched reminders


def prefetch(session: Session, payloads: list[dict]) -> None:
    """Load the reminders (with their events) that a claimed batch of outbox payloads names,
    in one query, for `find` to take without a query each (the claim's transaction only)."""
    wanted = {_key(p) for p in payloads}
    events = {k[0] for k in wanted}
    contacts = {k[3] for k in wanted}
    query = (
        select(EventReminder, Event)
        .join(Event, Event.id == EventReminder.event_id)
        .where(col(EventReminder.event_id).in_(events), col(EventReminder.contact_id).in_(contacts))
    )
    cache = session.info.setdefault(CACHE, {})
    for reminder, event in session.exec(query).all():
        key = (
            reminder.event_id,
            reminder.event_version,
            reminder.offset_minutes,
            reminder.contact_id,
        )
        if key in wanted:
            cache[key] = (reminder, event)


def find(session: Session, payload: dict) -> tuple[EventReminder, Event] | None:
    """The reminder an outbox payload names, by its unique key, with its event: prefetched,
    else one query."""
    cached = session.info.get(CACHE, {}).pop(_key(payload), None)
    if cached is not None:
        return cached
    found = session.exec(
        select(EventReminder, Event)
        .join(Event, Event.id == EventReminder.event_id)
        .where(
            EventReminder.event_id == payload.get("event_id"),
            EventReminder.event_version == payload.get("version"),
            EventReminder.offset_minutes == payload.get("offset"),
            EventReminder.contact_id == payload.get("contact_id"),
        )
    ).first()
    return None if found is None else (found[0], found[1])


def drop_pending(
    session: Session,
    event_id: int,
    *,
    keep_version: int | None = None,
    contact_id: int | None = None,
) -> int:
    """Remove pending reminders of the event (all, those not of `keep_version`, or one
    contact's) and cancel their outbox rows. Returns how many were dropped."""
    where = [EventReminder.event_id == event_id, EventReminder.status == ReminderStatus.pending]
    if keep_version is not None:
        where.append(EventReminder.event_version != keep_version)
    if contact_id is not None:
        where.append(EventReminder.contact_id == contact_id)
    keys = list(session.exec(select(EventReminder.outbox_key).where(*where)).all())
    if not keys:
        return 0
    # Only rows not yet claimed are cancelled; one being sent re-checks the version itself.
    session.exec(
        update(Outbox)
        .where(col(Outbox.key).in_(keys), Outbox.status == OutboxStatus.pending)
        .values(status=OutboxStatus.cancelled)
    )
    session.exec(delete(EventReminder).where(*where))
    return len(keys)


def skip(session: Session, row: EventReminder, reason: str, now: datetime) -> None:
    row.status, row.reason, row.updated_at = ReminderStatus.skipped, reason[:64], now
    session.add(row)


def mark_sent(session: Session, row: EventReminder, now: datetime) -> None:
    row.status, row.updated_at = ReminderStatus.sent, now
    session.add(row)


def counts(session: Session, event_id: int) -> dict[str, int]:
    """Reminders of the event by state: pending, sent, failed, and skipped:<reason>. A row
    handed to the outbox takes the outbox row's final state (sent, failed, unreachable,
    unknown)."""
    query = (
        select(EventReminder.status, EventReminder.reason, Outbox.status)
        .join(Outbox, Outbox.key == EventReminder.outbox_key, isouter=True)
        .where(EventReminder.event_id == event_id)
    )
    out: dict[str, int] = {}
    for status, reason, sent in session.exec(query).all():
        if status == ReminderStatus.skipped:
            key = f"skipped:{reason}"
        elif sent in (
            OutboxStatus.sent,
            OutboxStatus.failed,
            OutboxStatus.unreachable,
            OutboxStatus.unknown,  # in flight when its worker died: maybe delivered
        ):
            key = str(sent)
        else:
            key = "pending"
        out[key] = out.get(key, 0) + 1
    return out


def zalo_routes(session: Session, event_id: int, channel: str = "zalo_oa") -> dict[str, int]:
    """Reminders of the event to Zalo OA contacts by how they went: "free" (a reply to the
    person's own message), "quota" (the proactive form), "not_reachable:<reason>" (reason
    "outside_window" or the platform's words, storage.zalo_oa.not_reached_reason)."""
    query = (
        select(Outbox.status, Outbox.route, Outbox.error)
        .join(EventReminder, EventReminder.outbox_key == Outbox.key)
        .join(Contact, Contact.id == Outbox.contact_id)
        .where(EventReminder.event_id == event_id, Contact.channel == channel)
    )
    out: dict[str, int] = {}
    for status, route, error in session.exec(query).all():
        if status == OutboxStatus.sent:
            key = route if route in (FREE, QUOTA) else "sent"
        elif status in (OutboxStatus.failed, OutboxStatus.unreachable):
            key = f"not_reachable:{not_reached_reason(error)}"
        else:
            continue  # still to be sent
        out[key] = out.get(key, 0) + 1
    return out
