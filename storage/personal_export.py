"""Everything the database holds about one contact, for a data-subject request (Law 91/2025/QH15
on personal data protection: a person may ask what is kept about them). The tables are found
from the schema (every table with a foreign key to `contacts.id`), so a table added later is
exported without changing this module."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session, SQLModel

from storage.models import Contact


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _rows(session: Session, query) -> list[dict[str, Any]]:  # noqa: ANN001
    return [{k: _plain(v) for k, v in r._mapping.items()} for r in session.execute(query)]


def collect(session: Session, contact: Contact) -> dict[str, list[dict[str, Any]]]:
    """{table: [row as a dict]} for the contact row, every row that references it, and the
    rows that belong to those (a ticket's messages); tables with no such row are left out. A
    row reached both ways (a message the person's ticket holds, written by them) appears once."""
    tables = SQLModel.metadata.sorted_tables
    contacts = next(t for t in tables if t.name == "contacts")
    data = {"contacts": _rows(session, select(contacts).where(contacts.c.id == contact.id))}
    for table in tables:
        mine = [fk.parent == contact.id for fk in table.foreign_keys if fk.column.table is contacts]
        if mine and (found := _rows(session, select(table).where(or_(*mine)))):
            data[table.name] = found
    # One level further: rows that belong to those rows (a ticket's messages belong to the
    # ticket, which belongs to the contact), found from the schema too.
    direct = dict(data)
    for table in tables:
        theirs = []
        for fk in table.foreign_keys:
            parent = direct.get(fk.column.table.name) if fk.column.table is not contacts else None
            ids = [r[fk.column.name] for r in parent or () if r.get(fk.column.name) is not None]
            if ids:
                theirs.append(fk.parent.in_(ids))
        if not theirs:
            continue
        kept = data.setdefault(table.name, [])
        key = [c.name for c in table.primary_key.columns]
        seen = {tuple(r[k] for k in key) for r in kept}
        for row in _rows(session, select(table).where(or_(*theirs))):
            if tuple(row[k] for k in key) not in seen:
                kept.append(row)
        if not kept:
            del data[table.name]
    return data
