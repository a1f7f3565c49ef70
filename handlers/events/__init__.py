"""The events capability: events officers publish, registration with a seat or a waiting
list, topic subscriptions, and reminders derived from each event (issue 10). Declared once
here; `handlers.registry` lists it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import col

from handlers.capability import Capability, Command, Flow, Job, MenuItem, OutboxKind, PersonalData
from handlers.events import chat, notices, officer, service
from storage import app_state
from storage import events as store
from storage import events_reminders as subs
from storage.events_models import Event, EventStatus
from storage.events_reminders import REMINDER_KIND

if TYPE_CHECKING:
    from sqlmodel import Session

    from content.store import ContentStore
    from handlers.context import Context
    from handlers.ports import HandlerSettings
    from storage.models import Contact


def describe(ctx: Context) -> list[str]:
    """/mydata: the person's registrations and topic subscriptions."""
    regs = store.of_contact(ctx.session, ctx.contact.id)
    topics = ctx.content.events.topics
    mine = subs.topics_of_contact(ctx.session, ctx.contact.id)
    chosen = [topics[t][ctx.lang] for t in topics if t in mine]
    return [ctx.t("events.privacy", registrations=len(regs), topics=", ".join(chosen) or "-")]


def erase(
    session: Session, contact: Contact, content: ContentStore, settings: HandlerSettings
) -> None:
    """/deletedata: give back the person's seats (the first waiting person takes each and is
    told, in the settings' time zone) before their rows go with the contact (registrations,
    subscriptions and reminders cascade). `last_seen` is the moment of this very message."""
    for _reg, event in store.of_contact(session, contact.id):
        service.unregistered(
            session, event, contact, content.events, settings.tz, contact.last_seen
        )
    app_state.set_value(session, f"event_draft:{contact.id}", "")
    app_state.set_value(session, f"{chat.CONFIRM_FLOW}:{contact.id}", "")


def mark_past(session: Session, now: datetime, settings: object) -> int:
    """Housekeeping: published events that have ended (or started, without an end) become
    `past`; their cards leave every list."""
    result = session.exec(
        update(Event)
        .where(col(Event.status).in_(store.VISIBLE), Event.starts_at < now)
        .where((col(Event.ends_at).is_(None)) | (Event.ends_at < now))
        .values(status=EventStatus.past, updated_at=now)
    )
    return result.rowcount


# Reminders and announcements stop with /stop; news about the person's own registration
# (moved, cancelled, a seat freed) is part of that registration and still reaches them.
CAPABILITY = Capability(
    name="events",
    commands=(
        Command("events", chat.list_command, announce=True),
        Command("subscribe", chat.subscribe_command, announce=True),
        Command("newevent", officer.new_command, officer_only=True),
        Command("editevent", officer.edit_command, officer_only=True),
        Command("eventinfo", officer.info_command, officer_only=True),
    ),
    buttons={chat.NS: chat.button, officer.NS: officer.button},
    # The event-editing buttons do not exist for others: a forged press is a stale button.
    officer_buttons=frozenset({officer.NS}),
    flow=Flow(
        officer.FLOW,
        officer.on_text,
        namespace=officer.NS,
        keeps_open=frozenset(officer.COMMANDS),
        on_cancel=lambda ctx, _args: officer.button(ctx, "cancel"),  # /cancel drops the draft
    ),
    menu=(MenuItem("events", "menu.events", chat.list_command, 30),),
    outbox=(
        OutboxKind(REMINDER_KIND, notices.reminder, prefetch=subs.prefetch),
        OutboxKind(service.ANNOUNCE, notices.announce),
        OutboxKind(service.CHANGED, notices.changed, reply=True),
        OutboxKind(service.CANCELLED, notices.cancelled, reply=True),
        OutboxKind(service.PROMOTED, notices.promoted, reply=True),
    ),
    jobs=(Job("events_past", mark_past, every_minutes=30),),
    personal=PersonalData(
        tables=("event_registrations", "event_subscriptions", "event_reminders"),
        erase=erase,
        describe=describe,
    ),
)

# The question before cancelling after the deadline: typed answers press its buttons; any
# button or command closes it.
CONFIRM = Capability(
    name="events_confirm",
    # /cancel at the question keeps the seat (and voids the question's "yes")
    flow=Flow(
        chat.CONFIRM_FLOW, chat.on_confirm_text, on_cancel=lambda c, _a: chat.button(c, "mine")
    ),
)
