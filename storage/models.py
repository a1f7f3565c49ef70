"""Database tables. Times are aware datetimes stored in UTC (sqlmodel's UTCDateTime, portable across
SQLite and PostgreSQL); what a person sees is converted to Asia/Ho_Chi_Minh at the edge."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel


class Role(StrEnum):
    enterprise = "enterprise"
    officer = "officer"
    admin = "admin"


class ContactStatus(StrEnum):
    active = "active"
    stopped = "stopped"  # the person asked for no more non-reply messages
    blocked = "blocked"  # the person blocked the bot on the platform


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"
    # AUTOINCREMENT: an id is never reused after a deletion (issue 7; PostgreSQL sequences never
    # reuse either).
    __table_args__ = (
        UniqueConstraint("channel", "platform_id", name="uq_contact_channel_user"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16, index=True)
    platform_id: str = Field(max_length=64)
    display_name: str | None = Field(default=None, max_length=128)
    language: str = Field(default="vi", max_length=5)
    role: str = Field(default=Role.enterprise, max_length=16)
    status: str = Field(default=ContactStatus.active, max_length=16, index=True)
    # Which flow takes the person's free text ("assessment" while they answer questions);
    # None means free text is a question for the knowledge base.
    active_flow: str | None = Field(default=None, max_length=32)
    enterprise_id: int | None = Field(
        default=None, foreign_key="enterprises.id", index=True, ondelete="SET NULL"
    )
    first_seen: datetime
    last_seen: datetime


class ConsentRecord(SQLModel, table=True):
    """One row per consent decision: per purpose, with the wording version the person saw."""

    __tablename__ = "consent_records"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True, ondelete="CASCADE")
    purpose: str = Field(max_length=64)
    wording_version: str = Field(max_length=32)
    granted: bool
    given_at: datetime
    withdrawn_at: datetime | None = None


class AppState(SQLModel, table=True):
    """Small shared key/value facts all processes must agree on (e.g. content generation)."""

    __tablename__ = "app_state"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(sa_column=Column(Text, nullable=False))


class QuestionLog(SQLModel, table=True):
    """Every free-text question, its match and score; unanswered ones wait for officers.
    Its id is the number officers act on (`/reply 12`): never reused (AUTOINCREMENT)."""

    __tablename__ = "question_log"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = Field(
        default=None, foreign_key="contacts.id", index=True, ondelete="SET NULL"
    )
    channel: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    lang: str = Field(max_length=5)
    topic: str | None = Field(default=None, max_length=64, index=True)
    score: float = 0.0
    confident: bool = Field(default=False, index=True)
    alternatives: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list
    handed_off: bool = False  # the person asked for an officer
    # Addressed to the officers (the message after "Gặp cán bộ", a request for a person, what
    # the person wrote on their open ticket): the ticket inbox's, never in /unanswered.
    for_officers: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = Field(index=True)
    answered_at: datetime | None = None  # before migration 0011; tickets hold answers now


class Enterprise(SQLModel, table=True):
    """Company-level data (not personal data). Contacts of one tax code share one row."""

    __tablename__ = "enterprises"

    id: int | None = Field(default=None, primary_key=True)
    name: str | None = Field(default=None, max_length=256)
    tax_code: str | None = Field(default=None, max_length=14, unique=True)
    sector: str | None = Field(default=None, max_length=32, index=True)
    industrial_park: str | None = Field(default=None, max_length=64)
    ward: str | None = Field(default=None, max_length=128)  # phường/xã (no district level)
    # The response whose answers the fields above were last taken from: who said it, when.
    source_response_id: int | None = Field(default=None, index=True)
    created_at: datetime
    updated_at: datetime


class Response(SQLModel, table=True):
    """One run of a questionnaire by one contact, under the questionnaire version it began with."""

    __tablename__ = "responses"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = Field(
        default=None, foreign_key="contacts.id", index=True, ondelete="SET NULL"
    )
    enterprise_id: int | None = Field(
        default=None, foreign_key="enterprises.id", index=True, ondelete="SET NULL"
    )
    questionnaire_id: str = Field(max_length=64, index=True)
    questionnaire_version: str = Field(max_length=16)
    status: str = Field(default="in_progress", max_length=16, index=True)
    personal_consent: bool = False
    # "verified": this response speaks for its enterprise (it made the record, its contact is
    # linked to it, or an officer confirmed); "pending": it gave an existing enterprise's tax
    # code and waits for an officer, changing nothing of that enterprise meanwhile.
    enterprise_claim: str | None = Field(default=None, max_length=16)
    claim_decided_by: str | None = Field(default=None, max_length=96)  # the officer
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    result: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON


class Answer(SQLModel, table=True):
    """One answer, stored the moment it is given; the unique key makes a retry harmless."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("response_id", "question_id", name="uq_answer_question"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="responses.id", index=True, ondelete="CASCADE")
    question_id: str = Field(max_length=64)
    value: str = Field(sa_column=Column(Text, nullable=False))  # JSON; null means skipped
    answered_at: datetime


class OutboxStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    cancelled = "cancelled"
    failed = "failed"
    unreachable = "unreachable"  # blocked, stopped, or outside the platform's window
    unknown = "unknown"  # a bulk send interrupted by a crash: maybe delivered, never re-sent


class Outbox(SQLModel, table=True):
    """A proactive message is a row first: claim, send, mark. `key` is unique per (what, whom),
    so a restart or a second worker can never send the same thing twice."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160, unique=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=32)  # assessment_nudge, reminder, broadcast...
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON
    due_at: datetime = Field(index=True)
    status: str = Field(default=OutboxStatus.pending, max_length=16, index=True)
    attempts: int = 0  # claims that tried to send; a 429 (not the row's fault) is not counted
    # Platform messages of the rendered row already delivered: a retry sends only the rest.
    parts_sent: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    claimed_at: datetime | None = None
    # Set (and committed) just before a bulk row's first send of its claim: a crash leaves a
    # started row maybe delivered (unknown), a claimed one not started surely not (pending).
    started_at: datetime | None = None
    sent_at: datetime | None = None
    error: str | None = Field(default=None, max_length=255)
    # How the platform took it, where it says (Zalo OA): free (a reply to the person's own
    # message), quota (the proactive form, counted against the OA's quota), not_reachable.
    route: str | None = Field(default=None, max_length=16)


class SeenInbound(SQLModel, table=True):
    """Inbound platform events already handled, so a redelivered one is ignored. Written in the
    transaction that handles the event: a crash before commit leaves it unseen. `key` is a digest
    of channel, person and platform event id (no raw ids kept); rows expire after a few days."""

    __tablename__ = "inbound_seen"

    key: str = Field(primary_key=True, max_length=64)
    channel: str = Field(max_length=16)
    seen_at: datetime = Field(index=True)
