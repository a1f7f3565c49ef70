"""Tickets: open, join, claim, answer, close, page. Every state change that two officers (or
two processes) could race is one conditional UPDATE, so the first wins and the other learns who
did (issue 11 "Ticket inbox")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, delete, func, or_, update
from sqlmodel import Session, select

from storage.tickets_models import Ticket, TicketMessage, TicketSource, TicketStatus

ACTIVE = (TicketStatus.open, TicketStatus.pending)


def get(session: Session, ticket_id: int) -> Ticket | None:
    return session.get(Ticket, ticket_id, populate_existing=True)


def current_for(session: Session, contact_id: int) -> Ticket | None:
    """The person's open or pending ticket (the newest, should there be several)."""
    query = select(Ticket).where(Ticket.contact_id == contact_id, Ticket.status.in_(ACTIVE))
    return session.exec(query.order_by(Ticket.id.desc()).limit(1)).first()


def current_or_closed_since(
    session: Session, contact_id: int, since: datetime | None
) -> Ticket | None:
    """`current_for`, else (`since` given) `closed_since`, in one statement: every answered
    question asks this, and under load each round trip to PostgreSQL waits for a core."""
    active = Ticket.status.in_(ACTIVE)
    wanted = active
    if since is not None:
        wanted = or_(active, and_(Ticket.status == TicketStatus.closed, Ticket.closed_at >= since))
    query = select(Ticket).where(Ticket.contact_id == contact_id, wanted)
    first = case((active, 0), else_=1)
    newest_active = case((active, Ticket.id), else_=None)  # NULL for every closed one
    order = (first, newest_active.desc(), Ticket.closed_at.desc(), Ticket.id.desc())
    return session.exec(query.order_by(*order).limit(1)).first()


def open_ticket(
    session: Session,
    *,
    contact_id: int | None,
    channel: str,
    question: str,
    lang: str,
    source: TicketSource,
    now: datetime,
    question_log_id: int | None = None,
) -> Ticket:
    ticket = Ticket(
        contact_id=contact_id,
        channel=channel,
        source=source,
        question=question,
        lang=lang,
        question_log_id=question_log_id,
        opened_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    return ticket


def add_message(
    session: Session,
    ticket: Ticket,
    text: str,
    now: datetime,
    *,
    officer: str | None = None,
    officer_contact_id: int | None = None,
) -> TicketMessage:
    """A message on the ticket: the person's (officer None) or an officer's answer, which
    also records the first reply time and puts the ticket to 'pending' (waiting on them)."""
    message = TicketMessage(
        ticket_id=ticket.id,
        from_officer=officer is not None,
        officer=officer,
        officer_contact_id=officer_contact_id,
        text=text,
        created_at=now,
    )
    session.add(message)
    ticket.updated_at = now
    if officer is not None:
        ticket.first_reply_at = ticket.first_reply_at or now
        if ticket.status == TicketStatus.open:
            ticket.status = TicketStatus.pending
    elif ticket.status == TicketStatus.pending:
        ticket.status = TicketStatus.open  # the person wrote back: the officers' turn
    session.add(ticket)
    session.flush()
    return message


def reopen(session: Session, ticket: Ticket, now: datetime) -> Ticket:
    """A closed ticket opens again (a new message within the reopening window): a new opening,
    so officers get a new card and the person is told again."""
    ticket.status, ticket.closed_at, ticket.updated_at = TicketStatus.open, None, now
    ticket.opening += 1
    ticket.person_told, ticket.reminders_sent = False, 0
    session.add(ticket)
    session.flush()
    return ticket


def claim(session: Session, ticket_id: int, officer: str, now: datetime) -> str | None:
    """Claim the ticket for `officer` unless someone has it: one conditional UPDATE, so of two
    officers pressing at once exactly one wins. Returns who holds it afterwards (the officer
    itself when it won or had it already), or None when there is no such ticket or it is
    closed."""
    won = session.exec(
        update(Ticket)
        .where(
            Ticket.id == ticket_id,
            Ticket.claimed_by.is_(None),
            Ticket.status != TicketStatus.closed,
        )
        .values(claimed_by=officer, claimed_at=now, updated_at=now)
    ).rowcount
    if won:
        return officer
    ticket = get(session, ticket_id)
    if ticket is None or ticket.status == TicketStatus.closed:
        return None
    return ticket.claimed_by


def close(session: Session, ticket_id: int, now: datetime) -> bool:
    """Close it; False when it was closed already (or does not exist)."""
    return (
        session.exec(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status != TicketStatus.closed)
            .values(status=TicketStatus.closed, closed_at=now, updated_at=now)
        ).rowcount
        > 0
    )


