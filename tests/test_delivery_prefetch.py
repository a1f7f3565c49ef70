"""Claiming a batch costs a few statements whatever its size: the rows are claimed in one
UPDATE, their people read in one query, and a kind may prefetch what its renderer needs in one
more (2,000 registrants' reminders go in seconds). A prefetch that fails only costs speed."""

from __future__ import annotations

import asyncio

from sqlalchemy import event
from sqlmodel import Session

from bot.delivery import Delivery, Kind, KindTable
from handlers.messages import Reply
from storage.models import Contact
from tests.test_delivery_lanes import FAST, Recorder, conv, enqueue  # noqa: F401 (conv: fixture)


def _fetch_names(session: Session, payloads: list[dict]) -> None:
    session.info["names"] = {p["t"]: p["t"].upper() for p in payloads}


def _render(session, content, contact, payload, now):
    names = session.info.get("names")
    return [Reply(text=names[payload["t"]] if names else f"slow {payload['t']}")]


def _broken_fetch(session: Session, payloads: list[dict]) -> None:
    session.get(Contact, -1)  # a query inside the savepoint, then a bug
    raise RuntimeError("a prefetch bug")


def deliver(conv, clock, prefetch, people: int) -> tuple[list[str], list[str]]:  # noqa: F811
    """Send `people` rows of one kind; returns the texts sent and the SQL statements run."""
    kinds = KindTable(lambda: {"note": Kind(_render, lane="reminder", prefetch=prefetch)})
    recorder = Recorder()
    for n in range(people):
        enqueue(conv, clock, "note", f"n{n}", person=f"p{n}")
    statements: list[str] = []

    def seen(conn, cursor, statement, *rest) -> None:  # noqa: ANN001
        statements.append(" ".join(statement.split()))

    event.listen(conv.engine, "before_cursor_execute", seen)
    try:
        lanes = Delivery(
            conv.engine, conv, clock, {"console": recorder}, kinds=kinds, limits={"console": FAST}
        )
        assert asyncio.run(lanes.run_once()) == {"sent": people}
    finally:
        event.remove(conv.engine, "before_cursor_execute", seen)
    return sorted(t for _, t in recorder.sent), statements


def test_rows_render_from_the_prefetch(conv, clock):  # noqa: F811
    sent, _ = deliver(conv, clock, _fetch_names, 5)
    assert sent == ["N0", "N1", "N2", "N3", "N4"]


def test_a_failing_prefetch_only_costs_speed(conv, clock):  # noqa: F811
    sent, _ = deliver(conv, clock, _broken_fetch, 5)
    assert sent == ["slow n0", "slow n1", "slow n2", "slow n3", "slow n4"]


def test_a_batch_is_claimed_in_one_update_and_its_people_read_in_one_query(conv, clock):  # noqa: F811
    sent, statements = deliver(conv, clock, _fetch_names, 30)
    assert len(sent) == 30
    claims = [
        s for s in statements if s.startswith("UPDATE outbox SET status") and "claimed_at=" in s
    ]
    people = [s for s in statements if s.startswith("SELECT contacts.") and " IN (" in s]
    assert (len(claims), len(people)) == (1, 1)
