"""Everything the database holds about one contact, for a data-subject request (Law 91/2025/QH15
on personal data protection: a person may ask what is kept about them). The tables are found
from the schema (every table with a foreign key to `contacts.id`), so a table added later is
exported without changing this module."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, SQLModel

from storage.models import Contact


def contact_tables() -> list[tuple[str, list[str]]]:
    """(table name, columns holding a contact id) for every table that references contacts."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        columns = [
            fk.parent.name for fk in table.foreign_keys if fk.column.table.name == "contacts"
        ]
        if columns:
            found.append((table.name, columns))
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def collect(session: Session, contact: Contact) -> dict[str, list[dict[str, Any]]]:
    """{table: [row as a dict]} for the contact row, every row that references it, and the
    rows that belong to those (a ticket's messages); tables with no such row are left out."""
    data: dict[str, list[dict[str, Any]]] = {}
    tables = {t.name: t for t in SQLModel.metadata.sorted_tables}
    rows = session.execute(select(tables["contacts"]).where(tables["contacts"].c.id == contact.id))
    data["contacts"] = [{k: _plain(v) for k, v in r._mapping.items()} for r in rows]
    for name, columns in contact_tables():
        table = tables[name]
        where = [table.c[c] == contact.id for c in columns]
        condition = where[0] if len(where) == 1 else where[0] | where[1]
        for extra in where[2:]:
            condition = condition | extra
        found = [
            {k: _plain(v) for k, v in r._mapping.items()}
            for r in session.execute(select(table).where(condition))
        ]
        if found:
            data[name] = found
    # One level further: rows that belong to those rows (a ticket's messages belong to the
    # ticket, which belongs to the contact), found from the schema too.
    for table in SQLModel.metadata.sorted_tables:
        if table.name in data:
            continue
        for fk in table.foreign_keys:
            parent = fk.column.table.name
            if parent == "contacts" or parent not in data:
                continue
            ids = [r[fk.column.name] for r in data[parent] if r.get(fk.column.name) is not None]
            if not ids:
                continue
            rows = session.execute(select(table).where(table.c[fk.parent.name].in_(ids)))
            found = [{k: _plain(v) for k, v in r._mapping.items()} for r in rows]
            if found:
                data.setdefault(table.name, []).extend(found)
    return data
