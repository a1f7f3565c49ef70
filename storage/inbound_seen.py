"""Which inbound platform events were already handled (Telegram redelivers an update whose offset
was not confirmed; Zalo redelivers a webhook it got no timely 200 for)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from storage.models import SeenInbound

# Telegram keeps an unconfirmed update for 24 hours (Bot API, getUpdates); Zalo retries a webhook
# within minutes. Two days covers both with room for a long outage.
KEEP = timedelta(days=2)


def _key(channel: str, platform_id: str, event_id: str) -> str:
    raw = f"{channel}\x00{platform_id}\x00{event_id}".encode()
    return hashlib.blake2b(raw, digest_size=32).hexdigest()


def first_time(
    session: Session, channel: str, platform_id: str, event_id: str, now: datetime
) -> bool:
    """Record the event as seen; False when it already was (then handle nothing). Part of the
    caller's transaction, so a rollback forgets it again."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(SeenInbound)
        .values(key=_key(channel, platform_id, event_id), channel=channel, seen_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    # RETURNING, not rowcount: psycopg reports -1 for a skipped conflict.
    return session.execute(stmt.returning(SeenInbound.key)).first() is not None


def forget_older_than(session: Session, cutoff: datetime) -> int:
    """Housekeeping: drop keys of events older than `cutoff`; returns how many."""
    result = session.execute(delete(SeenInbound).where(SeenInbound.seen_at < cutoff))
    return result.rowcount or 0


def seen(session: Session, channel: str, platform_id: str, event_id: str) -> bool:
    """Whether the event was handled already (a read: `first_time` is what records it)."""
    key = _key(channel, platform_id, event_id)
    return session.get(SeenInbound, key) is not None
