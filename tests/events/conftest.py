"""Helpers for the events tests: an event saved the way officers save one, people talking."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from handlers.events import service
from storage import events as store
from storage.events_models import Event
from tests.chat import Person

# FrozenClock starts at 2026-11-28 02:00 UTC (09:00 in Cần Thơ).
START = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)  # Thứ Sáu, 04/12/2026 lúc 08:00


def event_fields(code: str = "ws-1", **over: object) -> dict:
    fields = {
        "code": code,
        "kind": "workshop",
        "title_vi": "Hội thảo tiết kiệm năng lượng",
        "title_en": "Energy saving workshop",
        "description_vi": "",
        "description_en": "",
        "starts_at": START,
        "ends_at": None,
        "date_only": False,
        "deadline_on": None,
        "place": "Hội trường Sở Công Thương",
        "online_url": "",
        "organiser": "Sở Công Thương",
        "capacity": None,
        "registration_deadline": None,
        "topics": '["workshops"]',
        "audience": "{}",
    }
    fields.update(over)
    return fields


def save(conversation, now=None, status: str = "published", **over: object) -> Event:
    """Create or change an event as the import and the officer chat do; returns it."""
    now = now or conversation.clock.now()
    with Session(conversation.engine, expire_on_commit=False) as s:
        event, _ = service.save(
            s,
            event_fields(**over),
            status,
            conversation.content.events,
            conversation.settings.tz,
            now,
        )
        s.commit()
        return event


def reload(conversation, code: str = "ws-1") -> Event:
    with Session(conversation.engine) as s:
        return store.by_code(s, code)


@pytest.fixture
def person(conversation) -> Person:
    p = Person(conversation, user_id="dn1")
    p.says("/start")
    return p
