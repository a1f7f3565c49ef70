"""The figures officers report upward, computed once: `/stats` in chat, `sxsh-bot report`'s
workbook and its charts all come from `figures()`, so they cannot disagree."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from content.baseline import Baseline
from content.forms import Questionnaire
from content.texts import Texts
from handlers.reports.labels import SECTOR_QUESTION
from handlers.reports.responses import aware
from handlers.reports.summary import (
    PARK_QUESTION,
    SummaryRow,
    groups,
    latest_records,
    shares_by,
)
from storage import report_queries as queries
from storage import tickets
from storage.assessments import COMPLETED
from storage.models import ContactStatus
from storage.tickets_models import TicketStatus

CONTACT_STATES = tuple(s.value for s in ContactStatus)  # active, stopped, blocked
TICKET_STATES = (*(s.value for s in TicketStatus), "unclaimed")


@dataclass(frozen=True)
class LevelRow:
    """Enterprises per potential level (level id -> count) in one sector, or in all (`group`
    None); a result without a level counts under "unknown"."""

    group: str | None
    label: str
    counts: dict[str, int]


@dataclass(frozen=True)
class EventRow:
    """One event: its title in the chosen language, start, capacity, registrations."""

    code: str
    title: str
    starts_at: datetime  # aware, UTC
    status: str
    capacity: int | None
    registered: int
    waiting: int
    attended: int


@dataclass(frozen=True)
class BroadcastRow:
    """One broadcast that started: its recipients sent, failed, skipped (stopped, blocked,
    cancelled...) and unknown (a crash mid-send); `open` are still to go."""

    id: int
    started_at: datetime  # aware, UTC
    status: str
    sent: int
    failed: int
    skipped: int
    unknown: int
    open: int


@dataclass(frozen=True)
class Figures:
    """Everything `/stats` and `sxsh-bot report` show, as plain data (labels in `lang`)."""

    lang: str
    since: datetime | None  # aware, or None for all time
    contacts: dict[str, dict[str, int]]  # channel -> state (CONTACT_STATES) -> contacts
    started: int  # assessments begun (every status) since `since`
    completed: int
    by_sector: list[SummaryRow]  # the three shares per sector, then the total
    by_park: list[SummaryRow]  # per industrial park or cluster, then the total
    levels: list[tuple[str, str]]  # (level id, label), low to high, then "unknown"
    levels_by_sector: list[LevelRow]  # then the total row
    events: list[EventRow]
    tickets: dict[str, int]  # open (waiting for an officer), pending, closed, unclaimed
    median_first_reply: float | None  # seconds, tickets opened since `since`; None: none yet
    baseline: dict[str, float]  # the survey's shares (content/baseline.yaml), indicator -> %
    baseline_year: int
    baseline_source: str  # its short name, e.g. "Báo Cần Thơ"
    broadcasts: list[BroadcastRow]  # started since `since`, oldest first

    @property
    def broadcasts_sent(self) -> int:
        """Copies of broadcasts that reached people."""
        return sum(b.sent for b in self.broadcasts)

    @property
    def total(self) -> SummaryRow:
        return self.by_sector[-1]


def figures(
    session: Session,
    questionnaire: Questionnaire,
    texts: Texts,
    lang: str,
    *,
    tz: ZoneInfo,
    baseline: Baseline,
    since: datetime | None = None,
) -> Figures:
    """The figures from the database now, labelled in `lang` from `texts`, next to `baseline`
    (the content's survey). `since` (a naive
    one is a day in `tz`, the settings' time zone) limits assessments (completed or started
    since), events (starting since) and the first-reply time (tickets opened since); contacts
    and tickets are counted as they are now."""
    start = aware(since, tz)
    contacts: dict[str, dict[str, int]] = {}
    for (channel, state), n in sorted(queries.contact_counts(session).items()):
        contacts.setdefault(channel, dict.fromkeys(CONTACT_STATES, 0))[state] = n
    counts = queries.response_counts(session, questionnaire.id, start)
    records = latest_records(session, questionnaire, tz=tz, since=start)
    by_sector = shares_by(records, questionnaire, SECTOR_QUESTION, lang=lang, texts=texts)
    by_park = shares_by(records, questionnaire, PARK_QUESTION, lang=lang, texts=texts)
    levels = [(lv.id, lv.label.get(lang)) for lv in questionnaire.scoring.levels]
    atexts = texts.by_lang.get(lang) or texts.by_lang["vi"]
    levels.append(("unknown", atexts.get("assessment.result.level_unknown", "unknown")))

    def level_row(group: str | None, label: str, recs: list) -> LevelRow:  # noqa: ANN001
        tally = {level_id: 0 for level_id, _ in levels}
        for rec in recs:
            level = rec.result.get("level")
            tally[level if level in tally else "unknown"] += 1
        return LevelRow(group, label, tally)

    sectors = groups(records, questionnaire, SECTOR_QUESTION, lang, texts)
    levels_by_sector = [level_row(code, label, recs) for code, label, recs in sectors]
    levels_by_sector.append(level_row(None, by_sector[-1].label, records))
    events = [
        EventRow(
            c.event.code,
            (c.event.title_en if lang == "en" else "") or c.event.title_vi,
            c.event.starts_at,
            c.event.status,
            c.event.capacity,
            c.registered,
            c.waiting,
            c.attended,
        )
        for c in queries.event_counts(session, start)
    ]
    broadcasts = [
        BroadcastRow(
            c.broadcast.id, c.broadcast.started_at, c.broadcast.status,
            *(c.states.get(state, 0) for state in ("sent", "failed", "skipped", "unknown")),
            c.states.get("pending", 0) + c.states.get("sending", 0),
        )
        for c in queries.broadcast_counts(session, start)
    ]  # fmt: skip
    delays = queries.first_reply_delays(session, start)
    ticket_counts = {state: 0 for state in TICKET_STATES} | tickets.counts(session)
    return Figures(
        lang=lang,
        since=start,
        contacts=contacts,
        started=sum(counts.values()),
        completed=counts.get(COMPLETED, 0),
        by_sector=by_sector,
        by_park=by_park,
        levels=levels,
        levels_by_sector=levels_by_sector,
        events=events,
        tickets=ticket_counts,
        median_first_reply=statistics.median(delays) if delays else None,
        baseline=dict(baseline.shares),
        baseline_year=baseline.year,
        baseline_source=baseline.short,
        broadcasts=broadcasts,
    )
