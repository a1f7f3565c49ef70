"""The outbox: every proactive message is a row first (enqueue), then claimed, sent and
marked. The unique key per (what, whom) makes a duplicate impossible, and `FOR UPDATE SKIP
LOCKED` lets several workers share PostgreSQL without sending anything twice."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, update
from sqlmodel import Session, select

from storage.models import Contact, Outbox, OutboxStatus

# Outbox.route: how a platform that says so (Zalo OA) took the message.
FREE, QUOTA, NOT_REACHABLE = "free", "quota", "not_reachable"
ROUTES = (FREE, QUOTA, NOT_REACHABLE)

# A claim older than this is taken to be from a worker that died (a send takes seconds).
STALE_AFTER = timedelta(minutes=10)


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
    """Add the message unless its key exists; with `reschedule`, move a pending one's time.
    A cancelled row with the key is queued again (the caller asks for it anew); a sent one is
    never sent twice, so a message that may recur needs a key per occurrence."""
    if reschedule:
        # The usual case (each answer moves the assessment's nudge) in one statement.
        moved = (
            session.execute(
                update(Outbox)
                .where(Outbox.key == key, Outbox.status == OutboxStatus.pending)
                .values(due_at=due_at)
                .returning(Outbox)
            )
            .scalars()
            .first()
        )
        if moved is not None:
            return moved
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
    elif row.status == OutboxStatus.cancelled:
        row.status, row.due_at, row.error = OutboxStatus.pending, due_at, None
        row.attempts = row.parts_sent = 0
        row.payload = json.dumps(payload or {}, ensure_ascii=False)
        session.add(row)
    elif reschedule and row.status == OutboxStatus.pending:
        row.due_at = due_at
        session.add(row)
    return row


def count_keys(session: Session, prefix: str) -> int:
    """Rows whose key starts with `prefix` (a message that recurs numbers its occurrences)."""
    query = select(func.count()).select_from(Outbox).where(Outbox.key.startswith(prefix))
    return session.exec(query).one()


def cancel(session: Session, key: str) -> bool:
    result = session.exec(
        update(Outbox)
        .where(Outbox.key == key, Outbox.status == OutboxStatus.pending)
        .values(status=OutboxStatus.cancelled)
    )
    return result.rowcount > 0


def release_stale(
    session: Session,
    now: datetime,
    stale_after: timedelta = STALE_AFTER,
    *,
    unknown_kinds: Collection[str] = (),
) -> int:
    """Rows left 'sending' longer than `stale_after` belong to a worker that died mid-send.

    Rows of `unknown_kinds` (bulk sends) whose send had started (`mark_started`) become
    'unknown': the platform may or may not have delivered them, so they are never re-sent
    automatically and are counted apart (issue 11). Claimed rows whose send never started, and
    rows of any other kind, go back to 'pending'; the others resume after their last confirmed
    part, so at most that one part is repeated. The crashed claim still counts as an attempt,
    so a row that kills its worker every time gives up after the retry limit like any other.
    Returns rows released."""
    cutoff = now - stale_after
    stale = (Outbox.status == OutboxStatus.sending) & (Outbox.claimed_at < cutoff)
    released = 0
    if unknown_kinds:
        released += session.exec(
            update(Outbox)
            .where(stale, Outbox.kind.in_(list(unknown_kinds)), Outbox.started_at.is_not(None))
            .values(status=OutboxStatus.unknown, error="interrupted while sending")
        ).rowcount
    released += session.exec(
        update(Outbox)
        .where(stale)
        .values(status=OutboxStatus.pending, error="interrupted while sending")
    ).rowcount
    return released


def mark_started(session: Session, row_ids: Collection[int], now: datetime) -> None:
    """Record that the sends of these claimed rows are about to start (commit it before the
    send): after a crash they are unknown, not pending (release_stale)."""
    session.exec(update(Outbox).where(Outbox.id.in_(list(row_ids))).values(started_at=now))


def claim_due(
    session: Session,
    now: datetime,
    limit: int = 50,
    *,
    channel: str | None = None,
    platform_ids: Collection[str] | None = None,
    kinds: Collection[str] | None = None,
    other_than: Collection[str] = (),
) -> list[Outbox]:
    """Claim up to `limit` due rows for this worker, oldest first, and count the attempt.

    `channel` keeps to one channel's contacts and `platform_ids` to some of them (a terminal
    session claims only its own person's rows; the others stay pending for their sessions);
    `kinds` / `other_than` select a lane's kinds. Rows left 'sending' by a dead worker are
    claimable again once `release_stale` ran."""
    query = select(Outbox.id).where(Outbox.due_at <= now, Outbox.status == OutboxStatus.pending)
    if channel is not None or platform_ids is not None:
        whose = select(Contact.id)
        if channel is not None:
            whose = whose.where(Contact.channel == channel)
        if platform_ids is not None:
            whose = whose.where(Contact.platform_id.in_(list(platform_ids)))
        query = query.where(Outbox.contact_id.in_(whose))
    if kinds is not None:
        query = query.where(Outbox.kind.in_(list(kinds)))
    if other_than:
        query = query.where(Outbox.kind.not_in(list(other_than)))
    query = query.order_by(Outbox.due_at, Outbox.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.exec(query).all())
    if not ids:
        return []
    # The conditional update is the claim: only one worker can move a row to 'sending', even on
    # SQLite where SKIP LOCKED does not exist. One statement for the whole batch (RETURNING the
    # rows), not one per row: 2,000 registrants' reminders are claimed in a few round trips.
    claim = (
        update(Outbox)
        .where(Outbox.id.in_(ids), Outbox.status == OutboxStatus.pending)
        .values(
            status=OutboxStatus.sending,
            claimed_at=now,
            started_at=None,
            attempts=Outbox.attempts + 1,
        )
        .returning(Outbox)
        .execution_options(populate_existing=True)
    )
    rows = list(session.exec(claim).scalars().all())
    session.flush()
    return sorted(rows, key=lambda r: (_aware(r.due_at), r.id))


def _aware(moment: datetime) -> datetime:
    """SQLite gives times back without their zone (stored as UTC); PostgreSQL with it."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def mark(
    session: Session,
    row_id: int,
    status: OutboxStatus,
    now: datetime,
    error: str | None = None,
    retry_at: datetime | None = None,
    *,
    parts_sent: int | None = None,
    count_attempt: bool = True,
    route: str | None = None,
) -> None:
    """Record the outcome of a claim. With `retry_at` the row goes back to 'pending' and is due
    then; `count_attempt=False` takes back the claim's attempt (a 429 is not the row's fault);
    `route` is how the platform took it (Outbox.route), kept when given.
    One UPDATE (a worker writes one outcome per message sent)."""
    values: dict[str, object] = {"error": (error or None) and error[:255]}
    if route is not None:
        values["route"] = route
    if retry_at is not None:
        values.update(status=OutboxStatus.pending, due_at=retry_at)
    else:
        values["status"] = status
        if status == OutboxStatus.sent:
            values["sent_at"] = now
    if parts_sent is not None:
        values["parts_sent"] = parts_sent
    if not count_attempt:
        values["attempts"] = case((Outbox.attempts > 0, Outbox.attempts - 1), else_=0)
    session.exec(update(Outbox).where(Outbox.id == row_id).values(**values))


