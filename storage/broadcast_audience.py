"""Who a broadcast reaches (issue 11 "Broadcasts"): the audience spec, checked, and the contacts
it names now, included or excluded with the reason (stopped, blocked, no consent, outside the
Zalo OA window)."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, select

from storage.events_models import Event, Registration, RegistrationStatus, Subscription
from storage.models import ConsentRecord, Contact, ContactStatus, Enterprise, Response
from storage.zalo_oa_models import ZaloOAContact

# The audience keys; several keys narrow together (AND). {"all": true} is everyone.
AUDIENCE_KEYS = ("all", "topic", "sector", "park", "ward", "level", "event", "unfinished",
                 "language", "channel")  # fmt: skip
# Targeting by assessment answers uses data given for the assessment: only people who agreed
# to be contacted about it (the assessment's consent purpose) are included.
CONSENT_PURPOSE = "assessment_contact"
NEEDS_CONSENT = ("level", "unfinished")
# Zalo OA: a person who wrote nothing for 7 days cannot get a free-form message (CHANNELS.md).
ZALO_OA = "zalo_oa"
ZALO_INTERACTION = timedelta(days=7)


class AudienceError(ValueError):
    """An audience spec that cannot be used; the message is the part that is wrong, as typed
    (the chat and the terminal say it in their own words)."""


@dataclass
class Audience:
    """Who a spec reaches now: included contacts, exclusions per (channel, reason)."""

    included: list[Contact] = field(default_factory=list)
    excluded: list[tuple[Contact, str]] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)  # a few enterprise names

    def per_channel(self) -> Counter[str]:
        return Counter(c.channel for c in self.included)

    def excluded_per_reason(self) -> Counter[str]:
        return Counter(reason for _, reason in self.excluded)


def parse_audience(spec: dict | str) -> dict:
    """A validated spec (JSON text or dict). Raises AudienceError for an unknown key, an
    empty value, or nothing chosen."""
    if isinstance(spec, str):
        try:
            spec = json.loads(spec or "{}")
        except ValueError as exc:
            raise AudienceError(spec) from exc
    if not isinstance(spec, dict) or not spec:
        raise AudienceError("{}")
    clean: dict = {}
    for key, value in spec.items():
        if key not in AUDIENCE_KEYS:
            raise AudienceError(key)
        if key in ("all", "unfinished"):
            if value is not True:
                raise AudienceError(f"{key}={value}")
        elif not isinstance(value, str) or not value.strip():
            raise AudienceError(f"{key}=")
        else:
            value = value.strip()
        clean[key] = value
    if "all" in clean and len(clean) > 1:
        raise AudienceError("all + " + ", ".join(k for k in clean if k != "all"))
    return clean


def resolve(
    session: Session, spec: dict, samples: int = 3, now: datetime | None = None
) -> Audience:
    """The contacts the spec names now, split into included and excluded (stopped, blocked,
    no consent, and with `now`: Zalo OA people outside the platform's window), ordered by
    contact id."""
    query = select(Contact)
    if "channel" in spec:
        query = query.where(Contact.channel == spec["channel"])
    if "language" in spec:
        query = query.where(Contact.language == spec["language"])
    company = {"sector": Enterprise.sector, "park": Enterprise.industrial_park,
               "ward": Enterprise.ward}  # fmt: skip
    if any(k in spec for k in company):
        query = query.join(Enterprise, Enterprise.id == Contact.enterprise_id)
        for key, column in company.items():
            if key in spec:
                query = query.where(column.in_(_same_text(session, column, spec[key])))
    if "topic" in spec:
        subs = select(Subscription.contact_id).where(Subscription.topic == spec["topic"])
        query = query.where(Contact.id.in_(subs))
    if "event" in spec:
        regs = (
            select(Registration.contact_id)
            .join(Event, Event.id == Registration.event_id)
            .where(Event.code == spec["event"], Registration.status != RegistrationStatus.cancelled)
        )
        query = query.where(Contact.id.in_(regs))
    if "unfinished" in spec:
        started = select(Response.contact_id).where(Response.status == "in_progress")
        # A response kept for the figures after /deletedata has no contact: a NULL in NOT IN
        # would make the filter match nobody.
        done = select(Response.contact_id).where(
            Response.status == "completed", Response.contact_id.is_not(None)
        )
        query = query.where(Contact.id.in_(started), Contact.id.not_in(done))
    contacts = list(session.exec(query.order_by(Contact.id)))
    if "level" in spec:
        levels = _latest_levels(session)
        contacts = [c for c in contacts if levels.get(c.id) == spec["level"]]
    consented = _consented(session) if any(k in spec for k in NEEDS_CONSENT) else None
    closed = _zalo_window_closed(session, contacts, now) if now is not None else set()
    found = Audience()
    for contact in contacts:
        if contact.status == ContactStatus.stopped:
            found.excluded.append((contact, "stopped"))
        elif contact.status == ContactStatus.blocked:
            found.excluded.append((contact, "blocked"))
        elif consented is not None and contact.id not in consented:
            found.excluded.append((contact, "no_consent"))
        elif contact.id in closed:
            found.excluded.append((contact, "outside_window"))
        else:
            found.included.append(contact)
    ids = [c.enterprise_id for c in found.included if c.enterprise_id][:50]
    if ids and samples:
        names = session.exec(
            select(Enterprise.name).where(Enterprise.id.in_(ids), Enterprise.name.is_not(None))
        )
        found.samples = sorted({n for n in names if n})[:samples]
    return found


def fold(text: str) -> str:
    """How sector, park and ward values compare: composed, trimmed, without case (Vietnamese
    capitals included; the chat's and the terminal's value checks use the same)."""
    return unicodedata.normalize("NFC", text).strip().casefold()


def _same_text(session: Session, column, typed: str) -> list[str]:
    """The stored values of `column` equal to `typed` by `fold`. Compared in Python: SQLite's
    lower() folds only ASCII, so 'Đông' never matched 'đông' there."""
    stored = session.exec(select(column).where(column.is_not(None)).distinct())
    return [value for value in stored if fold(value) == fold(typed)]


def _zalo_window_closed(session: Session, people: list[Contact], now: datetime) -> set[int]:
    """Zalo OA contacts the OA may no longer message: nothing from them within the
    interaction window (CHANNELS.md; bot/channels/zalo_oa/sender.py)."""
    ids = [c.id for c in people if c.channel == ZALO_OA]
    if not ids:
        return set()
    cutoff = now - ZALO_INTERACTION
    recent = session.exec(
        select(ZaloOAContact.contact_id).where(
            ZaloOAContact.contact_id.in_(ids), ZaloOAContact.last_inbound_at >= cutoff
        )
    )
    return set(ids) - set(recent)


def _latest_levels(session: Session) -> dict[int, str]:
    """The potential level of each contact's latest completed assessment."""
    rows = session.exec(
        select(Response.contact_id, Response.result)
        .where(Response.status == "completed", Response.contact_id.is_not(None))
        .order_by(Response.completed_at)
    )
    levels: dict[int, str] = {}
    for contact_id, result in rows:
        try:
            level = json.loads(result or "{}").get("level")
        except (ValueError, AttributeError):
            continue
        if isinstance(level, str):
            levels[contact_id] = level
    return levels


def _consented(session: Session) -> set[int]:
    """Contacts whose latest decision on CONSENT_PURPOSE is a yes."""
    rows = session.exec(
        select(ConsentRecord.contact_id, ConsentRecord.granted, ConsentRecord.withdrawn_at)
        .where(ConsentRecord.purpose == CONSENT_PURPOSE)
        .order_by(ConsentRecord.given_at, ConsentRecord.id)
    )
    latest: dict[int, bool] = {}
    for contact_id, granted, withdrawn in rows:
        latest[contact_id] = bool(granted) and withdrawn is None
    return {cid for cid, yes in latest.items() if yes}
