"""Zalo OA channel state: the reply window per contact, the OA's token pair (read and refreshed
under a row lock), and webhook events stored before they are handled."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from storage.models import Contact
from storage.zalo_oa_models import (
    ZaloBotUpdate,
    ZaloOAContact,
    ZaloOAEvent,
    ZaloOAToken,
    ZaloOAUpload,
)

# A table of stored webhook events or polled updates (same columns).
Stored = type[ZaloOAEvent] | type[ZaloBotUpdate]

TOKEN_ROW = 1
NEEDS_REAUTHORISATION = "needs_reauthorisation"


# -- reply window ---------------------------------------------------------------------------
def window(session: Session, channel: str, platform_id: str) -> tuple[int, ZaloOAContact | None]:
    """(contact id, its window row) of a Zalo person; contact id 0 when nobody is known."""
    row = session.exec(
        select(Contact.id, ZaloOAContact)
        .join(ZaloOAContact, ZaloOAContact.contact_id == Contact.id, isouter=True)
        .where(Contact.channel == channel, Contact.platform_id == platform_id)
    ).first()
    if row is None:
        return 0, None
    return row[0], row[1]


def _row(session: Session, contact_id: int) -> ZaloOAContact:
    """The contact's window row, created if missing, locked for this transaction. Two processes
    handling the same person at once both get the one row (no unique-key failure)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(ZaloOAContact)
        .values(contact_id=contact_id, replies_used=0, choices="[]")
        .on_conflict_do_nothing(index_elements=["contact_id"])
    )
    query = select(ZaloOAContact).where(ZaloOAContact.contact_id == contact_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.exec(query.execution_options(populate_existing=True)).one()


def record_inbound(session: Session, contact_id: int, msg_id: str, at: datetime) -> None:
    """The person's newest message: its id opens a fresh set of free replies."""
    row = _row(session, contact_id)
    if row.last_msg_id == msg_id:
        return  # a redelivered event keeps the replies already used
    if row.last_inbound_at is not None and row.last_inbound_at > at:
        return  # an older event handled late never shortens the window
    row.last_msg_id, row.last_inbound_at, row.replies_used = msg_id, at, 0
    session.add(row)
    session.flush()


def take_reply(session: Session, contact_id: int, msg_id: str, limit: int) -> bool:
    """Use one free reply to `msg_id` if one is left (atomic: concurrent senders never use more
    than `limit`)."""
    result = session.execute(
        update(ZaloOAContact)
        .where(
            ZaloOAContact.contact_id == contact_id,
            ZaloOAContact.last_msg_id == msg_id,
            ZaloOAContact.replies_used < limit,
        )
        .values(replies_used=ZaloOAContact.replies_used + 1)
        .returning(ZaloOAContact.contact_id)
    )
    return result.first() is not None


def set_choices(session: Session, contact_id: int, payloads: list[str]) -> None:
    row = _row(session, contact_id)
    row.choices = json.dumps(payloads)
    session.add(row)


def choices(session: Session, contact_id: int) -> list[str]:
    row = session.get(ZaloOAContact, contact_id)
    return json.loads(row.choices) if row is not None else []


# Zalo's words for "outside the 7-day window" (the sender's own check, -230, -232).
_OUTSIDE = ("zalo: no interaction", "zalo -230", "zalo -232")


def not_reached_reason(error: str | None) -> str:
    """Why Zalo did not reach a person, for reports: "outside_window" (the 7 days passed, by
    our count or Zalo's), else the outbox row's reason as the platform gave it."""
    text = (error or "").strip()
    return "outside_window" if text.startswith(_OUTSIDE) else text or "unreachable"


# -- tokens ---------------------------------------------------------------------------------
def token(session: Session) -> ZaloOAToken | None:
    return session.get(ZaloOAToken, TOKEN_ROW)


def lock_token(session: Session) -> ZaloOAToken | None:
    """The token row, locked until the transaction ends: a row lock on PostgreSQL, the database
    write lock on SQLite (a write is the first statement). Another refresher waits here."""
    session.execute(
        update(ZaloOAToken).where(ZaloOAToken.id == TOKEN_ROW).values(id=ZaloOAToken.id)
    )
    row = session.exec(
        select(ZaloOAToken)
        .where(ZaloOAToken.id == TOKEN_ROW)
        .execution_options(populate_existing=True)
    ).first()
    return row


def store_pair(
    session: Session, access: str, refresh: str, expires_at: datetime, now: datetime
) -> ZaloOAToken:
    """Keep a new pair (first authorisation or refresh); the channel is usable again."""
    row = session.get(ZaloOAToken, TOKEN_ROW) or ZaloOAToken(id=TOKEN_ROW)
    row.access_token, row.refresh_token, row.expires_at = access, refresh, expires_at
    row.refreshed_at, row.state, row.reason = now, "ok", None
    row.refreshes = (row.refreshes or 0) + 1
    session.add(row)
    session.flush()
    return row


def mark_needs_reauthorisation(session: Session, reason: str) -> None:
    row = session.get(ZaloOAToken, TOKEN_ROW) or ZaloOAToken(id=TOKEN_ROW)
    row.state, row.reason = NEEDS_REAUTHORISATION, reason[:256]
    session.add(row)


# -- webhook events -------------------------------------------------------------------------
def store_event(session: Session, body: str, now: datetime, model: Stored = ZaloOAEvent) -> int:
    row = model(received_at=now, body=body)
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def claim_events(
    session: Session, now: datetime, limit: int, stale_after: timedelta, model: Stored = ZaloOAEvent
) -> list:
    """Unclaimed events (or ones whose claimer died `stale_after` ago), oldest first, claimed
    for this process; each claim is conditional, so two claimers never take the same event."""
    stale = or_(model.claimed_at.is_(None), model.claimed_at < now - stale_after)
    ids = list(session.exec(select(model.id).where(stale).order_by(model.id).limit(limit)))
    claimed = []
    for event_id in ids:
        won = session.execute(
            update(model)
            .where(model.id == event_id, stale)
            .values(claimed_at=now)
            .returning(model.id)
        ).first()
        if won is not None:
            claimed.append(session.get(model, event_id))
    return claimed


def claim_event(session: Session, event_id: int, now: datetime, model: Stored = ZaloOAEvent):  # noqa: ANN201
    """Claim one stored event by id (the webhook that stored it handles it at once)."""
    result = session.execute(
        update(model)
        .where(model.id == event_id, model.claimed_at.is_(None))
        .values(claimed_at=now)
        .returning(model.id)
    )
    if result.first() is None:
        return None
    return session.get(model, event_id)


def done(session: Session, event_id: int, model: Stored = ZaloOAEvent) -> None:
    session.execute(delete(model).where(model.id == event_id))


def pending_events(session: Session, model: Stored = ZaloOAEvent) -> int:
    return len(list(session.exec(select(model.id))))


# -- uploads --------------------------------------------------------------------------------
def upload(session: Session, digest: str, younger_than: datetime) -> str | None:
    """The attachment id or token of these bytes if uploaded after `younger_than`, counting
    the use; None when there is none or it is too old to trust."""
    row = session.exec(
        select(ZaloOAUpload)
        .where(ZaloOAUpload.digest == digest)
        .execution_options(populate_existing=True)
    ).first()
    if row is None or not row.attachment or row.uploaded_at < younger_than:
        return None  # none, being uploaded by someone (empty), or too old
    session.execute(
        update(ZaloOAUpload).where(ZaloOAUpload.digest == digest).values(uses=ZaloOAUpload.uses + 1)
    )
    return row.attachment


def keep_upload(session: Session, digest: str, attachment: str, now: datetime) -> None:
    """Remember a new upload of these bytes (replacing an expired one; two processes that
    uploaded at once both succeed, the later one is kept)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    values = {"attachment": attachment, "uploaded_at": now, "uses": 1}
    session.execute(
        insert(ZaloOAUpload)
        .values(digest=digest, **values)
        .on_conflict_do_update(index_elements=["digest"], set_=values)
    )


# A placeholder row is claimable at once: its time is long past.
_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def claim_upload(
    session: Session,
    digest: str,
    now: datetime,
    younger_than: datetime,
    claim_for: timedelta,
    expired: str | None = None,
) -> bool:
    """True when this caller is to upload these bytes (the row now says "being uploaded since
    `now`"); False when a young enough upload exists or another process has been uploading it
    for less than `claim_for`. One conditional UPDATE decides, so of several processes missing
    the same upload one uploads. `expired`: the attachment Zalo just refused (-100)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(ZaloOAUpload)
        .values(digest=digest, attachment="", uploaded_at=_LONG_AGO, uses=0)
        .on_conflict_do_nothing(index_elements=["digest"])
    )
    free = [
        (ZaloOAUpload.attachment == "") & (ZaloOAUpload.uploaded_at < now - claim_for),
        (ZaloOAUpload.attachment != "") & (ZaloOAUpload.uploaded_at < younger_than),
    ]
    if expired:
        free.append(ZaloOAUpload.attachment == expired)
    won = session.execute(
        update(ZaloOAUpload)
        .where(ZaloOAUpload.digest == digest, or_(*free))
        .values(attachment="", uploaded_at=now)
        .returning(ZaloOAUpload.digest)
    ).first()
    return won is not None


def release_upload(session: Session, digest: str) -> None:
    """The claimed upload failed: let the next sender try at once."""
    session.execute(
        update(ZaloOAUpload)
        .where(ZaloOAUpload.digest == digest, ZaloOAUpload.attachment == "")
        .values(uploaded_at=_LONG_AGO)
    )
