"""Who is an officer, and what officers are told.

Rights are read at every message from the settings (SXSH_OFFICER_IDS) and the officers table
(`sxsh-bot officers add|remove`), never from a role stored once: a removal takes effect at the
next message in every process. Officer notifications (ticket cards, reminders, the digest;
broadcast reports later) are outbox rows, one per officer contact, keyed so each is sent once."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from storage import audit, contacts, officers, outbox

if TYPE_CHECKING:
    from handlers.ports import HandlerSettings
    from storage.models import Contact


def is_officer(session: Session, settings: HandlerSettings, channel: str, platform_id: str) -> bool:
    """Settings first (no query), then the table (one indexed lookup)."""
    if settings.is_officer(channel, platform_id):
        return True
    return officers.get(session, channel, platform_id) is not None


def label(contact: Contact) -> str:
    """How an officer in chat is recorded: "telegram:123"."""
    return f"{contact.channel}:{contact.platform_id}"


def contact_of(session: Session, officer: str | None) -> Contact | None:
    """The contact of an officer recorded as "channel:platform id" (None for "cli:NAME", for
    nobody, or for someone the bot never talked to)."""
    channel, _, platform_id = (officer or "").partition(":")
    if not platform_id or channel == "cli":
        return None
    return contacts.get(session, channel, platform_id)


def officer_contacts(session: Session, settings: HandlerSettings) -> list[Contact]:
    """Officers the bot can write to now: in the settings or the table, and with a contact row
    (the bot cannot start a chat with someone who never wrote to it)."""
    pairs = [tuple(i.split(":", 1)) for i in settings.officer_ids if ":" in i]
    return officers.contacts_of(session, pairs)


def notify_officers(
    session: Session,
    settings: HandlerSettings,
    kind: str,
    key: str,
    payload: dict,
    now: datetime,
    *,
    skip: int | None = None,
) -> int:
    """One outbox row of `kind` per officer contact (except contact `skip`), keyed
    `<key>:<contact id>`: however often this runs for one `key`, each officer gets it once.
    Returns the number of officers it was queued for."""
    count = 0
    for contact in officer_contacts(session, settings):
        if contact.id == skip:
            continue
        outbox.enqueue(session, f"{key}:{contact.id}", contact.id, kind, now, payload)
        count += 1
    return count


def record(
    ctx, action: str, target_kind: str | None = None, target_id: object = None,  # noqa: ANN001
    detail: str | None = None,
) -> None:  # fmt: skip
    """Write the officer's action in this message's transaction (storage/audit.py). `ctx` is
    the handler Context (not imported: the context imports this module for the rights)."""
    audit.record(ctx.session, label(ctx.contact), action, ctx.now, target_kind, target_id, detail)
