"""Contacts: who talks to the bot, on which channel, in which language, and whether they
want proactive messages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.models import ConsentRecord, Contact, ContactStatus
from storage.tickets_models import Officer


def lock_person(session: Session, channel: str, platform_id: str) -> None:
    """Serialise one person's messages across processes sharing PostgreSQL: two messages
    arriving at two webhook processes at once are handled one after the other, so both see
    the state the other left (e.g. the next assessment question). Released at commit.
    SQLite needs nothing: it has one writer at a time anyway."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.blake2b(f"{channel}:{platform_id}".encode(), digest_size=8).digest()
    key = int.from_bytes(digest, "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def get(session: Session, channel: str, platform_id: str) -> Contact | None:
    return session.exec(
        select(Contact).where(Contact.channel == channel, Contact.platform_id == platform_id)
    ).first()


@dataclass(frozen=True)
class Arrival:
    """A message's sender as its turn starts: the contact, whether it was new, and whether the
    officers table lists them (the settings' officers are the handlers' to check)."""

    contact: Contact
    is_new: bool
    listed_officer: bool


def arrive(
    session: Session,
    channel: str,
    platform_id: str,
    now: datetime,
    *,
    display_name: str | None = None,
    language: str = "vi",
    role: str | None = None,
) -> Arrival:
    """Find or create the contact, record that they were seen now, and read whether they are a
    listed officer. A known person costs one statement (UPDATE ... RETURNING, the officers
    table read in it): every message passes here, and under load each round trip to
    PostgreSQL waits for a core (issue 13).

    Two processes may see a new person at once; the unique key decides and the loser re-reads.
    """
    listed = (
        select(Officer.id)
        .where(Officer.channel == Contact.channel, Officer.platform_id == Contact.platform_id)
        .exists()
    )
    seen = (
        update(Contact)
        .where(Contact.channel == channel, Contact.platform_id == platform_id)
        .values(last_seen=now)
        .returning(Contact, listed)
    )
    row = session.execute(seen).first()
    contact, created = (row[0], False) if row is not None else (None, False)
    if contact is None:
        contact = Contact(
            channel=channel,
            platform_id=platform_id,
            display_name=display_name,
            language=language,
            first_seen=now,
            last_seen=now,
        )
        try:
            with session.begin_nested():
                session.add(contact)
                session.flush()
            created = True
        except IntegrityError:
            contact = get(session, channel, platform_id)
            assert contact is not None
            contact.last_seen = now
        officer = session.exec(
            select(Officer.id).where(Officer.channel == channel, Officer.platform_id == platform_id)
        ).first()
        row = (contact, officer is not None)
    if display_name and contact.display_name != display_name:
        contact.display_name = display_name
    if role and contact.role != role:
        contact.role = role
    # A message from someone who had blocked the bot means they are back.
    if contact.status == ContactStatus.blocked:
        contact.status = ContactStatus.active
    session.add(contact)
    return Arrival(contact, created, bool(row[1]))


def touch(
    session: Session, channel: str, platform_id: str, now: datetime, language: str = "vi"
) -> tuple[Contact, bool]:
    """`arrive` for callers that need only (contact, is_new): set-ups, benchmarks, tools."""
    arrival = arrive(session, channel, platform_id, now, language=language)
    return arrival.contact, arrival.is_new


def set_status(session: Session, contact: Contact, status: ContactStatus) -> None:
    contact.status = status
    session.add(contact)


def set_flow(session: Session, contact: Contact, flow: str | None) -> None:
    if contact.active_flow != flow:
        contact.active_flow = flow
        session.add(contact)


def set_language(session: Session, contact: Contact, language: str) -> None:
    contact.language = language
    session.add(contact)


def record_consent(
    session: Session,
    contact: Contact,
    purpose: str,
    wording_version: str,
    granted: bool,
    now: datetime,
) -> ConsentRecord:
    rec = ConsentRecord(
        contact_id=contact.id,
        purpose=purpose,
        wording_version=wording_version,
        granted=granted,
        given_at=now,
    )
    session.add(rec)
    session.flush()
    return rec


def has_consent(session: Session, contact: Contact, purpose: str) -> bool:
    """The latest decision for the purpose counts; silence is not consent."""
    rec = session.exec(
        select(ConsentRecord)
        .where(ConsentRecord.contact_id == contact.id, ConsentRecord.purpose == purpose)
        .order_by(ConsentRecord.given_at.desc(), ConsentRecord.id.desc())
    ).first()
    return bool(rec and rec.granted and rec.withdrawn_at is None)


def withdraw_consent(session: Session, contact: Contact, purpose: str, now: datetime) -> int:
    rows = session.exec(
        select(ConsentRecord).where(
            ConsentRecord.contact_id == contact.id,
            ConsentRecord.purpose == purpose,
            ConsentRecord.withdrawn_at.is_(None),
        )
    ).all()
    for rec in rows:
        rec.withdrawn_at = now
        session.add(rec)
    return len(rows)
