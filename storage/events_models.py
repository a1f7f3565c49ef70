"""Tables of the events capability: events, registrations, topic subscriptions and the
reminders derived from an event. Times are aware datetimes stored in UTC; what a person sees is
converted to the settings' time zone (Asia/Ho_Chi_Minh) at the edge."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class EventKind(StrEnum):
    workshop = "workshop"
    training = "training"
    field_trip = "field_trip"
    conference = "conference"
    programme_deadline = "programme_deadline"
    other = "other"


class EventStatus(StrEnum):
    draft = "draft"
    published = "published"
    changed = "changed"  # published, then its time or place moved
    cancelled = "cancelled"
    past = "past"


class RegistrationStatus(StrEnum):
    registered = "registered"
    waiting = "waiting"
    cancelled = "cancelled"


class ReminderStatus(StrEnum):
    pending = "pending"  # an outbox row waits; its final state is the outbox row's
    sent = "sent"
    skipped = "skipped"  # with `reason`: too_late, started, stopped, version_changed...
    failed = "failed"


class Event(SQLModel, table=True):
    __tablename__ = "events"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)  # stable, chosen by officers; import key
    kind: str = Field(max_length=32, index=True)
    title_vi: str = Field(max_length=256)
    title_en: str = Field(default="", max_length=256)
    description_vi: str = Field(default="", sa_column=Column(Text, nullable=False))
    description_en: str = Field(default="", sa_column=Column(Text, nullable=False))
    starts_at: datetime = Field(index=True)  # a date-only deadline: local midnight, in UTC
    ends_at: datetime | None = None
    date_only: bool = False
    deadline_on: date | None = None  # the local date of a date-only event
    place: str = Field(default="", max_length=256)
    online_url: str = Field(default="", max_length=512)
    organiser: str = Field(default="", max_length=256)
    capacity: int | None = None  # None: no limit
    seats_taken: int = 0  # moved only by conditional updates (see storage.events)
    registration_deadline: datetime | None = None
    topics: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list
    audience: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON object
    status: str = Field(default=EventStatus.draft, max_length=16, index=True)
    version: int = 1  # bumped when time or place changes; reminders carry it
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None = None
    cancelled_at: datetime | None = None


class Registration(SQLModel, table=True):
    __tablename__ = "event_registrations"
    __table_args__ = (UniqueConstraint("event_id", "contact_id", name="uq_registration"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", index=True, ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contacts.id", index=True, ondelete="CASCADE")
    status: str = Field(max_length=16, index=True)
    registered_at: datetime  # first registration; the waiting list is ordered by `updated_at`
    updated_at: datetime
    attended: bool = False


class Subscription(SQLModel, table=True):
    __tablename__ = "event_subscriptions"
    __table_args__ = (UniqueConstraint("contact_id", "topic", name="uq_subscription"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True, ondelete="CASCADE")
    topic: str = Field(max_length=32, index=True)
    created_at: datetime


class EventReminder(SQLModel, table=True):
    """One reminder, derived from the event: never a free-standing job. The key includes the
    event version, so a reminder computed for an old time can never be taken for a new one."""

    __tablename__ = "event_reminders"
    __table_args__ = (
        UniqueConstraint(
            "event_id", "offset_minutes", "contact_id", "event_version", name="uq_event_reminder"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", index=True, ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contacts.id", index=True, ondelete="CASCADE")
    offset_minutes: int
    event_version: int
    due_at: datetime = Field(index=True)
    status: str = Field(default=ReminderStatus.pending, max_length=16, index=True)
    reason: str | None = Field(default=None, max_length=64)
    outbox_key: str = Field(max_length=160)
    updated_at: datetime
