"""The officers' side of tickets: `/inbox [page]` (alias `/questions`), `/reply N text`,
replying to a card, the card's buttons (claim, reply, close), `/close N`, `/claim N` and
`/note text` (an officer's own ticket, e.g. after a phone call).

Every entry point is officer-only, checked on the server at each message (the registry hides
the commands and the `tk` buttons from everyone else). Every action is written to the audit
log in the same transaction. An answer is kept (who, when, what) and delivered once to the
person on their own channel, in the reply lane, by the outbox row `officer_reply:<id>`."""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session

from handlers import roles
from handlers.context import Context
from handlers.messages import Button, Reply
from handlers.payload import row_id
from handlers.start import stale
from handlers.tickets import cards
from storage import app_state, audit, contacts, officers, outbox, tickets
from storage.tickets_models import TicketMessage, TicketSource, TicketStatus

ANSWER = "officer_reply"  # the outbox kind (the name predates tickets: old rows still render)
PAGE_SIZE = 10
FORCE = "--force"
FLOW = "ticket_reply"
_CARD_NUMBER = re.compile(r"#(\d{1,19})\b")


class AnswerError(ValueError):
    """The reply cannot be sent; the message key says why, `fields` fill its placeholders."""

    def __init__(self, key: str, **fields: object):
        super().__init__(key)
        self.key, self.fields = key, fields


def answer_ticket(
    session: Session,
    ticket_id: int,
    text: str,
    officer: str,
    now: datetime,
    *,
    officer_contact_id: int | None = None,
    force: bool = False,
    tell: list[str] | None = None,
) -> TicketMessage:
    """Keep the officer's answer, queue it for the person of the ticket (sent once, by any
    process), claim the ticket for the officer if nobody had it, and audit it. Raises
    AnswerError: no text, no such ticket, nobody to send to (deleted data, an officer's note),
    or, when `force` is not given, the last message is already an officer's answer or another
    officer holds the ticket. `tell`: officers ("channel:id") told if an answer given outside
    the chat is not delivered (outcome.py)."""
    text = text.strip()
    if not text:
        raise AnswerError("officer.reply_empty", id=ticket_id)
    ticket = tickets.get(session, ticket_id) if row_id(str(ticket_id)) else None
    if ticket is None:
        raise AnswerError("officer.reply_unknown", id=ticket_id)
    if ticket.contact_id is None:
        key = "officer.reply_note" if ticket.source == TicketSource.note else "officer.reply_gone"
        raise AnswerError(key, id=ticket_id)
    said = tickets.messages(session, ticket_id)
    answers = [m for m in said if m.from_officer]
    if said and said[-1].from_officer and not force:
        last = said[-1]
        raise AnswerError(
            "officer.reply_already",
            id=ticket_id,
            count=len(answers),
            by=last.officer or "?",
            answer=cards.flatten(last.text, 120),
        )
    if ticket.claimed_by and ticket.claimed_by != officer and not force:
        # Another officer holds it: answering over them needs the same confirmation.
        by = officers.display_name(session, ticket.claimed_by)
        raise AnswerError("officer.reply_claimed", id=ticket_id, by=by)
    tickets.claim(session, ticket_id, officer, now)
    session.refresh(ticket)
    answer = tickets.add_message(
        session, ticket, text, now, officer=officer, officer_contact_id=officer_contact_id
    )
    payload = {"answer_id": answer.id, **({"tell": list(tell)} if tell else {})}
    outbox.enqueue(session, f"{ANSWER}:{answer.id}", ticket.contact_id, ANSWER, now, payload)
    # The audit says what was done, not what was written: the text is the person's ticket and
    # goes with it on /deletedata; the audit log (the office's record) stays.
    audit.record(session, officer, "ticket.reply", now, "ticket", ticket_id,
                 f"message {answer.id}, {len(text)} characters")  # fmt: skip
    return answer


