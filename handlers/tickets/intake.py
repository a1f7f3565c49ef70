"""The person's side of tickets: what the bot could not answer and requests for a person open
a ticket (officers get a card); while it is open, what the person writes joins it; within
`reopen_days` after it closed, a new message reopens it. The person is told once per opening
that an officer will answer, and when (content text `tickets.notice`)."""

from __future__ import annotations

from datetime import timedelta

from handlers import roles
from handlers.context import Context
from handlers.messages import Reply
from storage import outbox, tickets
from storage.tickets_models import Ticket, TicketSource

CARD = "ticket_card"
_CURRENT = "tickets.current"  # ctx.memo key


def notify(ctx: Context, ticket: Ticket) -> None:
    """A card to every officer, once per opening of the ticket."""
    roles.notify_officers(
        ctx.session,
        ctx.settings,
        CARD,
        f"{CARD}:{ticket.id}:{ticket.opening}",
        {"ticket_id": ticket.id, "opening": ticket.opening, "tz": str(ctx.settings.tz)},
        ctx.now,
        skip=ctx.contact.id,
    )


def _joined(ctx: Context, ticket: Ticket, text: str) -> None:
    """The person wrote more on their ticket: it joins, and the officer who holds it gets the
    card again (with the new message) — once per message. An unclaimed ticket's news reaches
    officers through the reminders and the digest."""
    message = tickets.add_message(ctx.session, ticket, text, ctx.now)
    holder = roles.contact_of(ctx.session, ticket.claimed_by)
    if holder is None or holder.id == ctx.contact.id:
        return
    payload = {"ticket_id": ticket.id, "opening": ticket.opening, "tz": str(ctx.settings.tz)}
    key = f"{CARD}:{ticket.id}:{ticket.opening}:m{message.id}:{holder.id}"
    outbox.enqueue(ctx.session, key, holder.id, CARD, ctx.now, payload)


def _told(ctx: Context, ticket: Ticket) -> list[Reply]:
    if ticket.person_told or ticket.contact_id is None:
        return []
    ticket.person_told = True
    ctx.session.add(ticket)
    return [ctx.reply("tickets.notice", id=ticket.id)]


def current(ctx: Context) -> tuple[Ticket | None, bool]:
    """The person's open ticket (False), else one closed in the last `reopen_days` that a
    message now reopens (True), else (None, False). Read once per turn (one statement; the
    question log and the intake below both need it): call it before the turn changes tickets."""
    if _CURRENT not in ctx.memo:
        days = ctx.settings.tickets.reopen_days
        since = ctx.now - timedelta(days=days) if days else None
        ticket = tickets.current_or_closed_since(ctx.session, ctx.contact.id, since)
        found = (ticket, ticket.status not in tickets.ACTIVE) if ticket else (None, False)
        ctx.memo[_CURRENT] = found
    return ctx.memo[_CURRENT]


def _take(ctx: Context) -> tuple[Ticket | None, bool]:
    """`current`, forgotten for the rest of the turn: the caller is about to change it."""
    found = current(ctx)
    del ctx.memo[_CURRENT]
    return found


def follow_up(ctx: Context, text: str) -> list[Reply]:
    """A question the bot answered: it joins the person's open ticket, or reopens one closed
    in the last `reopen_days`; otherwise nothing happens. Returns what the person is told."""
    ticket, reopens = _take(ctx)
    if ticket is None:
        return []
    if reopens:
        tickets.reopen(ctx.session, ticket, ctx.now)
        notify(ctx, ticket)
        tickets.add_message(ctx.session, ticket, text, ctx.now)
    else:
        _joined(ctx, ticket, text)
    return _told(ctx, ticket)


def request(
    ctx: Context, text: str, source: TicketSource, question_log_id: int | None = None
) -> tuple[Ticket, list[Reply]]:
    """Something for an officer (the bot was not sure, or the person asked for one): it joins
    the open ticket, reopens a recent one, or opens a new ticket with a card to officers."""
    ticket, reopens = _take(ctx)
    if ticket is not None and not reopens:
        _joined(ctx, ticket, text)
        _raise_source(ctx, ticket, source)
        return ticket, _told(ctx, ticket)
    if ticket is not None:
        tickets.reopen(ctx.session, ticket, ctx.now)
        tickets.add_message(ctx.session, ticket, text, ctx.now)
        _raise_source(ctx, ticket, source)
    else:
        ticket = tickets.open_ticket(
            ctx.session,
            contact_id=ctx.contact.id,
            channel=ctx.contact.channel,
            question=text,
            lang=ctx.lang,
            source=source,
            now=ctx.now,
            question_log_id=question_log_id,
        )
    notify(ctx, ticket)
    return ticket, _told(ctx, ticket)


def _raise_source(ctx: Context, ticket: Ticket, source: TicketSource) -> None:
    """A request for a person outranks "the bot was not sure" (officers see 👤)."""
    if source == TicketSource.person and ticket.source != TicketSource.person:
        ticket.source = source
        ctx.session.add(ticket)


def asked_for_person(ctx: Context, question_log_id: int, text: str) -> Ticket:
    """The person pressed "Gặp cán bộ" under a question: its ticket becomes a request for a
    person (it is opened if the question had none)."""
    ticket = tickets.current_for(ctx.session, ctx.contact.id)
    if ticket is not None and ticket.question_log_id == question_log_id:
        _raise_source(ctx, ticket, TicketSource.person)
        return ticket
    ticket, _ = request(ctx, text, TicketSource.person, question_log_id)
    ticket.person_told = True  # the press is answered with its own "passed on" message
    ctx.session.add(ticket)
    return ticket
