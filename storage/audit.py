"""The audit log of officer actions: who, what, when, on what (issue 11 "Roles and audit").
Written in the transaction of the action itself, so an action and its entry exist together."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from storage.tickets_models import AuditEntry

DETAIL_CHARS = 255


def record(
    session: Session,
    actor: str,
    action: str,
    now: datetime,
    target_kind: str | None = None,
    target_id: object = None,
    detail: str | None = None,
) -> AuditEntry:
    """One entry. `actor` is "channel:platform id" or "cli:NAME"; `action` a dotted name such
    as "ticket.reply"; `detail` is cut to 255 characters (a reply's text lives in its ticket)."""
    entry = AuditEntry(
        at=now,
        actor=actor[:96],
        action=action,
        target_kind=target_kind,
        target_id=None if target_id is None else str(target_id)[:64],
        detail=None if detail is None else detail[:DETAIL_CHARS],
    )
    session.add(entry)
    session.flush()
    return entry


def entries(session: Session, since: datetime | None = None, limit: int = 200) -> list[AuditEntry]:
    """The newest `limit` entries (from `since` on), oldest first."""
    query = select(AuditEntry)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    newest = list(session.exec(query.order_by(AuditEntry.id.desc()).limit(limit)))
    return newest[::-1]
