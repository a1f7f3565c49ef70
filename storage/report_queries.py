"""The queries behind officers' reports: assessment responses with their enterprise and answers
(exports and the SXSH figures), and the counts `/stats` and `sxsh-bot report` show. Plain data
out, no labels: handlers/reports/ turns them into what people read."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, select

from storage.broadcasts_models import Broadcast, BroadcastRecipient
from storage.enterprises import PENDING
from storage.events_models import Event, EventStatus, Registration
from storage.models import Answer, Contact, Enterprise, Response
from storage.tickets_models import Ticket


@dataclass
class ResponseRecord:
    """One assessment response, its enterprise record (if linked) and its answers by question
    id (JSON values decoded; a value that is not JSON stays the stored text)."""

    response: Response
    enterprise: Enterprise | None
    answers: dict[str, Any] = field(default_factory=dict)

    @property
    def when(self) -> datetime:
        """Submitted at (completed), else last changed: an aware UTC datetime."""
        return self.response.completed_at or self.response.updated_at

    @property
    def record(self) -> Enterprise | None:
        """The enterprise record, when this response speaks for it (not a pending claim)."""
        return None if self.response.enterprise_claim == PENDING else self.enterprise

    @property
    def result(self) -> dict[str, Any]:
        """The stored result (areas, overall, level ids and numbers); {} when unreadable."""
        try:
            data = json.loads(self.response.result or "{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


def _filters(questionnaire_id: str, since: datetime | None, status: str | None) -> list:
    where = [Response.questionnaire_id == questionnaire_id]
    if status is not None:
        where.append(Response.status == status)
    if since is not None:
        if since.tzinfo is None:
            # Which day a naive date means depends on the time zone, which storage does not know.
            raise ValueError("since must be an aware datetime (the caller knows the time zone)")
        where.append(
            or_(
                Response.completed_at >= since,
                and_(Response.completed_at.is_(None), Response.updated_at >= since),
            )
        )
    return where


def response_records(
    session: Session,
    questionnaire_id: str,
    *,
    since: datetime | None = None,
    status: str | None = None,
    question_ids: Sequence[str] | None = None,
) -> list[ResponseRecord]:
    """Responses of a questionnaire, oldest first (by submitted time, then id), in two queries
    (not one per response). `since` (aware; ValueError when naive) keeps those submitted from
    then on; `status` None keeps every status; `question_ids` limits the answers loaded."""
    where = _filters(questionnaire_id, since, status)
    records: dict[int, ResponseRecord] = {}
    query = (
        select(Response, Enterprise)
        .outerjoin(Enterprise, Response.enterprise_id == Enterprise.id)
        .where(*where)
    )
    for response, enterprise in session.exec(query):
        records[response.id] = ResponseRecord(response, enterprise)
    answers = select(Answer).join(Response, Answer.response_id == Response.id).where(*where)
    if question_ids is not None:
        answers = answers.where(Answer.question_id.in_(list(question_ids)))
    for row in session.exec(answers.order_by(Answer.id)):
        record = records.get(row.response_id)
        if record is not None:
            try:
                record.answers[row.question_id] = json.loads(row.value)
            except ValueError:
                record.answers[row.question_id] = row.value
    return sorted(records.values(), key=lambda r: (r.when, r.response.id))


def response_counts(
    session: Session, questionnaire_id: str, since: datetime | None = None
) -> dict[str, int]:
    """How many responses of the questionnaire are in each status (started since `since`,
    aware), e.g. {"in_progress": 3, "completed": 12}."""
    query = select(Response.status, func.count()).where(
        Response.questionnaire_id == questionnaire_id
    )
    if since is not None:
        query = query.where(Response.started_at >= since)
    return {status: n for status, n in session.exec(query.group_by(Response.status))}


def contact_counts(session: Session) -> dict[tuple[str, str], int]:
    """Contacts per (channel, status): active, stopped (opted out), blocked (blocked the bot)."""
    query = select(Contact.channel, Contact.status, func.count()).group_by(
        Contact.channel, Contact.status
    )
    return {(channel, status): n for channel, status, n in session.exec(query)}


@dataclass(frozen=True)
class EventCounts:
    """One event that was published (drafts are left out) and its registrations by state."""

    event: Event
    registered: int
    waiting: int
    cancelled: int
    attended: int


def event_counts(session: Session, since: datetime | None = None) -> list[EventCounts]:
    """Published, changed, past and cancelled events starting from `since` (aware), by start,
    with their registrations: registered, waiting, cancelled, attended (marked by officers)."""
    query = select(Event).where(Event.status != EventStatus.draft)
    if since is not None:
        query = query.where(Event.starts_at >= since)
    events = list(session.exec(query.order_by(Event.starts_at, Event.id)))
    tally: dict[tuple[int, str], int] = {}
    attended: dict[int, int] = {}
    if events:
        ids = [e.id for e in events]
        rows = session.exec(
            select(Registration.event_id, Registration.status, Registration.attended, func.count())
            .where(Registration.event_id.in_(ids))
            .group_by(Registration.event_id, Registration.status, Registration.attended)
        )
        for event_id, status, came, n in rows:
            tally[(event_id, status)] = tally.get((event_id, status), 0) + n
            if came:
                attended[event_id] = attended.get(event_id, 0) + n
    return [
        EventCounts(
            e,
            tally.get((e.id, "registered"), 0),
            tally.get((e.id, "waiting"), 0),
            tally.get((e.id, "cancelled"), 0),
            attended.get(e.id, 0),
        )
        for e in events
    ]


def first_reply_delays(session: Session, since: datetime | None = None) -> list[float]:
    """Seconds from opening to the first officer answer of each answered ticket opened since
    `since` (aware), in no order."""
    query = select(Ticket.opened_at, Ticket.first_reply_at).where(
        Ticket.first_reply_at.is_not(None)
    )
    if since is not None:
        query = query.where(Ticket.opened_at >= since)
    return [(replied - opened).total_seconds() for opened, replied in session.exec(query)]


@dataclass(frozen=True)
class BroadcastCounts:
    """One broadcast that started sending, and its recipients per state (sent, failed,
    skipped, unknown, and pending or sending while it runs)."""

    broadcast: Broadcast
    states: dict[str, int]


def broadcast_counts(session: Session, since: datetime | None = None) -> list[BroadcastCounts]:
    """Broadcasts started since `since` (aware), oldest first, with their recipients per
    state."""
    query = select(Broadcast).where(Broadcast.started_at.is_not(None))
    if since is not None:
        query = query.where(Broadcast.started_at >= since)
    rows = list(session.exec(query.order_by(Broadcast.started_at, Broadcast.id)))
    tally: dict[int, dict[str, int]] = {row.id: {} for row in rows}
    if rows:
        counted = session.exec(
            select(BroadcastRecipient.broadcast_id, BroadcastRecipient.state, func.count())
            .where(BroadcastRecipient.broadcast_id.in_(list(tally)))
            .group_by(BroadcastRecipient.broadcast_id, BroadcastRecipient.state)
        )
        for broadcast_id, state, n in counted:
            tally[broadcast_id][state] = n
    return [BroadcastCounts(row, tally[row.id]) for row in rows]
