"""The tickets capability (issue 11 "Ticket inbox"): what the bot could not answer, requests
for a person and officers' own notes become tickets that officers claim, answer and close.

intake.py is the person's side (open, join, reopen, "an officer will answer"); inbox.py the
officers' commands and card buttons; cards.py what is delivered; jobs.py reminders and the
daily digest. Tables: storage/tickets_models.py, queries: storage/tickets.py."""

from __future__ import annotations

from content.store import ContentStore
from handlers import roles
from handlers.capability import Capability, Command, Flow, Job, OutboxKind, PersonalData
from handlers.context import Context
from handlers.tickets import cards, inbox, intake, jobs, outcome
from storage import tickets
from storage.models import Contact


def describe(ctx: Context) -> list[str]:
    """/mydata: how many tickets the person has (their texts go with /deletedata)."""
    count = tickets.count_for_contact(ctx.session, ctx.contact.id)
    return [ctx.t("privacy.tickets", count=count)] if count else []


def erase(session, contact: Contact, content: ContentStore, settings) -> None:  # noqa: ANN001
    """/deletedata: the person's tickets lose their texts; an officer's id leaves the answers
    and claims they made. `last_seen` is this very message's time."""
    tickets.erase_contact(session, contact.id, contact.last_seen)
    tickets.erase_officer(session, contact.id, roles.label(contact))


CAPABILITY = Capability(
    name="tickets",
    commands=(
        Command("inbox", inbox.inbox_command, officer_only=True, aliases=("questions",)),
        Command("reply", inbox.reply_command, officer_only=True),
        Command("claim", inbox.claim_command, officer_only=True),
        Command("close", inbox.close_command, officer_only=True),
        Command("note", inbox.note_command, officer_only=True),
    ),
    buttons={cards.NS: inbox.button},
    officer_buttons=frozenset({cards.NS}),
    flow=Flow(inbox.FLOW, inbox.on_text, namespace=cards.NS),
    # Officers' work messages go in the reply lane: never behind a broadcast, and an officer's
    # /stop (announcements) does not stop them.
    outbox=(
        OutboxKind(intake.CARD, cards.render_card, lane="reply"),
        OutboxKind(jobs.REMINDER, cards.render_reminder, lane="reply"),
        OutboxKind(jobs.DIGEST, cards.render_digest, lane="reply"),
        # How the answer went is told to the officer (outcome.py): never a silent failure.
        OutboxKind(
            inbox.ANSWER, cards.render_answer, reply=True, on_outcome=outcome.answer_outcome
        ),
        OutboxKind(outcome.KIND, outcome.render, lane="reply"),
    ),
    jobs=(
        Job("ticket_reminders", jobs.remind_unclaimed, every_minutes=15),
        Job("ticket_digest", jobs.daily_digest, every_minutes=15),
    ),
    personal=PersonalData(tables=("tickets", "ticket_messages"), erase=erase, describe=describe),
)
