"""Officers granted in the database (`sxsh-bot officers add|remove|list`). SXSH_OFFICER_IDS
grants too; handlers ask both at every message (handlers/roles.py), so a removal here takes
effect at the next message in every process."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, tuple_
from sqlmodel import Session, select

from storage.models import Contact
from storage.tickets_models import Officer, OfficerRole


def get(session: Session, channel: str, platform_id: str) -> Officer | None:
    query = select(Officer).where(Officer.channel == channel, Officer.platform_id == platform_id)
    return session.exec(query).first()


def add(
    session: Session,
    channel: str,
    platform_id: str,
    display_name: str,
    role: OfficerRole,
    added_by: str,
    now: datetime,
) -> tuple[Officer, bool]:
    """Grant (or update the name and role of) an officer; returns (row, created)."""
    row = get(session, channel, platform_id)
    created = row is None
    if row is None:
        row = Officer(channel=channel, platform_id=platform_id, added_at=now, added_by=added_by,
                      display_name=display_name, role=role)  # fmt: skip
    row.display_name, row.role = display_name, role
    session.add(row)
    session.flush()
    return row, created


def remove(session: Session, channel: str, platform_id: str) -> bool:
    result = session.exec(
        delete(Officer).where(Officer.channel == channel, Officer.platform_id == platform_id)
    )
    return result.rowcount > 0


def all_officers(session: Session) -> list[Officer]:
    return list(session.exec(select(Officer).order_by(Officer.channel, Officer.platform_id)))


def contacts_of(session: Session, ids: Iterable[tuple[str, str]]) -> list[Contact]:
    """The contact rows of these (channel, platform id) pairs and of every officer in the
    table: the officers the bot can write to (a person the bot never talked to has none)."""
    pairs = set(ids) | {(o.channel, o.platform_id) for o in all_officers(session)}
    if not pairs:
        return []
    query = select(Contact).where(tuple_(Contact.channel, Contact.platform_id).in_(list(pairs)))
    return list(session.exec(query.order_by(Contact.id)))


def display_names(session: Session, labels: Iterable[str | None]) -> dict[str, str]:
    """How officers read who holds a ticket: "telegram:123" -> the name kept in this table,
    "cli:NAME" -> NAME; a label with no row (granted by SXSH_OFFICER_IDS only) stays as it is.
    One query for all the labels."""
    names = {label: label for label in labels if label}
    pairs = []
    for label in names:
        channel, _, platform_id = label.partition(":")
        if channel == "cli" and platform_id:
            names[label] = platform_id
        elif platform_id:
            pairs.append((channel, platform_id))
    if pairs:
        query = select(Officer).where(tuple_(Officer.channel, Officer.platform_id).in_(pairs))
        for officer in session.exec(query):
            names[f"{officer.channel}:{officer.platform_id}"] = officer.display_name
    return names


def display_name(session: Session, label: str | None) -> str:
    """One label's display name (display_names); "" for nobody."""
    return display_names(session, [label]).get(label or "", "")