def mark_parts(session: Session, row_id: int, parts_sent: int) -> None:
    """Record that the first `parts_sent` platform messages of the row were delivered."""
    session.exec(update(Outbox).where(Outbox.id == row_id).values(parts_sent=parts_sent))


def summary(session: Session) -> dict[tuple[str, str], int]:
    """Rows per (kind, status), for officers and monitoring."""
    rows = session.exec(
        select(Outbox.kind, Outbox.status, func.count()).group_by(Outbox.kind, Outbox.status)
    ).all()
    return {(kind, status): count for kind, status, count in rows}


def routes(session: Session) -> dict[tuple[str, str], int]:
    """Rows per (kind, route) where the platform said how (Zalo OA): free, quota,
    not_reachable; what the OA's proactive quota went on."""
    rows = session.exec(
        select(Outbox.kind, Outbox.route, func.count())
        .where(Outbox.route.is_not(None))
        .group_by(Outbox.kind, Outbox.route)
    ).all()
    return {(kind, route): count for kind, route, count in rows}


def problems(session: Session, limit: int = 20) -> list[Outbox]:
    """The newest rows that ended without delivery (failed, unreachable, unknown), with reason."""
    final = [OutboxStatus.failed, OutboxStatus.unreachable, OutboxStatus.unknown]
    return list(
        session.exec(
            select(Outbox)
            .where(Outbox.status.in_(final))
            .order_by(Outbox.due_at.desc(), Outbox.id.desc())
            .limit(limit)
        ).all()
    )


def payload_of(row: Outbox) -> dict:
    return json.loads(row.payload or "{}")
