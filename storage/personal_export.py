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
    """{table: [row as a dict]} for the contact row and every row that references it; tables
    with no row for this contact are left out."""
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
    return data
