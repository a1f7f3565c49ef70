"""Questionnaire responses: every answer is written the moment it is given, so a crash or a
restart loses nothing and the person resumes at the next question."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, select

from storage.models import Answer, Contact, Enterprise, Response

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
    session: Session, response: Response, question_id: str, value: Any, now: datetime
) -> None:
    row = session.exec(
        select(Answer).where(Answer.response_id == response.id, Answer.question_id == question_id)
    ).first()
    encoded = json.dumps(value, ensure_ascii=False)
    if row is None:
        row = Answer(response_id=response.id, question_id=question_id, value=encoded,
                     answered_at=now)
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


def finish(session: Session, response: Response, status: str, now: datetime,
           result: dict | None = None) -> None:
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


def expire_stale(session: Session, older_than: datetime, now: datetime) -> int:
    rows = session.exec(
        select(Response).where(Response.status == IN_PROGRESS, Response.updated_at < older_than)
    ).all()
    for row in rows:
        finish(session, row, EXPIRED, now)
    return len(rows)


def link_enterprise(
    session: Session,
    contact: Contact,
    response: Response,
    now: datetime,
    *,
    tax_code: str | None = None,
    **fields: Any,
) -> Enterprise:
    """Attach the response and contact to an enterprise; a second contact giving the same tax
    code joins the existing enterprise instead of creating another."""
    enterprise = None
    if tax_code:
        enterprise = session.exec(select(Enterprise).where(Enterprise.tax_code == tax_code)).first()
    if enterprise is None and contact.enterprise_id is not None:
        enterprise = session.get(Enterprise, contact.enterprise_id)
        if enterprise is not None and enterprise.tax_code and tax_code and \
                enterprise.tax_code != tax_code:
            enterprise = None  # a different company: do not overwrite the other's record
    if enterprise is None:
        enterprise = Enterprise(created_at=now, updated_at=now)
    if tax_code:
        enterprise.tax_code = tax_code
    for key, value in fields.items():
        if value is not None:
            setattr(enterprise, key, value)
    enterprise.updated_at = now
    session.add(enterprise)
    session.flush()
    contact.enterprise_id = enterprise.id
    response.enterprise_id = enterprise.id
    session.add(contact)
    session.add(response)
    return enterprise
