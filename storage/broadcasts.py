"""Broadcast queries (issue 11 "Broadcasts"): the audience, the one start, recipients' states.

Each recipient's copy travels as one outbox row of kind `broadcast` (the bulk lane), keyed
`broadcast:<id>:<contact>:<round>`: answers to people are claimed first and the channel's
throttle is shared. The recipient row mirrors its outbox row (`sync`); an interrupted send
becomes `unknown` in the outbox (release_stale) and here, and is never re-sent unless an
officer asks (`resend_unknown`, a new round and a new key)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, select

# The audience is its own module (storage/broadcast_audience.py); callers may keep using its
# names through this one.
from storage.broadcast_audience import (  # noqa: F401 - re-exported
    AUDIENCE_KEYS,
    CONSENT_PURPOSE,
    NEEDS_CONSENT,
    ZALO_INTERACTION,
    ZALO_OA,
    Audience,
    AudienceError,
    parse_audience,
    resolve,
)
from storage.broadcasts_models import (
    Broadcast,
    BroadcastRecipient,
    BroadcastStatus,
    RecipientState,
)
from storage.models import (
    Contact,
    Outbox,
    OutboxStatus,
)
from storage.outbox import FREE, NOT_REACHABLE, QUOTA
from storage.zalo_oa import not_reached_reason

KIND = "broadcast"  # the outbox kind, rendered by handlers/broadcasts
RUNNING = (BroadcastStatus.scheduled, BroadcastStatus.sending, BroadcastStatus.paused)
OPEN_STATES = (RecipientState.pending, RecipientState.sending)


def digest_of(text: str, attachment: str | None, audience: dict) -> str:
    raw = json.dumps([text.strip(), attachment or "", audience], sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


def create(
    session: Session,
    text: str,
    audience: dict,
    actor: str,
    now: datetime,
    *,
    attachment: str | None = None,
    attachment_kind: str | None = None,
) -> Broadcast:
    """A draft. Raises AudienceError (see parse_audience) or ValueError for an empty text
    without an attachment."""
    if not text.strip() and not attachment:
        raise ValueError("empty text")
    spec = parse_audience(audience)
    row = Broadcast(
        text=text.strip(),
        attachment=attachment,
        attachment_kind=attachment_kind,
        audience=json.dumps(spec, ensure_ascii=False, sort_keys=True),
        digest=digest_of(text, attachment, spec),
        created_by=actor[:96],
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def get(session: Session, broadcast_id: int) -> Broadcast | None:
    return session.get(Broadcast, broadcast_id)


def audience_of(row: Broadcast) -> dict:
    return json.loads(row.audience or "{}")


def recent(session: Session, limit: int = 10) -> list[Broadcast]:
    return list(session.exec(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)))


def running_twin(session: Session, row: Broadcast) -> Broadcast | None:
    """Another broadcast with the same text, attachment and audience not finished yet."""
    return session.exec(
        select(Broadcast).where(
            Broadcast.digest == row.digest, Broadcast.id != row.id, Broadcast.status.in_(RUNNING)
        )
    ).first()


def confirm(session: Session, broadcast_id: int, actor: str, now: datetime, at: datetime) -> bool:
    """Draft -> scheduled for `at` (now for "send now"); one conditional UPDATE, so a second
    confirmation changes nothing. True when this call confirmed it."""
    result = session.exec(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.draft)
        .values(
            status=BroadcastStatus.scheduled,
            confirmed_by=actor[:96],
            confirmed_at=now,
            scheduled_at=at,
        )  # fmt: skip
    )
    return result.rowcount == 1


def due(session: Session, now: datetime) -> list[int]:
    """Scheduled broadcasts whose time has come."""
    return list(
        session.exec(
            select(Broadcast.id).where(
                Broadcast.status == BroadcastStatus.scheduled, Broadcast.scheduled_at <= now
            )
        )
    )


def start(session: Session, broadcast_id: int, now: datetime) -> int | None:
    """Start a due scheduled broadcast: the conditional UPDATE scheduled -> sending is the
    start, so of two workers only one fixes the audience. One recipient row per contact
    (pending with its outbox row, or skipped with the reason). Returns the number queued, or
    None when this call did not start it."""
    result = session.exec(
        update(Broadcast)
        .where(
            Broadcast.id == broadcast_id,
            Broadcast.status == BroadcastStatus.scheduled,
            Broadcast.scheduled_at <= now,
        )  # fmt: skip
        .values(status=BroadcastStatus.sending, started_at=now)
    )
    if result.rowcount != 1:
        return None
    row = session.get(Broadcast, broadcast_id, populate_existing=True)
    found = resolve(session, audience_of(row), samples=0, now=now)
    for contact, reason in found.excluded:
        session.add(BroadcastRecipient(broadcast_id=row.id, contact_id=contact.id,
                    channel=contact.channel, state=RecipientState.skipped, reason=reason,
                    updated_at=now))  # fmt: skip
    for contact in found.included:
        key = _key(row.id, contact.id, 0)
        session.add(BroadcastRecipient(broadcast_id=row.id, contact_id=contact.id,
                    channel=contact.channel, outbox_key=key, updated_at=now))  # fmt: skip
        session.add(_outbox_row(key, contact.id, row.id, now))
    if not found.included:
        row.status, row.finished_at = BroadcastStatus.completed, now
        session.add(row)
    session.flush()
    return len(found.included)


def _key(broadcast_id: int, contact_id: int, round_: int) -> str:
    return f"{KIND}:{broadcast_id}:{contact_id}:{round_}"


def _outbox_row(key: str, contact_id: int, broadcast_id: int, now: datetime) -> Outbox:
    return Outbox(key=key, contact_id=contact_id, kind=KIND, due_at=now,
                  payload=json.dumps({"broadcast_id": broadcast_id}))  # fmt: skip


# Outbox outcome -> recipient state. Unreachable rows the person caused (stopped, blocked the
# bot: 403) are skipped; another unreachable one (400 "chat not found") failed. A cancelled
# row is the officer's pause or cancel (decided by the broadcast's status).
_FROM_OUTBOX = {
    OutboxStatus.pending: RecipientState.pending,
    OutboxStatus.sending: RecipientState.sending,
    OutboxStatus.sent: RecipientState.sent,
    OutboxStatus.failed: RecipientState.failed,
    OutboxStatus.unreachable: RecipientState.skipped,
    OutboxStatus.unknown: RecipientState.unknown,
}


def _skip_reason(error: str | None) -> str:
    """ "contact stopped" (the engine's words) -> "stopped"; a 403 -> "blocked"."""
    text = (error or "").removeprefix("contact ").strip()
    return text or "unreachable"


def sync(session: Session, broadcast_id: int, now: datetime) -> bool:
    """Copy the outbox outcome of each open recipient into its row, and complete a sending
    broadcast when none is open. Returns True when it just completed."""
    row = session.get(Broadcast, broadcast_id)
    if row is None:
        return False
    pairs = session.exec(
        select(BroadcastRecipient, Outbox)
        .join(Outbox, Outbox.key == BroadcastRecipient.outbox_key)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.state.in_(OPEN_STATES),
        )  # fmt: skip
    ).all()
    for recipient, box in pairs:
        if box.status == OutboxStatus.cancelled:
            if row.status == BroadcastStatus.paused:
                continue  # resumed later with a new round
            state, reason = RecipientState.skipped, "cancelled"
        else:
            state = _FROM_OUTBOX[OutboxStatus(box.status)]
            reason = _skip_reason(box.error) if state == RecipientState.skipped else None
            if state == RecipientState.skipped and box.route == NOT_REACHABLE:
                reason = not_reached_reason(box.error)  # Zalo: not reachable, and why
            elif state == RecipientState.skipped and reason not in ("blocked", "stopped", "gone"):
                state = RecipientState.failed  # the platform refused this chat (400 not found)
            if state == RecipientState.failed:
                reason = box.error  # the platform's own words, or "gave up after N attempts"
            elif state == RecipientState.unknown:
                reason = "interrupted"
        if (state, reason) != (recipient.state, recipient.reason):
            recipient.state, recipient.reason, recipient.updated_at = state, reason, now
            session.add(recipient)
    session.flush()
    if row.status != BroadcastStatus.sending:
        return False
    open_left = session.exec(
        select(func.count()).where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.state.in_(OPEN_STATES),
        )  # fmt: skip
    ).one()
    if open_left:
        return False
    done = session.exec(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.sending)
        .values(status=BroadcastStatus.completed, finished_at=now)
    )
    return done.rowcount == 1


