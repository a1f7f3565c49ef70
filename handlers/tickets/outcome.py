"""How an officer's answer went, told to the officer (issue 12): on Zalo OA sent free (a reply
to the person's own message) or on the OA's proactive quota; on any channel, not delivered and
why. Never a silent failure: the officer who answered in chat is told; an answer given from the
command line that failed is told to every officer the bot can write to (the table's officers
and those named at enqueue, `tell`), and `sxsh-bot reply --wait` prints it.

`answer_outcome` is the `officer_reply` kind's on_outcome hook (run in the transaction that
records the row's final state); the message is an outbox row of kind `officer_reply_outcome`
in the reply lane."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from content.store import ContentStore
from content.texts import Texts
from handlers.messages import Reply, channel_name
from storage import officers, outbox, tickets
from storage.models import Contact
from storage.zalo_oa import not_reached_reason

KIND = "officer_reply_outcome"
ZALO_OA = "zalo_oa"
# Reasons with words of their own (texts tickets.outcome_reason.*); others as the platform said.
KNOWN_REASONS = ("outside_window", "blocked", "contact blocked", "contact gone")


def fields(session: Session, answer_id: int, outcome: dict) -> dict | None:
    """What the officer is told of answer `answer_id`, from the outcome of its outbox row
    ({"status", "route", "reason"}); None when the ticket is gone."""
    message = tickets.message(session, answer_id)
    ticket = tickets.get(session, message.ticket_id) if message is not None else None
    if ticket is None or ticket.contact_id is None:
        return None
    person = session.get(Contact, ticket.contact_id)
    channel = person.channel if person is not None else "?"
    reason = outcome.get("reason") or ""
    if outcome.get("status") != "sent" and channel == ZALO_OA:
        reason = not_reached_reason(reason)
    return {"ticket_id": ticket.id, "channel": channel, "status": outcome.get("status"),
            "route": outcome.get("route"), "reason": reason}  # fmt: skip


def answer_outcome(session: Session, payload: dict, outcome: dict, now: datetime) -> None:
    """Queue the outcome for the officer(s): always for a Zalo OA person, on failure for any
    channel; nothing for an answer sent on a channel that does not say how."""
    answer_id = int(payload.get("answer_id") or 0)
    told_fields = fields(session, answer_id, outcome)
    if told_fields is None:
        return
    delivered = told_fields["status"] == "sent"
    if delivered and told_fields["channel"] != ZALO_OA:
        return
    message = tickets.message(session, answer_id)
    told = {message.officer_contact_id} - {None}
    if not told and not delivered:  # answered from the command line: every officer is told
        pairs = [tuple(p.split(":", 1)) for p in payload.get("tell") or [] if ":" in p]
        told = {c.id for c in officers.contacts_of(session, pairs)}
    for officer_id in sorted(told):
        key = f"{KIND}:{message.id}:{officer_id}"
        outbox.enqueue(session, key, officer_id, KIND, now, told_fields)


def text(t: Texts, lang: str, told: dict) -> str:
    """The outcome in words (texts tickets.outcome_*), for the chat and the terminal."""
    ticket_id, route = told.get("ticket_id"), told.get("route")
    channel = channel_name(told.get("channel"))
    if told.get("status") == "sent":
        route = route if route in (outbox.FREE, outbox.QUOTA) else "sent"
        return t.get(lang, f"tickets.outcome_{route}", id=ticket_id, channel=channel)
    reason = str(told.get("reason") or "")
    if reason in KNOWN_REASONS:
        reason = t.get(lang, "tickets.outcome_reason." + reason.removeprefix("contact "))
    return t.get(lang, "tickets.outcome_failed", id=ticket_id, channel=channel, reason=reason)


def render(
    session: Session, content: ContentStore, contact: Contact, payload: dict, now: datetime
) -> list[Reply] | None:
    lang = contact.language if contact.language in ("vi", "en") else "vi"
    return [Reply(text=text(content.texts, lang, payload))]