def messages(session: Session, ticket_id: int) -> list[TicketMessage]:
    query = select(TicketMessage).where(TicketMessage.ticket_id == ticket_id)
    return list(session.exec(query.order_by(TicketMessage.id)))


def officer_answers(session: Session, ticket_id: int) -> list[TicketMessage]:
    """The officers' answers on the ticket, oldest first."""
    return [m for m in messages(session, ticket_id) if m.from_officer]


@dataclass(frozen=True)
class Page:
    rows: list[Ticket]
    total: int
    page: int
    pages: int


def active_page(session: Session, page: int = 1, size: int = 10) -> Page:
    """Open and pending tickets, oldest first: one count and one bounded page of rows."""
    where = Ticket.status.in_(ACTIVE)
    total = session.exec(select(func.count()).select_from(Ticket).where(where)).one()
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    query = select(Ticket).where(where).order_by(Ticket.opened_at, Ticket.id)
    rows = list(session.exec(query.offset((page - 1) * size).limit(size)))
    return Page(rows, total, page, pages)


def unclaimed(session: Session, opened_before: datetime, limit: int = 200) -> list[Ticket]:
    """Open tickets nobody claimed, opened before `opened_before`, oldest first (bounded)."""
    query = select(Ticket).where(
        Ticket.status == TicketStatus.open,
        Ticket.claimed_by.is_(None),
        Ticket.opened_at < opened_before,
    )
    return list(session.exec(query.order_by(Ticket.opened_at, Ticket.id).limit(limit)))


def counts(session: Session) -> dict[str, int]:
    """Tickets per status, and open ones nobody claimed ("unclaimed")."""
    rows = session.exec(select(Ticket.status, func.count()).group_by(Ticket.status)).all()
    result = {status: count for status, count in rows}
    result["unclaimed"] = session.exec(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.status.in_(ACTIVE), Ticket.claimed_by.is_(None))
    ).one()
    return result


def count_for_contact(session: Session, contact_id: int) -> int:
    query = select(func.count()).select_from(Ticket).where(Ticket.contact_id == contact_id)
    return session.exec(query).one()


def erase_contact(session: Session, contact_id: int, now: datetime) -> None:
    """/deletedata: the person's tickets keep their number and times (figures), lose every
    text the person or an officer wrote about them, and close."""
    ids = select(Ticket.id).where(Ticket.contact_id == contact_id)
    session.exec(delete(TicketMessage).where(TicketMessage.ticket_id.in_(ids)))
    session.exec(
        update(Ticket)
        .where(Ticket.contact_id == contact_id, Ticket.status != TicketStatus.closed)
        .values(status=TicketStatus.closed, closed_at=now)
    )
    session.exec(
        update(Ticket)
        .where(Ticket.contact_id == contact_id)
        .values(question="", contact_id=None, updated_at=now)
    )


def erase_officer(session: Session, contact_id: int, label: str) -> None:
    """An officer deleted their own data: their id leaves the answers they gave and the
    tickets they claimed (the answers belong to the person who asked)."""
    session.exec(
        update(TicketMessage)
        .where(
            TicketMessage.from_officer.is_(True),
            (TicketMessage.officer_contact_id == contact_id) | (TicketMessage.officer == label),
        )
        .values(officer=None, officer_contact_id=None)
    )
    session.exec(update(Ticket).where(Ticket.claimed_by == label).values(claimed_by=None))


def message(session: Session, message_id: int) -> TicketMessage | None:
    return session.get(TicketMessage, message_id) if message_id else None