def active(session: Session) -> list[int]:
    return list(session.exec(select(Broadcast.id).where(Broadcast.status.in_(RUNNING[1:]))))


def _pending_keys(broadcast_id: int):  # noqa: ANN202 - a subquery
    return select(BroadcastRecipient.outbox_key).where(
        BroadcastRecipient.broadcast_id == broadcast_id,
        BroadcastRecipient.state == RecipientState.pending,
    )


def pause(session: Session, broadcast_id: int, now: datetime) -> bool:
    """Sending -> paused: copies not yet claimed are held (their outbox rows cancelled; the
    recipients stay pending); a copy already in flight finishes."""
    result = session.exec(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.sending)
        .values(status=BroadcastStatus.paused)
    )
    if result.rowcount != 1:
        return False
    session.exec(
        update(Outbox)
        .where(Outbox.key.in_(_pending_keys(broadcast_id)), Outbox.status == OutboxStatus.pending)
        .values(status=OutboxStatus.cancelled, error="paused")
    )
    return True


def resume(session: Session, broadcast_id: int, now: datetime) -> int | None:
    """Paused -> sending: each held recipient gets a new outbox row (next round). Returns
    the number queued again, or None when it was not paused."""
    result = session.exec(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.paused)
        .values(status=BroadcastStatus.sending)
    )
    if result.rowcount != 1:
        return None
    held = session.exec(
        select(BroadcastRecipient)
        .join(Outbox, Outbox.key == BroadcastRecipient.outbox_key)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.state == RecipientState.pending,
            Outbox.status == OutboxStatus.cancelled,
        )  # fmt: skip
    ).all()
    return _requeue(session, list(held), broadcast_id, now)


