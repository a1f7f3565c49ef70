"""The question log: every free-text question, what the bot matched and how sure it was.

Questions the bot could not answer confidently show where content is missing (`/unanswered`,
`sxsh-bot questions --unanswered`); those officers must answer are tickets (storage/tickets.py).
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, func, or_
from sqlmodel import Session, select

from storage.models import QuestionLog


def log_question(
    session: Session,
    *,
    contact_id: int | None,
    channel: str,
    text: str,
    lang: str,
    topic: str | None,
    score: float,
    confident: bool,
    alternatives: list[str],
    now: datetime,
    for_officers: bool = False,
) -> QuestionLog:
    """`for_officers`: the message is addressed to the officers (their ticket inbox), not a
    question for the content (kept out of /unanswered)."""
    row = QuestionLog(
        contact_id=contact_id,
        channel=channel,
        text=text,
        lang=lang,
        topic=topic,
        score=float(score),
        confident=confident,
        alternatives=json.dumps(alternatives, ensure_ascii=False),
        created_at=now,
        for_officers=for_officers,
    )
    session.add(row)
    session.flush()
    return row


def mark_handed_off(session: Session, log_id: int, contact_id: int | None) -> QuestionLog | None:
    """The person asked for an officer about this question. Only their own question counts."""
    row = session.get(QuestionLog, log_id)
    if row is None or (contact_id is not None and row.contact_id != contact_id):
        return None
    row.handed_off = True
    session.add(row)
    return row


def _open_work():  # noqa: ANN202
    return (or_(QuestionLog.confident.is_(False), QuestionLog.handed_off.is_(True)),)


def unanswered(
    session: Session, since: datetime | None = None, limit: int = 200
) -> list[QuestionLog]:
    """Questions without a confident answer or passed to an officer, newest first; at most
    `limit` rows (the query is bounded). Whether officers answered is on their tickets."""
    query = select(QuestionLog).where(*_open_work())
    if since is not None:
        query = query.where(QuestionLog.created_at >= since)
    order = (QuestionLog.created_at.desc(), QuestionLog.id.desc())
    return list(session.exec(query.order_by(*order).limit(limit)))


def count_for_contact(session: Session, contact_id: int) -> int:
    query = select(func.count()).select_from(QuestionLog)
    return session.exec(query.where(QuestionLog.contact_id == contact_id)).one()


def erase_contact(session: Session, contact_id: int) -> None:
    """The person's questions go (/deletedata; their tickets are handlers/tickets')."""
    session.exec(delete(QuestionLog).where(QuestionLog.contact_id == contact_id))


def recent(session: Session, since: datetime | None = None, limit: int = 200) -> list[QuestionLog]:
    query = select(QuestionLog)
    if since is not None:
        query = query.where(QuestionLog.created_at >= since)
    query = query.order_by(QuestionLog.created_at.desc(), QuestionLog.id.desc()).limit(limit)
    return list(session.exec(query))


def alternatives(row: QuestionLog) -> list[str]:
    try:
        value = json.loads(row.alternatives or "[]")
    except ValueError:
        return []
    return [str(x) for x in value] if isinstance(value, list) else []


def unconfident_texts(session: Session, since: datetime, limit: int = 5000) -> list[str]:
    """The texts of questions since `since` the bot did not answer confidently, newest first,
    at most `limit` (bounded: /unanswered groups them in memory). Messages addressed to the
    officers are not among them: they are on tickets."""
    query = select(QuestionLog.text).where(
        QuestionLog.confident.is_(False),
        QuestionLog.for_officers.is_(False),
        QuestionLog.created_at >= since,
    )
    order = (QuestionLog.created_at.desc(), QuestionLog.id.desc())
    return list(session.exec(query.order_by(*order).limit(limit)))
