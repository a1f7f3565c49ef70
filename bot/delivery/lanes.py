"""Lanes: which proactive messages go first. Each outbox kind belongs to one lane, declared
with its renderer; lanes are claimed in `LANES` order, so an answer to a person's own question
never waits behind reminders or a broadcast (issue 9 "Delivery lanes", issue 11)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from handlers.messages import Reply

if TYPE_CHECKING:
    from sqlmodel import Session

    from content.store import ContentStore
    from storage.models import Contact, Outbox

log = logging.getLogger(__name__)

REPLY = "reply"  # answers to the person's own question, officer answers
REMINDER = "reminder"  # reminders and nudges the person asked for
BULK = "bulk"  # broadcasts
LANES = (REPLY, REMINDER, BULK)  # claim order

Renderer = Callable[["Session", "ContentStore", "Contact", dict, datetime], list[Reply] | None]
# (session, payload, outcome, now): told in the transaction that records a row's final state;
# outcome has status, route (free / quota / not_reachable / None) and reason.
OutcomeHook = Callable[["Session", dict, dict, datetime], None]


@dataclass(frozen=True)
class Kind:
    """How one outbox kind is rendered at delivery time, and its lane."""

    render: Renderer
    lane: str = REMINDER
    prefetch: Callable[[Session, list[dict]], object] | None = None  # see OutboxKind
    on_outcome: OutcomeHook | None = None  # see OutboxKind


class KindTable:
    """The kinds delivery knows, read from `source` at every claim (content reloads and tests
    may add kinds while the process runs). A kind nobody declared is claimed in the reminder
    lane and failed at once with the reason, instead of stopping the lanes."""

    def __init__(self, source: Callable[[], Mapping[str, Kind]]):
        self.source = source

    def snapshot(self) -> Mapping[str, Kind]:
        return self.source()

    @staticmethod
    def lane_filter(kinds: Mapping[str, Kind], lane: str) -> dict[str, list[str]]:
        """The `claim_due` arguments that select `lane`'s rows."""
        if lane == REMINDER:
            return {"other_than": [k for k, v in kinds.items() if v.lane != REMINDER]}
        return {"kinds": [k for k, v in kinds.items() if v.lane == lane]}


def registered_kinds() -> Mapping[str, Kind]:
    """Every outbox kind the capabilities declare, with its renderer and lane. Importing the
    capability registry imports every capability, so a worker that imports only the delivery
    code still renders every kind (issue 9)."""
    from handlers.registry import REGISTRY

    return {
        name: Kind(
            kind.render,
            kind.lane or (REPLY if kind.reply else REMINDER),
            kind.prefetch,
            kind.on_outcome,
        )
        for name, kind in REGISTRY.outbox.items()
    }


def prefetch(session: Session, rows: list[Outbox], kinds: Mapping[str, Kind]) -> None:
    """Each kind's prefetch over its rows of a claimed batch, so the renderers do not query
    once per row; a failure only costs speed (each renderer loads what it needs)."""
    payloads: dict[str, list[dict]] = {}
    for row in rows:
        payloads.setdefault(row.kind, []).append(json.loads(row.payload or "{}"))
    for name, batch in payloads.items():
        kind = kinds.get(name)
        if kind is not None and kind.prefetch is not None:
            try:
                with session.begin_nested():
                    kind.prefetch(session, batch)
            except Exception:  # noqa: BLE001 - the renderers load what they need
                log.exception("outbox: prefetching %s failed", name)
