"""Questionnaire responses: every answer is written the moment it is given, so a crash or a
restart loses nothing and the person resumes at the next question."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, select

from storage.models import Answer, Contact, Response

IN_PROGRESS, COMPLETED, CANCELLED, EXPIRED = "in_progress", "completed", "cancelled", "expired"


def open_response(session: Session, contact_id: int) -> Response | None:
    return session.exec(
        select(Response)
        .where(Response.contact_id == contact_id, Response.status == IN_PROGRESS)
        .order_by(Response.started_at.desc(), Response.id.desc())
    ).first()


def start(
    session: Session, contact: Contact, questionnaire_id: str, version: str, now: datetime
) -> Response:
    response = Response(
        contact_id=contact.id,
        enterprise_id=contact.enterprise_id,
        enterprise_claim="verified" if contact.enterprise_id else None,  # storage/enterprises
        questionnaire_id=questionnaire_id,
        questionnaire_version=version,
        started_at=now,
        updated_at=now,
    )
    session.add(response)
    session.flush()
    return response


def answers_of(session: Session, response_id: int) -> dict[str, Any]:
    rows = session.exec(select(Answer).where(Answer.response_id == response_id)).all()
    return {row.question_id: json.loads(row.value) for row in rows}


def save_answer(
    session: Session,
    response: Response,
    question_id: str,
    value: Any,
    now: datetime,
    *,
    exists: bool | None = None,
) -> None:
    """Write (or overwrite) one answer. `exists=False` from a caller that read the response's
    answers in this transaction skips looking for the row (one round trip fewer per answer);
    None looks it up. The unique key refuses a second row either way."""
    row = None
    if exists is not False:
        row = session.exec(
            select(Answer).where(
                Answer.response_id == response.id, Answer.question_id == question_id
            )
        ).first()
    encoded = json.dumps(value, ensure_ascii=False)
    if row is None:
        row = Answer(
            response_id=response.id, question_id=question_id, value=encoded, answered_at=now
        )
    else:
        row.value, row.answered_at = encoded, now
    session.add(row)
    response.updated_at = now
    session.add(response)


def delete_answers(session: Session, response: Response, question_ids: list[str]) -> None:
    if question_ids:
        session.exec(
            delete(Answer).where(
                Answer.response_id == response.id, Answer.question_id.in_(question_ids)
            )
        )


def finish(
    session: Session, response: Response, status: str, now: datetime, result: dict | None = None
) -> None:
    response.status = status
    response.updated_at = now
    if status == COMPLETED:
        response.completed_at = now
        response.result = json.dumps(result or {}, ensure_ascii=False)
    session.add(response)


def completed(session: Session, contact_id: int, limit: int = 2) -> list[Response]:
    """The contact's latest completed responses, newest first."""
    return list(
        session.exec(
            select(Response)
            .where(Response.contact_id == contact_id, Response.status == COMPLETED)
            .order_by(Response.completed_at.desc(), Response.id.desc())
            .limit(limit)
        ).all()
    )


def stale(session: Session, older_than: datetime) -> list[Response]:
    """Open responses nobody touched since `older_than`."""
    return list(
        session.exec(
            select(Response).where(Response.status == IN_PROGRESS, Response.updated_at < older_than)
        ).all()
    )


def answers_for_contact(session: Session, contact_id: int, question_ids: set[str]) -> list[Answer]:
    """The contact's answers to the given questions, over all their responses."""
    if not question_ids:
        return []
    return list(
        session.exec(
            select(Answer)
            .join(Response, Answer.response_id == Response.id)
            .where(Response.contact_id == contact_id, Answer.question_id.in_(question_ids))
            .order_by(Answer.id)
        ).all()
    )


def unlink_contact(session: Session, contact_id: int, personal_ids: set[str]) -> None:
    """Erase what is personal in a contact's responses (the answers to `personal_ids`) and
    unlink the rest: company answers stay, with no link to the person."""
    response_ids = session.exec(select(Response.id).where(Response.contact_id == contact_id)).all()
    if not response_ids:
        return
    if personal_ids:
        session.exec(
            delete(Answer).where(
                Answer.response_id.in_(response_ids), Answer.question_id.in_(personal_ids)
            )
        )
    for response in session.exec(select(Response).where(Response.id.in_(response_ids))):
        response.contact_id = None
        response.personal_consent = False
        session.add(response)


def latest_id(session: Session, contact_id: int) -> int:
    """Id of the contact's most recently started response (0 when none)."""
    found = session.exec(
        select(Response.id)
        .where(Response.contact_id == contact_id)
        .order_by(Response.id.desc())
        .limit(1)
    ).first()
    return found or 0
