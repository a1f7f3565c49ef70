"""The outbox: every proactive message is a row first (enqueue), then claimed, sent and
marked. The unique key per (what, whom) makes a duplicate impossible, and `FOR UPDATE SKIP
LOCKED` lets several workers share PostgreSQL without sending anything twice."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from storage.models import Outbox, OutboxStatus


def enqueue(
    session: Session,
    key: str,
    contact_id: int,
    kind: str,
    due_at: datetime,
    payload: dict | None = None,
    *,
    reschedule: bool = False,
) -> Outbox:
    """Add the message unless its key exists; with `reschedule`, move a pending one's time."""
    row = session.exec(select(Outbox).where(Outbox.key == key)).first()
    if row is None:
        row = Outbox(
            key=key,
            contact_id=contact_id,
            kind=kind,
            payload=json.dumps(payload or {}, ensure_ascii=False),
            due_at=due_at,
        )
        session.add(row)
        session.flush()
    elif reschedule and row.status == OutboxStatus.pending:
        row.due_at = due_at
        session.add(row)
    return row


def cancel(session: Session, key: str) -> bool:
    result = session.exec(
        update(Outbox)
        .where(Outbox.key == key, Outbox.status == OutboxStatus.pending)
        .values(status=OutboxStatus.cancelled)
    )
    return result.rowcount > 0


def claim_due(
    session: Session, now: datetime, limit: int = 50, stale_after: timedelta = timedelta(minutes=10)
) -> list[Outbox]:
    """Claim due rows for this worker. Rows left 'sending' by a killed worker are retried
    after `stale_after` (at-least-once for a crash mid-send; never twice otherwise)."""
    claimable = (Outbox.status == OutboxStatus.pending) | (
        (Outbox.status == OutboxStatus.sending) & (Outbox.claimed_at < now - stale_after)
    )
    query = (
        select(Outbox.id)
        .where(Outbox.due_at <= now, claimable)
        .order_by(Outbox.due_at, Outbox.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed = []
    for row_id in session.exec(query).all():
        # The conditional update is the claim: only one worker can move a row to 'sending',
        # even on SQLite where SKIP LOCKED does not exist.
        result = session.exec(
            update(Outbox)
            .where(Outbox.id == row_id, claimable)
            .values(status=OutboxStatus.sending, claimed_at=now, attempts=Outbox.attempts + 1)
        )
        if result.rowcount == 1:
            claimed.append(row_id)
    session.flush()
    return [session.get(Outbox, row_id, populate_existing=True) for row_id in claimed]


def mark(
    session: Session,
    row_id: int,
    status: OutboxStatus,
    now: datetime,
    error: str | None = None,
    retry_at: datetime | None = None,
) -> None:
    row = session.get(Outbox, row_id)
    if row is None:
        return
    if retry_at is not None:
        row.status, row.due_at = OutboxStatus.pending, retry_at
    else:
        row.status = status
        if status == OutboxStatus.sent:
            row.sent_at = now
    row.error = (error or None) and error[:255]
    session.add(row)


def payload_of(row: Outbox) -> dict:
    return json.loads(row.payload or "{}")
