"""Database tables. Times are aware datetimes stored in UTC (sqlmodel's UTCDateTime, portable across
SQLite and PostgreSQL); what a person sees is converted to Asia/Ho_Chi_Minh at the edge."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
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
    __table_args__ = (UniqueConstraint("channel", "platform_id", name="uq_contact_channel_user"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16, index=True)
    platform_id: str = Field(max_length=64)
    display_name: str | None = Field(default=None, max_length=128)
    language: str = Field(default="vi", max_length=5)
    role: str = Field(default=Role.enterprise, max_length=16)
    status: str = Field(default=ContactStatus.active, max_length=16, index=True)
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
