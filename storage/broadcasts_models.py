"""Broadcast tables (issue 11 "Broadcasts"): a broadcast with its status, and one row per
recipient, fixed when sending starts, each with its own state and reason."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class BroadcastStatus(StrEnum):
    draft = "draft"
    scheduled = "scheduled"
    sending = "sending"
    paused = "paused"
    completed = "completed"
    cancelled = "cancelled"
    failed = "failed"


class RecipientState(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"  # with the platform's reason (400 chat not found, retries exhausted)
    skipped = "skipped"  # with the reason: stopped, blocked, no consent, cancelled
    unknown = "unknown"  # left "sending" by a crash: maybe delivered, never re-sent by itself


class Broadcast(SQLModel, table=True):
    __tablename__ = "broadcasts"
    __table_args__ = {"sqlite_autoincrement": True}  # numbers officers act on: never reused

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    # A photo or document sent with the text: a file path the worker can read (CLI), or a
    # platform file id (chat); None for text only.
    attachment: str | None = Field(default=None, max_length=512)
    attachment_kind: str | None = Field(default=None, max_length=16)  # photo | document
    audience: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON spec
    status: str = Field(default=BroadcastStatus.draft, max_length=16, index=True)
    digest: str = Field(max_length=64, index=True)  # of text + attachment + audience
    created_by: str = Field(max_length=96)
    created_at: datetime
    confirmed_by: str | None = Field(default=None, max_length=96)
    confirmed_at: datetime | None = None
    scheduled_at: datetime | None = Field(default=None, index=True)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    reported: bool = False  # the final report was queued for the officer


class BroadcastRecipient(SQLModel, table=True):
    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "contact_id", name="uq_broadcast_recipient"),
    )

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(foreign_key="broadcasts.id", index=True, ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contacts.id", index=True, ondelete="CASCADE")
    channel: str = Field(max_length=16)
    state: str = Field(default=RecipientState.pending, max_length=16, index=True)
    reason: str | None = Field(default=None, max_length=255)
    # The outbox row that carries this copy; a resend (after unknown, or a resume after a
    # pause) is a new row with the next round, so the old one can never go out again.
    round: int = 0
    outbox_key: str | None = Field(default=None, max_length=160, index=True)
    updated_at: datetime
