"""The broadcasts capability (issue 11 "Broadcasts"): officers announce to many enterprises.

chat.py is the officers' composing in chat, service.py what chat and terminal share (preview,
checks, progress, report, the job). Tables: storage/broadcasts_models.py; queries:
storage/broadcasts.py. Each copy is an outbox row in the bulk lane, so answers to people go
first and the channel's throttle is shared."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, delete

from content.store import ContentStore
from handlers.broadcasts import chat, copies, service
from handlers.capability import Capability, Command, Flow, Job, OutboxKind, PersonalData
from handlers.messages import Reply
from storage import broadcasts
from storage.broadcasts_models import BroadcastRecipient, BroadcastStatus
from storage.models import Contact


def render_copy(
    session: Session, content: ContentStore, contact: Contact, payload: dict, now: datetime
) -> list[Reply] | None:
    """One recipient's copy; None (not sent) once the broadcast is no longer sending."""
    row = broadcasts.get(session, int(payload.get("broadcast_id", 0)))
    if row is None or row.status != BroadcastStatus.sending:
        return None
    copy = copies.copy_of(row, contact.channel)
    return [copy] if copy is not None else None


def render_report(
    session: Session, content: ContentStore, contact: Contact, payload: dict, now: datetime
) -> list[Reply] | None:
    """The final report to the officer, in their language; the time zone is the settings' at
    enqueue (renderers get no settings)."""
    row = broadcasts.get(session, int(payload.get("broadcast_id", 0)))
    if row is None:
        return None
    lang = contact.language if contact.language in ("vi", "en") else "vi"
    tz = ZoneInfo(str(payload.get("tz") or "Asia/Ho_Chi_Minh"))
    return [Reply(text="\n".join(service.report_lines(session, row, content.texts, lang, tz)))]


def render_progress(
    session: Session, content: ContentStore, contact: Contact, payload: dict, now: datetime
) -> list[Reply] | None:
    """Progress pushed to the officer (sent / total, rate, time left), with the figures of the
    moment it goes; None once the broadcast is no longer sending (its report says the rest)."""
    row = broadcasts.get(session, int(payload.get("broadcast_id", 0)))
    if row is None or row.status != BroadcastStatus.sending:
        return None
    lang = contact.language if contact.language in ("vi", "en") else "vi"
    line = service.progress_line(service.progress(session, row, now), content.texts, lang, row)
    return [Reply(text=line)]


def erase(session: Session, contact: Contact, content: ContentStore, settings: object) -> None:
    """/deletedata: the person leaves every broadcast's recipient list (counts shrink)."""
    session.exec(delete(BroadcastRecipient).where(BroadcastRecipient.contact_id == contact.id))


CAPABILITY = Capability(
    name="broadcasts",
    commands=(Command("broadcast", chat.command, officer_only=True),),
    buttons={chat.NS: chat.button},
    officer_buttons=frozenset({chat.NS}),
    flow=Flow(chat.FLOW, chat.on_text, namespace=chat.NS),
    outbox=(
        OutboxKind(broadcasts.KIND, render_copy, lane="bulk"),
        OutboxKind(service.REPORT, render_report, lane="reply"),
        OutboxKind(service.PROGRESS, render_progress, lane="reply"),
    ),
    jobs=(Job("broadcasts", service.run_job, every_minutes=1),),
    personal=PersonalData(tables=("broadcast_recipients",), erase=erase),
)
