"""Tables of the officer tools (issue 11): officers granted in the database, the audit log of
officer actions, and tickets (what the bot could not answer, requests for a person, officers'
own notes) with their messages. Times are aware datetimes stored in UTC."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class OfficerRole(StrEnum):
    officer = "officer"
    admin = "admin"


class Officer(SQLModel, table=True):
    """An officer granted with `sxsh-bot officers add` (SXSH_OFFICER_IDS grants too). Read at
    every message, so a removal takes effect at once in every process."""

    __tablename__ = "officers"
    __table_args__ = (UniqueConstraint("channel", "platform_id", name="uq_officer_channel_user"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    platform_id: str = Field(max_length=64)
    display_name: str = Field(max_length=80)
    role: str = Field(default=OfficerRole.officer, max_length=16)
    added_by: str = Field(max_length=96)
    added_at: datetime


class AuditEntry(SQLModel, table=True):
    """One officer action: who (`telegram:123`, `cli:NAME`), what (`ticket.reply`,
    `event.cancel`, `content.reload`...), when, on what (`ticket` 12, `event` ws-1...). Kept when
    an officer deletes their own data: it records acts of the office, not of the person."""

    __tablename__ = "audit_log"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    actor: str = Field(max_length=96)
    action: str = Field(max_length=48, index=True)
    target_kind: str | None = Field(default=None, max_length=32)
    target_id: str | None = Field(default=None, max_length=64)
    detail: str | None = Field(default=None, max_length=255)


class TicketStatus(StrEnum):
    open = "open"
    pending = "pending"  # an officer answered; waiting on the enterprise
    closed = "closed"


class TicketSource(StrEnum):
    unanswered = "unanswered"  # the bot was not sure
    person = "person"  # "Gặp cán bộ", or the message asked for a person
    note = "note"  # an officer's own note (a phone call, a visit)


class Ticket(SQLModel, table=True):
    """Its id is the number officers act on (`/reply 12`): never reused (AUTOINCREMENT; the
    numbers of the old question list were carried over by migration 0011)."""

    __tablename__ = "tickets"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = Field(
        default=None, foreign_key="contacts.id", index=True, ondelete="SET NULL"
    )
    channel: str = Field(max_length=16)
    source: str = Field(default=TicketSource.unanswered, max_length=16)
    status: str = Field(default=TicketStatus.open, max_length=16, index=True)
    question: str = Field(sa_column=Column(Text, nullable=False))
    lang: str = Field(default="vi", max_length=5)
    question_log_id: int | None = Field(default=None, index=True)  # the question that opened it
    claimed_by: str | None = Field(default=None, max_length=96)  # "telegram:123", "cli:NAME"
    claimed_at: datetime | None = None
    opened_at: datetime = Field(index=True)
    first_reply_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime
    # Incremented at every reopening: the officers' card of each opening is sent once.
    opening: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    person_told: bool = False  # "an officer will answer" said in this opening
    reminders_sent: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class TicketMessage(SQLModel, table=True):
    """What the person wrote while the ticket was open, and every officer answer (who, when,
    what); an officer answer is delivered once by the outbox row `officer_reply:<id>`."""

    __tablename__ = "ticket_messages"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True, ondelete="CASCADE")
    from_officer: bool = False
    # "telegram:123" / "cli:NAME" for an officer; None for the person, or once the officer
    # deleted their own data.
    officer: str | None = Field(default=None, max_length=96)
    officer_contact_id: int | None = Field(
        default=None, foreign_key="contacts.id", index=True, ondelete="SET NULL"
    )
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime
