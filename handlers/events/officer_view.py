"""What officers see of one event: registrations by state, reminders by state (skipped ones
by reason), and the registrations as rows for an Excel export."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from content.store import ContentStore
from handlers.events import display
from handlers.messages import channel_name
from storage import events as store
from storage import events_reminders as reminders
from storage.events_models import Event, RegistrationStatus
from storage.models import Answer, Contact, Enterprise, Response

# The questionnaire's personal questions, asked only with the person's consent.
NAME_QUESTION, PHONE_QUESTION = "contact_name", "contact_phone"
EXPORT_COLUMNS = (
    "who",
    "enterprise",
    "sector",
    "phone",
    "status",
    "registered_at",
    "attended",
)


def summary(session: Session, event: Event) -> dict[str, dict[str, int]]:
    """{"registrations": {registered, waiting, cancelled}, "reminders": {pending, sent,
    failed, unreachable, skipped:<reason>...}}."""
    regs = {s.value: 0 for s in RegistrationStatus}
    for reg in store.registrations(session, event.id):
        regs[reg.status] = regs.get(reg.status, 0) + 1
    return {"registrations": regs, "reminders": reminders.counts(session, event.id)}


def info_text(
    content: ContentStore, session: Session, event: Event, tz: ZoneInfo, lang: str
) -> str:
    """/eventinfo and `sxsh-bot events show`: the event's state, registrations and reminders
    in the officer's words (texts `events.officer.*`), never the stored codes."""
    t = content.texts
    facts = summary(session, event)
    regs, rem = facts["registrations"], facts["reminders"]
    skipped = ", ".join(
        f"{t.get(lang, 'events.officer.skip_reason.' + k.split(':', 1)[1])} {v}"
        for k, v in sorted(rem.items())
        if ":" in k
    )
    text = t.get(
        lang,
        "events.officer.info",
        title=display.title(event, lang),
        code=event.code,
        status=t.get(lang, f"events.officer.state.{event.status}"),
        version=event.version,
        when=display.when(content, event, tz, lang),
        registered=regs.get("registered", 0),
        waiting=regs.get("waiting", 0),
        cancelled=regs.get("cancelled", 0),
        pending=rem.get("pending", 0),
        sent=rem.get("sent", 0),
        failed=rem.get("failed", 0) + rem.get("unreachable", 0),
        skipped=skipped or "0",
    )
    zalo = reminders.zalo_routes(session, event.id)
    return text + "\n" + zalo_line(content, zalo, lang) if zalo else text


def zalo_line(content: ContentStore, routes: dict[str, int], lang: str) -> str:
    """How reminders reached Zalo OA contacts: free, on the OA's quota, not reachable and why
    (texts `events.officer.zalo*`)."""
    t = content.texts
    reasons = ", ".join(
        f"{_reason(content, k.split(':', 1)[1], lang)} {v}"
        for k, v in sorted(routes.items())
        if k.startswith("not_reachable:")
    )
    unreachable = sum(v for k, v in routes.items() if k.startswith("not_reachable:"))
    return t.get(
        lang,
        "events.officer.zalo",
        free=routes.get("free", 0),
        quota=routes.get("quota", 0),
        unreachable=unreachable,
        reasons=f" ({reasons})" if reasons else "",
    )


# Reasons with words of their own (texts events.officer.zalo_reason.*); others as Zalo said.
_KNOWN = {
    "outside_window": "outside_window",
    "blocked": "blocked",
    "contact blocked": "blocked",
    "contact stopped": "stopped",
    "contact gone": "gone",
}


def _reason(content: ContentStore, reason: str, lang: str) -> str:
    known = _KNOWN.get(reason)
    return content.texts.get(lang, f"events.officer.zalo_reason.{known}") if known else reason


def _consented(session: Session, contact_id: int) -> dict[str, str]:
    """Name and phone from the person's latest assessment given with personal-data consent."""
    response = session.exec(
        select(Response)
        .where(Response.contact_id == contact_id, Response.personal_consent == True)  # noqa: E712
        .order_by(col(Response.updated_at).desc())
    ).first()
    if response is None:
        return {}
    rows = session.exec(
        select(Answer).where(
            Answer.response_id == response.id,
            col(Answer.question_id).in_([NAME_QUESTION, PHONE_QUESTION]),
        )
    ).all()
    return {a.question_id: json.loads(a.value) for a in rows if json.loads(a.value)}


def export_rows(
    session: Session, event: Event, tz: ZoneInfo, content: ContentStore, lang: str
) -> list[list[object]]:
    """One row per registration (cancelled ones too), in EXPORT_COLUMNS order; times local,
    the status in words of `lang` (texts `events.status.*`)."""
    out: list[list[object]] = []
    for reg in store.registrations(session, event.id):
        contact = session.get(Contact, reg.contact_id)
        enterprise = (
            session.get(Enterprise, contact.enterprise_id)
            if contact and contact.enterprise_id
            else None
        )
        personal = _consented(session, reg.contact_id)
        who = personal.get(NAME_QUESTION) or (_unnamed(content, contact, lang) if contact else "")
        out.append(
            [
                who,
                enterprise.name if enterprise else "",
                enterprise.sector if enterprise else "",
                personal.get(PHONE_QUESTION, ""),
                content.texts.get(lang, f"events.status.{reg.status}"),
                _local(reg.registered_at, tz),
                reg.attended,
            ]
        )
    return out


def _unnamed(content: ContentStore, contact: Contact, lang: str) -> str:
    """Someone who gave no name (or did not consent to keeping it): their channel and contact
    number, so officers can tell rows apart and find the person in the inbox."""
    channel = channel_name(contact.channel)
    return content.texts.get(lang, "events.export.unnamed", channel=channel, id=contact.id)


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None)  # Excel has no time zones