def parse_number(value: str) -> int | None:
    """The ticket number in "12" or "#12"; None when it is not a number (usage). A number
    no row can have (0, or 20 digits) gives 0, which no ticket has: "no ticket #N"."""
    number = value.strip().lstrip("#")
    if not number.isascii() or not number.isdigit():
        return None
    return row_id(number) or 0


# -- commands ---------------------------------------------------------------------------------
def inbox_command(ctx: Context, args: str = "") -> list[Reply]:
    """/inbox [page]: open and pending tickets, oldest first, one flattened line each. A page
    that is not there ("abc", "999") is said so, with the pages there are (never page 1 in its
    place)."""
    arg = args.strip()
    page = int(arg) if arg.isascii() and arg.isdigit() and len(arg) < 7 else 0
    work = tickets.active_page(ctx.session, page if arg else 1, PAGE_SIZE)
    if not work.rows:
        return [ctx.reply("officer.none")]
    if arg and page != work.page:
        key = "officer.bad_page" if work.pages > 1 else "officer.bad_page_one"
        return [ctx.reply(key, page=arg[:20], pages=work.pages)]
    lines = [ctx.t("officer.list_title", count=work.total, page=work.page, pages=work.pages)]
    names = officers.display_names(ctx.session, [t.claimed_by for t in work.rows])
    tz = ctx.settings.tz
    lines += [cards.inbox_line(t, ctx.lang, ctx.content, tz, names) for t in work.rows]
    if work.page < work.pages:
        lines.append(ctx.t("officer.next_page", page=work.page + 1))
    lines.append(ctx.t("officer.how_to_reply"))
    return [Reply(text="\n".join(lines))]


def reply_command(ctx: Context, args: str = "") -> list[Reply]:
    """/reply N [--force] text."""
    head, _, text = args.strip().partition(" ")
    ticket_id = parse_number(head)
    if ticket_id is None:
        return [ctx.reply("officer.reply_usage")]
    first, _, rest = text.strip().partition(" ")
    option = _option(first)
    if option is not None and option != FORCE:  # a typo must not reach the enterprise as words
        return [ctx.reply("officer.reply_option", option=first, id=head.lstrip("#"))]
    force = option == FORCE
    text = rest.strip() if force else text.strip()
    return _answer(ctx, ticket_id, text, force, typed=head.lstrip("#"))


def _option(word: str) -> str | None:
    """An option typed before the answer ("--force"; a phone turns "--" into "—" or "–"), as
    "--name"; None when the word is the answer's first word (a lone "-" starts a list)."""
    name = word.lstrip("-—–")
    if name == word or not name[:1].isalpha():
        return None
    return "--" + name.lower()


def _answer(
    ctx: Context, ticket_id: int, text: str, force: bool, typed: str | None = None
) -> list[Reply]:
    try:
        answer_ticket(ctx.session, ticket_id, text, roles.label(ctx.contact), ctx.now,
                      officer_contact_id=ctx.contact.id, force=force)  # fmt: skip
    except AnswerError as exc:
        return [ctx.reply(exc.key, **{**exc.fields, "id": typed or ticket_id})]  # as typed
    return [ctx.reply("officer.reply_queued", id=ticket_id)]


def close_command(ctx: Context, args: str = "") -> list[Reply]:
    ticket_id = parse_number(args)
    if ticket_id is None:
        return [ctx.reply("tickets.close_usage")]
    return [_close(ctx, ticket_id)]


def claim_command(ctx: Context, args: str = "") -> list[Reply]:
    ticket_id = parse_number(args)
    if ticket_id is None:
        return [ctx.reply("tickets.claim_usage")]
    return [_claim(ctx, ticket_id)]


def note_command(ctx: Context, args: str = "") -> list[Reply]:
    """/note text: an officer's own ticket (a phone call, a visit), open until closed."""
    text = args.strip()
    if not text:
        return [ctx.reply("tickets.note_usage")]
    ticket = tickets.open_ticket(
        ctx.session, contact_id=None, channel=ctx.contact.channel, question=text, lang=ctx.lang,
        source=TicketSource.note, now=ctx.now,
    )  # fmt: skip
    tickets.claim(ctx.session, ticket.id, roles.label(ctx.contact), ctx.now)
    roles.record(ctx, "ticket.note", "ticket", ticket.id, f"{len(text)} characters")
    return [ctx.reply("tickets.noted", id=ticket.id)]


