"""The question log: every free-text question, what the bot matched and how sure it was.

Questions the bot could not answer confidently, or that the person passed to an officer, are
the officers' work list (`sxsh-bot questions --unanswered`) and show where content is missing.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import or_
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
) -> QuestionLog:
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


def unanswered(session: Session, since: datetime | None = None) -> list[QuestionLog]:
    """Questions without a confident answer or passed to an officer, and not yet answered by
    an officer, newest first."""
    query = select(QuestionLog).where(
        or_(QuestionLog.confident.is_(False), QuestionLog.handed_off.is_(True)),
        QuestionLog.answered_at.is_(None),
    )
    if since is not None:
        query = query.where(QuestionLog.created_at >= since)
    return list(session.exec(query.order_by(QuestionLog.created_at.desc(), QuestionLog.id.desc())))


def record_answer(
    session: Session, log_id: int, answer: str, by: str, now: datetime
) -> QuestionLog | None:
    row = session.get(QuestionLog, log_id)
    if row is None:
        return None
    row.answer, row.answered_by, row.answered_at = answer, by, now
    session.add(row)
    return row


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