def _requeue(
    session: Session, recipients: list[BroadcastRecipient], broadcast_id: int, now: datetime
) -> int:
    for recipient in recipients:
        recipient.round += 1
        recipient.outbox_key = _key(broadcast_id, recipient.contact_id, recipient.round)
        recipient.state, recipient.reason, recipient.updated_at = RecipientState.pending, None, now
        session.add(recipient)
        session.add(_outbox_row(recipient.outbox_key, recipient.contact_id, broadcast_id, now))
    session.flush()
    return len(recipients)


def cancel(session: Session, broadcast_id: int, now: datetime) -> bool:
    """Any unfinished broadcast -> cancelled; copies not yet claimed are not sent (skipped,
    "cancelled"); one in flight finishes."""
    unfinished = (BroadcastStatus.draft, *RUNNING)
    result = session.exec(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status.in_(unfinished))
        .values(status=BroadcastStatus.cancelled, finished_at=now)
    )
    if result.rowcount != 1:
        return False
    session.exec(
        update(Outbox)
        .where(Outbox.key.in_(_pending_keys(broadcast_id)), Outbox.status == OutboxStatus.pending)
        .values(status=OutboxStatus.cancelled, error="cancelled")
    )
    session.exec(
        update(BroadcastRecipient)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.state == RecipientState.pending,
        )  # fmt: skip
        .values(state=RecipientState.skipped, reason="cancelled", updated_at=now)
    )
    return True


def resend_unknown(session: Session, broadcast_id: int, now: datetime) -> int:
    """An officer's decision: the unknown recipients (maybe delivered before a crash) get a
    new copy. The broadcast is sending again until they are done. Returns how many."""
    row = session.get(Broadcast, broadcast_id)
    if row is None or row.status in (BroadcastStatus.cancelled, BroadcastStatus.draft):
        return 0
    unknown = session.exec(
        select(BroadcastRecipient).where(BroadcastRecipient.broadcast_id == broadcast_id,
                                         BroadcastRecipient.state == RecipientState.unknown)
    ).all()  # fmt: skip
    if unknown and row.status == BroadcastStatus.completed:
        row.status, row.finished_at, row.reported = BroadcastStatus.sending, None, False
        session.add(row)
    return _requeue(session, list(unknown), broadcast_id, now)


def counts(session: Session, broadcast_id: int) -> dict[tuple[str, str, str], int]:
    """Recipients per (channel, state, reason or ""). A copy sent on a channel that says how
    (Zalo OA) has its route as the reason: "free" (a reply to the person's own message) or
    "quota" (the proactive form, counted against the OA's quota)."""
    rows = session.exec(
        select(BroadcastRecipient.channel, BroadcastRecipient.state, BroadcastRecipient.reason,
               Outbox.route, func.count())
        .join(Outbox, Outbox.key == BroadcastRecipient.outbox_key, isouter=True)
        .where(BroadcastRecipient.broadcast_id == broadcast_id)
        .group_by(BroadcastRecipient.channel, BroadcastRecipient.state,
                  BroadcastRecipient.reason, Outbox.route)
    ).all()  # fmt: skip
    out: dict[tuple[str, str, str], int] = {}
    for ch, st, reason, route, n in rows:
        if st == RecipientState.sent and route in (FREE, QUOTA):
            reason = route
        key = (ch, st, reason or "")
        out[key] = out.get(key, 0) + n
    return out


def problems(session: Session, broadcast_id: int) -> list[tuple[BroadcastRecipient, Contact]]:
    """Failed and unknown recipients with their contact, for the officers' export."""
    return list(
        session.exec(
            select(BroadcastRecipient, Contact)
            .join(Contact, Contact.id == BroadcastRecipient.contact_id)
            .where(BroadcastRecipient.broadcast_id == broadcast_id,
                   BroadcastRecipient.state.in_((RecipientState.failed, RecipientState.unknown)))
            .order_by(BroadcastRecipient.id)
        ).all()
    )  # fmt: skip


def sent_times(session: Session, broadcast_id: int) -> list[datetime]:
    """When each copy went out (from the outbox), for the rate and the time left."""
    keys = select(BroadcastRecipient.outbox_key).where(
        BroadcastRecipient.broadcast_id == broadcast_id
    )
    return list(
        session.exec(
            select(Outbox.sent_at).where(Outbox.key.in_(keys), Outbox.sent_at.is_not(None))
        )
    )
