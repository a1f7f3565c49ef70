"""Broadcast audiences that found nobody although people matched (tester's faults 2 and 3):
a ward written with letters SQLite's lower() does not fold (Đ, Ô, Ư), and "unfinished" once
anyone's completed response had lost its contact to /deletedata (SQL NOT IN with a NULL)."""

from __future__ import annotations

from sqlmodel import Session

from storage import broadcasts, contacts
from storage.db import session_scope
from storage.models import Response
from tests.test_broadcasts import people


def who(conversation, spec: dict) -> list[str]:
    with Session(conversation.engine) as s:
        found = broadcasts.resolve(s, broadcasts.parse_audience(spec))
        return [c.platform_id for c in found.included]


def response(contact_id: int | None, status: str, clock) -> Response:
    return Response(
        contact_id=contact_id, questionnaire_id="quick", questionnaire_version="1",
        status=status, started_at=clock.now(), updated_at=clock.now(),
        completed_at=clock.now() if status == "completed" else None,
    )  # fmt: skip


def test_a_ward_with_vietnamese_capitals_is_found_in_any_case(conversation, clock):
    people(conversation, clock, 2, sector="seafood", ward="Phường Thới An Đông")
    people(conversation, clock, 1, prefix="o", sector="seafood", ward="Phường Ô Môn")
    for typed in ("Phường Thới An Đông", "phường thới an đông", "PHƯỜNG THỚI AN ĐÔNG"):
        assert who(conversation, {"ward": typed}) == ["p0", "p1"], typed
    assert who(conversation, {"ward": "phường ô môn"}) == ["o0"]
    assert who(conversation, {"ward": "Phường Ninh Kiều"}) == []


def test_unfinished_still_reaches_people_after_someone_deleted_their_data(conversation, clock):
    [started, done] = people(conversation, clock, 2)
    with session_scope(conversation.engine) as s:
        contact = s.get(contacts.Contact, started)
        contacts.record_consent(s, contact, broadcasts.CONSENT_PURPOSE, "v1", True, clock.now())
        s.add(response(started, "in_progress", clock))
        s.add(response(done, "completed", clock))
        s.add(response(None, "completed", clock))  # kept for the figures after /deletedata
    assert who(conversation, {"unfinished": True}) == ["p0"]


def test_a_ward_name_with_spaces_needs_no_quotes():
    from handlers.broadcasts.chat import parse_filters

    assert parse_filters("ward=Phường Thới An Đông sector=seafood unfinished") == {
        "ward": "Phường Thới An Đông",
        "sector": "seafood",
        "unfinished": True,
    }
    assert parse_filters("park='Trà Nóc 2'") == {"park": "Trà Nóc 2"}