def _claim(ctx: Context, ticket_id: int) -> Reply:
    me = roles.label(ctx.contact)
    holder = tickets.claim(ctx.session, ticket_id, me, ctx.now)
    if holder is None:
        return ctx.reply("tickets.not_open", id=ticket_id)
    if holder != me:
        by = officers.display_name(ctx.session, holder)
        return ctx.reply("tickets.claimed_by_other", id=ticket_id, by=by)
    roles.record(ctx, "ticket.claim", "ticket", ticket_id)
    buttons = [Button(ctx.t("tickets.reply"), f"{cards.NS}:reply:{ticket_id}"),
               Button(ctx.t("tickets.close"), f"{cards.NS}:close:{ticket_id}")]  # fmt: skip
    return ctx.reply("tickets.claimed", id=ticket_id, buttons=buttons)


def _close(ctx: Context, ticket_id: int) -> Reply:
    if not tickets.close(ctx.session, ticket_id, ctx.now):
        return ctx.reply("tickets.not_open", id=ticket_id)
    roles.record(ctx, "ticket.close", "ticket", ticket_id)
    return ctx.reply("tickets.closed", id=ticket_id)


# -- the card's buttons and the reply flow -------------------------------------------------------
def _draft_key(ctx: Context) -> str:
    return f"ticket_reply:{ctx.contact.id}"


def button(ctx: Context, arg: str) -> list[Reply]:
    """tk:claim:N, tk:reply:N, tk:close:N (officers only: the registry hides `tk` from others)."""
    action, _, value = arg.partition(":")
    ticket_id = row_id(value)
    if ticket_id is None or action not in ("claim", "reply", "close"):
        return stale(ctx)
    if action == "claim":
        return [_claim(ctx, ticket_id)]
    if action == "close":
        return [_close(ctx, ticket_id)]
    ticket = tickets.get(ctx.session, ticket_id)
    if ticket is None or ticket.status == TicketStatus.closed:
        return [ctx.reply("tickets.not_open", id=ticket_id)]
    app_state.set_value(ctx.session, _draft_key(ctx), str(ticket_id))
    contacts.set_flow(ctx.session, ctx.contact, FLOW)
    return [ctx.reply("tickets.write_reply", id=ticket_id)]


def on_text(ctx: Context, text: str) -> list[Reply] | None:
    """The text after "✍️ Trả lời" is the answer to that ticket."""
    if ctx.contact.active_flow != FLOW:
        return None
    ticket_id = row_id(app_state.get_value(ctx.session, _draft_key(ctx), "") or "")
    if ticket_id is not None and not text.strip():
        # A sticker or a photo is no answer: the draft waits for the text (it used to be
        # dropped, and the answer typed next went to the bot as a question).
        return [ctx.reply("tickets.write_reply", id=ticket_id)]
    contacts.set_flow(ctx.session, ctx.contact, None)
    app_state.set_value(ctx.session, _draft_key(ctx), "")
    if ticket_id is None or not roles.is_officer(
        ctx.session, ctx.settings, ctx.contact.channel, ctx.contact.platform_id
    ):
        return None  # rights gone meanwhile: the text is an ordinary question
    return _answer(ctx, ticket_id, text, force=True)  # pressing "reply" was the decision


def on_card_reply(ctx: Context, text: str) -> list[Reply] | None:
    """An officer replied (the platform's "reply" to a message) to a ticket card: the text
    answers that ticket. None when the quoted message is not a card or the sender is no officer."""
    card = next((x for x in (ctx.inbound.reply_to or "").splitlines() if x.startswith("🎫")), "")
    found = _CARD_NUMBER.search(card)
    if found is None or not ctx.is_officer:
        return None
    return _answer(ctx, int(found.group(1)), text, force=True)
