"""Enterprise records and who speaks for them.

A tax code is public, so giving one proves nothing: a response that gives the tax code of an
enterprise it has no link to becomes a *pending* claim. It changes nothing in that record
and is left out of the city's figures until an officer confirms it (`sxsh-bot enterprise
confirm`) or rejects it. A record's fields come from one *verified* response at a time
(`source_response_id`): the one that made the record, a later one of a contact linked to it,
or a confirmed one. Each response keeps its own company answers; reports read those (issue 8,
item 8).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, select

from storage.models import Answer, Contact, Enterprise, Response

VERIFIED, PENDING = "verified", "pending"
# For a household business (hộ kinh doanh) these are the owner's name and personal tax code.
IDENTIFYING_QUESTIONS = ("company_name", "tax_code")


def link(
    session: Session,
    contact: Contact,
    response: Response,
    now: datetime,
    *,
    tax_code: str | None = None,
    **fields: Any,
) -> Enterprise:
    """Attach `response` to an enterprise from its company answers (`fields`: name, sector,
    industrial_park, ward). A verified response updates the record; a pending one does not."""
    current = session.get(Enterprise, response.enterprise_id) if response.enterprise_id else None
    own = current is not None and response.enterprise_claim == VERIFIED
    target = None
    if tax_code:
        target = session.exec(select(Enterprise).where(Enterprise.tax_code == tax_code)).first()
    if target is None and own and (not tax_code or current.tax_code in (None, tax_code)):
        target = current  # this response's record: keep it
    mine = target is None or (own and current.id == target.id) or contact.enterprise_id == target.id
    claim = VERIFIED if mine else PENDING  # else: someone else's, named by its public tax code
    if current is not None and current is not target and current.source_response_id == response.id:
        _drop_if_orphan(session, current, contact, response)
    if target is None:
        target = Enterprise(tax_code=tax_code, created_at=now, updated_at=now)
    if claim == VERIFIED:
        if tax_code:
            target.tax_code = tax_code
        for key, value in fields.items():
            if value is not None:
                setattr(target, key, value)
        target.source_response_id = response.id
        target.updated_at = now
    session.add(target)
    session.flush()
    response.enterprise_id, response.enterprise_claim = target.id, claim
    session.add(response)
    if claim == VERIFIED:
        contact.enterprise_id = target.id
        session.add(contact)
    return target


def _drop_if_orphan(
    session: Session, enterprise: Enterprise, contact: Contact, response: Response
) -> None:
    """A record this response made (e.g. from a company name before the tax code was known),
    now replaced by another: removed when nothing else points to it."""
    others = (
        session.exec(
            select(Contact.id).where(
                Contact.enterprise_id == enterprise.id, Contact.id != contact.id
            )
        ).first()
        or session.exec(
            select(Response.id).where(
                Response.enterprise_id == enterprise.id, Response.id != response.id
            )
        ).first()
    )
    if others is None:
        if contact.enterprise_id == enterprise.id:
            contact.enterprise_id = None
            session.add(contact)
        response.enterprise_id = None
        session.add(response)
        session.flush()
        session.delete(enterprise)
        session.flush()


@dataclass(frozen=True)
class Claim:
    response_id: int
    enterprise_id: int
    tax_code: str | None
    record_name: str | None  # what the enterprise record says
    claimed_name: str | None  # what the claiming response answered
    at: datetime


def pending(session: Session) -> list[Claim]:
    """Claims waiting for an officer, oldest first."""
    rows = session.exec(
        select(Response, Enterprise)
        .join(Enterprise, Response.enterprise_id == Enterprise.id)
        .where(Response.enterprise_claim == PENDING)
        .order_by(Response.started_at, Response.id)
    ).all()
    out = []
    for response, enterprise in rows:
        name = session.exec(
            select(Answer.value).where(
                Answer.response_id == response.id, Answer.question_id == "company_name"
            )
        ).first()
        out.append(
            Claim(
                response.id,
                enterprise.id,
                enterprise.tax_code,
                enterprise.name,
                _json_text(name),
                response.updated_at,
            )
        )
    return out


def _json_text(value: str | None) -> str | None:
    try:
        decoded = json.loads(value) if value else None
    except ValueError:
        return value
    return decoded if isinstance(decoded, str) else None


def decide(session: Session, response_id: int, officer: str, *, confirm: bool) -> Response:
    """Confirm a pending claim (the response now counts for the enterprise and its contact
    joins it) or reject it (the response stands alone). Raises LookupError when there is no
    pending claim with that response id."""
    response = session.get(Response, response_id)
    if response is None or response.enterprise_claim != PENDING:
        raise LookupError(response_id)
    response.claim_decided_by = officer[:96]
    if confirm:
        response.enterprise_claim = VERIFIED
        contact = session.get(Contact, response.contact_id) if response.contact_id else None
        if contact is not None:
            contact.enterprise_id = response.enterprise_id
            session.add(contact)
    else:
        response.enterprise_id, response.enterprise_claim = None, None
    session.add(response)
    return response


def merge(session: Session, source_id: int, target_id: int) -> int:
    """Officers merge two records of one enterprise: every response and contact of `source_id`
    moves to `target_id` (verified), the source record is deleted. Returns responses moved.
    Raises LookupError when either record does not exist or they are the same."""
    source, target = session.get(Enterprise, source_id), session.get(Enterprise, target_id)
    if source is None or target is None or source_id == target_id:
        raise LookupError((source_id, target_id))
    for key in ("name", "tax_code", "sector", "industrial_park", "ward"):
        if getattr(target, key) is None and key != "tax_code":
            setattr(target, key, getattr(source, key))
    moved = session.exec(
        update(Response)
        .where(Response.enterprise_id == source_id)
        .values(enterprise_id=target_id, enterprise_claim=VERIFIED)
    ).rowcount
    session.exec(
        update(Contact).where(Contact.enterprise_id == source_id).values(enterprise_id=target_id)
    )
    session.flush()
    session.delete(source)
    session.add(target)
    return moved


def erase_identifying(session: Session, contact_id: int) -> None:
    """/deletedata: the name and tax code a person gave are theirs to take back (for a
    household business they are the owner's own name and personal tax code). They go from the
    person's answers, and from an enterprise record whose fields came from the person's
    responses, unless another person's verified response stated the same record."""
    response_ids = list(
        session.exec(select(Response.id).where(Response.contact_id == contact_id)).all()
    )
    if not response_ids:
        return
    session.exec(
        delete(Answer).where(
            Answer.response_id.in_(response_ids),
            Answer.question_id.in_(IDENTIFYING_QUESTIONS),
        )
    )
    records = session.exec(
        select(Enterprise).where(Enterprise.source_response_id.in_(response_ids))
    ).all()
    for enterprise in records:
        backed = session.exec(
            select(Response.id).where(
                Response.enterprise_id == enterprise.id,
                Response.enterprise_claim == VERIFIED,
                Response.id.not_in(response_ids),
            )
        ).first()
        # The record keeps only what the backing response itself stated: the name the erased
        # person typed goes even when a colleague confirmed the same tax code.
        said = _identifying_answers(session, backed) if backed is not None else {}
        enterprise.name = said.get("company_name")
        enterprise.tax_code = said.get("tax_code")
        enterprise.source_response_id = backed
        session.add(enterprise)


def _identifying_answers(session: Session, response_id: int) -> dict[str, str]:
    """The company name and tax code one response answered (decoded), by question id."""
    rows = session.exec(
        select(Answer.question_id, Answer.value).where(
            Answer.response_id == response_id, Answer.question_id.in_(IDENTIFYING_QUESTIONS)
        )
    )
    return {qid: text for qid, value in rows if (text := _json_text(value))}
