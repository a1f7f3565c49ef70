"""What officers and people receive about tickets, rendered at delivery time from the ticket
as it is then: the officers' card (number, enterprise, question, buttons to claim, reply,
close), the reminder, the daily digest, and the officer's answer to the person."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from content.forms.engine import label_for
from content.locale import Locale
from content.store import ContentStore
from handlers.messages import Button, Reply, channel_name
from handlers.officer import flatten  # one rule for every officer list
from storage import officers, tickets
from storage.models import Contact, Enterprise
from storage.tickets_models import Ticket, TicketSource, TicketStatus

NS = "tk"  # officer-only buttons: tk:claim:N, tk:reply:N, tk:close:N
QUOTE_CHARS = 600  # of the question on a card
DIGEST_LINES = 10
DEFAULT_TZ = "Asia/Ho_Chi_Minh"


def _lang(contact: Contact) -> str:
    return contact.language if contact.language in ("vi", "en") else "vi"


def enterprise_line(session: Session, content: ContentStore, ticket: Ticket, lang: str) -> str:
    """Company · sector · park from the enterprise profile of the person, if there is one."""
    t = content.texts
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    record = (
        session.get(Enterprise, contact.enterprise_id)
        if contact and contact.enterprise_id
        else None
    )
    if record is None:
        return t.get(lang, "tickets.no_enterprise")
    parts = [record.name or t.get(lang, "tickets.no_name")]
    q = content.questionnaire
    atexts = t.by_lang.get(lang) or t.by_lang["vi"]
    for field, question_id in (
        (record.sector, "sector"),
        (record.industrial_park, "industrial_park"),
    ):
        if field:
            question = q.by_id.get(question_id) if q is not None else None
            parts.append(label_for(question, field, lang, atexts) if question else field)
    return " · ".join(parts)


def card_text(session: Session, content: ContentStore, ticket: Ticket, lang: str, tz) -> str:  # noqa: ANN001
    t = content.texts
    mark = "👤 " if ticket.source == TicketSource.person else ""
    when = Locale(lang, tz, content.texts).date_time(ticket.opened_at)
    lines = [
        t.get(
            lang,
            "tickets.card_title",
            id=ticket.id,
            mark=mark,
            when=when,
            channel=channel_name(ticket.channel),
        ),
        enterprise_line(session, content, ticket, lang),
        "«" + flatten(ticket.question, QUOTE_CHARS) + "»",
    ]
    later = [m for m in tickets.messages(session, ticket.id) if not m.from_officer]
    if later:
        lines.append(
            t.get(lang, "tickets.card_more", count=len(later), last=flatten(later[-1].text, 200))
        )
    if ticket.claimed_by:
        by = officers.display_name(session, ticket.claimed_by)
        lines.append(t.get(lang, "tickets.card_claimed", by=by))
    return "\n".join(lines)


def card_buttons(content: ContentStore, ticket: Ticket, lang: str) -> list[Button]:
    t = content.texts
    buttons = (
        []
        if ticket.claimed_by
        else [Button(t.get(lang, "tickets.claim"), f"{NS}:claim:{ticket.id}")]
    )
    buttons.append(Button(t.get(lang, "tickets.reply"), f"{NS}:reply:{ticket.id}"))
    buttons.append(Button(t.get(lang, "tickets.close"), f"{NS}:close:{ticket.id}"))
    return buttons


def _tz(payload: dict) -> ZoneInfo:
    """Renderers get no settings: the time zone travels in the payload (settings at enqueue)."""
    try:
        return ZoneInfo(str(payload.get("tz") or DEFAULT_TZ))
    except (ValueError, KeyError):
        return ZoneInfo(DEFAULT_TZ)


def render_card(
    session: Session, content: ContentStore, contact: Contact, payload: dict, now: datetime
) -> list[Reply] | None:
    """The card of one opening; not sent once that opening is over (closed, or reopened
    since: the newer opening has its own card)."""
    ticket = tickets.get(session, int(payload.get("ticket_id") or 0))
    if ticket is None or ticket.status == TicketStatus.closed:
        return None
    if ticket.opening != payload.get("opening", ticket.opening):
        return None
    lang = _lang(contact)
    text = card_text(session, content, ticket, lang, _tz(payload))
    return [Reply(text=text, buttons=card_buttons(content, ticket, lang))]


def render_reminder(
    session: Session, content: ContentStore, contact: Contact, payload: dict, now: datetime
) -> list[Reply] | None:
    """Still nobody's: the card again, under a line saying for how long."""
    ticket = tickets.get(session, int(payload.get("ticket_id") or 0))
    if ticket is None or ticket.status != TicketStatus.open or ticket.claimed_by:
        return None
    lang = _lang(contact)
    head = content.texts.get(
        lang, "tickets.reminder", id=ticket.id, hours=payload.get("hours", "?")
    )
    text = head + "\n\n" + card_text(session, content, ticket, lang, _tz(payload))
    return [Reply(text=text, buttons=card_buttons(content, ticket, lang))]


def render_digest(
    session: Session, content: ContentStore, contact: Contact, payload: dict, now: datetime
) -> list[Reply] | None:
    """The morning digest: counts, and the oldest open tickets; nothing when none is open."""
    counts = tickets.counts(session)
    active = counts.get(TicketStatus.open, 0) + counts.get(TicketStatus.pending, 0)
    if not active:
        return None
    lang, t, tz = _lang(contact), content.texts, _tz(payload)
    lines = [
        t.get(
            lang,
            "tickets.digest_title",
            open=counts.get(TicketStatus.open, 0),
            pending=counts.get(TicketStatus.pending, 0),
            unclaimed=counts.get("unclaimed", 0),
        )
    ]
    rows = tickets.active_page(session, 1, DIGEST_LINES).rows
    names = officers.display_names(session, [r.claimed_by for r in rows])
    for ticket in rows:
        lines.append(inbox_line(ticket, lang, content, tz, names))
    lines.append(t.get(lang, "tickets.digest_more"))
    return [Reply(text="\n".join(lines))]


def inbox_line(  # noqa: ANN001 - tz: a ZoneInfo
    ticket: Ticket, lang: str, content: ContentStore, tz, names: dict[str, str] | None = None
) -> str:
    """One line of /inbox and the digest: number, opened, status, who has it (by `names`, from
    officers.display_names), the question."""
    t = content.texts
    mark = "👤 " if ticket.source == TicketSource.person else ""
    when = Locale(lang, tz, content.texts).short_date_time(ticket.opened_at)
    status = t.get(lang, f"tickets.status.{ticket.status}")
    holder = (names or {}).get(ticket.claimed_by or "", ticket.claimed_by)
    who = f", {holder}" if holder else ""
    return f"#{ticket.id} · {when} · {mark}{flatten(ticket.question, 200)} ({status}{who})"


def render_answer(
    session: Session, content: ContentStore, contact: Contact, payload: dict, now: datetime
) -> list[Reply] | None:
    """The officer's answer, with the question it answers, to the person who asked it (and
    nobody else: a row whose ticket now belongs to someone else, or no one, is not sent)."""
    message = tickets.message(session, int(payload.get("answer_id") or 0))
    ticket = tickets.get(session, message.ticket_id) if message is not None else None
    if ticket is None or ticket.contact_id != contact.id or not message.from_officer:
        return None
    lang = _lang(contact)
    text = content.texts.get(
        lang, "officer.reply_message", question=flatten(ticket.question, 300), answer=message.text
    )
    return [Reply(text=text, buttons=[Button(content.texts.get(lang, "menu.main"), "m:main")])]
