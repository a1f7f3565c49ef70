"""Tables of the Zalo Official Account channel: per-contact reply window, the OA's token pair, and
webhook events received but not yet handled. Times are aware datetimes in UTC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel


class ZaloOAContact(SQLModel, table=True):
    """What decides how a Zalo contact can be reached (CHANNELS.md, "reply" vs "proactive"):
    their last message's id and time and how many free replies it has used. Goes with the
    contact (ON DELETE CASCADE), so /deletedata and user_withdraw erase it."""

    __tablename__ = "zalo_oa_contacts"

    contact_id: int = Field(foreign_key="contacts.id", primary_key=True, ondelete="CASCADE")
    last_msg_id: str | None = Field(default=None, max_length=128)
    last_inbound_at: datetime | None = None
    replies_used: int = 0
    # JSON list of the button payloads last shown as numbered text: typing "2" presses the second.
    choices: str = Field(default="[]", sa_column=Column(Text, nullable=False))


class ZaloOAToken(SQLModel, table=True):
    """The OA's token pair (one row, id 1). The refresh token is single-use: a new pair is
    written in the transaction that holds the row's lock, before the access token is used."""

    __tablename__ = "zalo_oa_tokens"

    id: int = Field(default=1, primary_key=True)
    access_token: str = Field(default="", sa_column=Column(Text, nullable=False))
    refresh_token: str = Field(default="", sa_column=Column(Text, nullable=False))
    expires_at: datetime | None = None
    refreshed_at: datetime | None = None
    refreshes: int = 0  # how many refreshes succeeded (tests count them; officers see it)
    state: str = Field(default="ok", max_length=32)  # ok | needs_reauthorisation
    reason: str | None = Field(default=None, max_length=256)


class ZaloOAEvent(SQLModel, table=True):
    """A verified webhook body, stored before Zalo gets its 200 and deleted once handled, so an
    event is never lost to a crash between the two."""

    __tablename__ = "zalo_oa_events"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    claimed_at: datetime | None = None


class ZaloBotUpdate(SQLModel, table=True):
    """A Zalo Bot platform update (polled or from its webhook), stored before it is handled:
    getUpdates hands each update out once, so a crash after the poll must not lose it."""

    __tablename__ = "zalo_bot_updates"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    claimed_at: datetime | None = None


class ZaloOAUpload(SQLModel, table=True):
    """An image or file uploaded to Zalo, kept so the same bytes sent to many people are
    uploaded once (each upload API allows about 5,000 calls a month) and reused until the
    upload expires (7 days, CHANNELS.md). `digest` is the kind and SHA-256 of the bytes; no
    personal data (broadcast and content attachments)."""

    __tablename__ = "zalo_oa_uploads"

    digest: str = Field(primary_key=True, max_length=80)
    attachment: str = Field(sa_column=Column(Text, nullable=False))  # attachment_id or token
    uploaded_at: datetime
    uses: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
