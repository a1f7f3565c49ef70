"""Shared facts between processes, e.g. the content generation bumped by `content reload`."""

from __future__ import annotations

from sqlmodel import Session

from storage.models import AppState

CONTENT_GENERATION = "content_generation"


def get_value(session: Session, key: str, default: str | None = None) -> str | None:
    row = session.get(AppState, key)
    return row.value if row else default


def set_value(session: Session, key: str, value: str) -> None:
    row = session.get(AppState, key)
    if row is None:
        row = AppState(key=key, value=value)
    else:
        row.value = value
    session.add(row)


def bump(session: Session, key: str) -> int:
    value = int(get_value(session, key, "0") or 0) + 1
    set_value(session, key, str(value))
    return value
