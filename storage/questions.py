"""The question log: every free-text question, what the bot matched and how sure it was.

Questions the bot could not answer confidently, or that the person passed to an officer, are
the officers' work list (`sxsh-bot questions --unanswered`) and show where content is missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, select

from storage.models import OfficerAnswer, QuestionLog


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


def _open_work():  # noqa: ANN202
    return (
        or_(QuestionLog.confident.is_(False), QuestionLog.handed_off.is_(True)),
        QuestionLog.answered_at.is_(None),
    )


def unanswered(
    session: Session, since: datetime | None = None, limit: int = 200
) -> list[QuestionLog]:
    """Questions without a confident answer or passed to an officer, and not yet answered by
    an officer, newest first; at most `limit` rows (the query is bounded)."""
    query = select(QuestionLog).where(*_open_work())
    if since is not None:
        query = query.where(QuestionLog.created_at >= since)
    order = (QuestionLog.created_at.desc(), QuestionLog.id.desc())
    return list(session.exec(query.order_by(*order).limit(limit)))


@dataclass(frozen=True)
class WorkPage:
    """One page of the officers' work list: per contact at most `per_contact` questions (the
    newest), so one person's flood cannot push others out; `more` counts the hidden ones."""

    rows: list[QuestionLog]
    more: dict[int, int]  # question id shown -> that contact's further open questions
    total: int  # open questions in all
    page: int
    pages: int


def work_page(session: Session, page: int = 1, size: int = 10, per_contact: int = 2) -> WorkPage:
    """Page `page` (1-based) of open questions, newest first, grouped fairly by contact.
    Bounded: reads `size` rows of the page plus one count per shown contact."""
    open_work = _open_work()
    # Rank each contact's open questions, newest first; keep the first `per_contact`.
    rank = (
        func.row_number()
        .over(
            partition_by=func.coalesce(QuestionLog.contact_id, -QuestionLog.id),
            order_by=(QuestionLog.created_at.desc(), QuestionLog.id.desc()),
        )
        .label("rank")
    )
    ranked = select(QuestionLog.id, rank).where(*open_work).subquery()
    visible = select(ranked.c.id).where(ranked.c.rank <= per_contact)
    total = session.exec(select(func.count()).select_from(QuestionLog).where(*open_work)).one()
    shown = session.exec(select(func.count()).select_from(visible.subquery())).one()
    pages = max(1, -(-shown // size))
    page = min(max(1, page), pages)
    rows = list(
        session.exec(
            select(QuestionLog)
            .where(QuestionLog.id.in_(visible))
            .order_by(QuestionLog.created_at.desc(), QuestionLog.id.desc())
            .offset((page - 1) * size)
            .limit(size)
        )
    )
    more: dict[int, int] = {}
    for contact_id in {r.contact_id for r in rows if r.contact_id is not None}:
        count = session.exec(
            select(func.count())
            .select_from(QuestionLog)
            .where(*open_work, QuestionLog.contact_id == contact_id)
        ).one()
        if count > per_contact:
            last = [r for r in rows if r.contact_id == contact_id][-1]
            more[last.id] = count - per_contact
    return WorkPage(rows, more, total, page, pages)


def record_answer(
    session: Session,
    question: QuestionLog,
    text: str,
    officer: str,
    now: datetime,
    officer_contact_id: int | None = None,
) -> OfficerAnswer:
    """Keep one more officer answer to the question (earlier answers stay)."""
    answer = OfficerAnswer(
        question_id=question.id,
        officer=officer,
        officer_contact_id=officer_contact_id,
        text=text,
        created_at=now,
    )
    session.add(answer)
    if question.answered_at is None:
        question.answered_at = now
        session.add(question)
    session.flush()
    return answer


def answers_to(session: Session, question_id: int) -> list[OfficerAnswer]:
    """Every officer answer to the question, oldest first."""
    query = select(OfficerAnswer).where(OfficerAnswer.question_id == question_id)
    return list(session.exec(query.order_by(OfficerAnswer.id)))


def count_for_contact(session: Session, contact_id: int) -> int:
    query = select(func.count()).select_from(QuestionLog)
    return session.exec(query.where(QuestionLog.contact_id == contact_id)).one()


def erase_contact(session: Session, contact_id: int) -> None:
    """The person's questions go, with the officers' answers to them (/deletedata)."""
    ids = select(QuestionLog.id).where(QuestionLog.contact_id == contact_id)
    session.exec(delete(OfficerAnswer).where(OfficerAnswer.question_id.in_(ids)))
    session.exec(delete(QuestionLog).where(QuestionLog.contact_id == contact_id))


def erase_officer(session: Session, contact_id: int, label: str) -> None:
    """An officer deleted their own data: their id leaves the answers they gave (the answers
    themselves belong to the person who asked)."""
    session.exec(
        update(OfficerAnswer)
        .where(or_(OfficerAnswer.officer_contact_id == contact_id, OfficerAnswer.officer == label))
        .values(officer=None, officer_contact_id=None)
    )


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
