"""The three figures Cần Thơ reports (know SXSH, have applied it, have a person or unit in
charge) by sector or by park, each enterprise counted once (see `latest_records`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from content.forms import Questionnaire, label_for
from content.texts import Texts
from handlers.reports.labels import SECTOR_QUESTION, default_texts
from handlers.reports.labels import report_text as _t
from handlers.reports.responses import aware
from storage.assessments import COMPLETED
from storage.enterprises import PENDING
from storage.report_queries import ResponseRecord as _Record
from storage.report_queries import response_records

# The three figures Cần Thơ reports (Báo Cần Thơ 2019: ~70 % know, ~45 % applied, ~30 % unit).
INDICATORS = ("know_sxsh", "applied_sxsh", "dedicated_unit")
PARK_QUESTION = "industrial_park"
# What the figures are grouped by: the question, and the enterprise record's field behind it.
GROUPINGS = {SECTOR_QUESTION: "sector", PARK_QUESTION: "industrial_park"}


def _share(yes: int, answered: int) -> float | None:
    """Percentage with one decimal, rounded half up (as people round, not banker's)."""
    if not answered:
        return None
    pct = (Decimal(100 * yes) / Decimal(answered)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return float(pct)


@dataclass(frozen=True)
class SummaryRow:
    """One group (a sector, or a park) or the total (`group=None`): enterprises counted, and
    per indicator (INDICATORS) how many answered "yes", how many answered at all, the share %."""

    group: str | None  # the sector or park code; "" = not given; None = the total row
    label: str
    count: int
    yes: dict[str, int]
    answered: dict[str, int]

    @property
    def sector(self) -> str | None:
        """The group's code, in the summary by sector."""
        return self.group

    @property
    def shares(self) -> dict[str, float | None]:
        return {k: _share(self.yes[k], self.answered[k]) for k in INDICATORS}

    @property
    def know(self) -> float | None:
        return self.shares["know_sxsh"]

    @property
    def applied(self) -> float | None:
        return self.shares["applied_sxsh"]

    @property
    def dedicated(self) -> float | None:
        return self.shares["dedicated_unit"]


def _who(rec: _Record) -> tuple[str, int] | None:
    r = rec.response
    if r.enterprise_claim == PENDING:
        return None  # a stranger's claim waits for an officer; it replaces no figures
    if r.enterprise_id is not None:
        return ("enterprise", r.enterprise_id)
    if r.contact_id is not None:
        return ("contact", r.contact_id)
    return ("response", r.id)


def latest_records(
    session: Session, questionnaire: Questionnaire, *, tz: ZoneInfo, since: datetime | None = None
) -> list[_Record]:
    """Each enterprise once, by its latest completed response (completed since `since`; a
    naive `since` is a day in `tz`, the settings' time zone), with the answers the figures use.

    Why the latest and not every response: the figures describe enterprises, like the city's
    reports ("x % of enterprises know SXSH"); an enterprise that took the assessment again,
    say after a training, would otherwise count twice, and its latest answer is its current
    state. Responses not linked to an enterprise are grouped by contact (the same person
    repeating it), otherwise counted on their own. A pending claim (someone gave an existing
    enterprise's tax code, storage/enterprises.py) is left out until an officer confirms it."""
    ids = [*GROUPINGS, *INDICATORS]
    latest: dict[tuple[str, int], _Record] = {}
    records = response_records(
        session, questionnaire.id, since=aware(since, tz), status=COMPLETED, question_ids=ids
    )
    for rec in records:
        who = _who(rec)
        if who is not None:
            latest[who] = rec  # oldest first: the last one wins
    return list(latest.values())


def group_of(rec: _Record, question_id: str) -> str:
    """The record's sector or park code as answered in that response, else the enterprise
    record's; "" when neither says."""
    code = rec.answers.get(question_id)
    if not code and rec.record is not None:
        code = getattr(rec.record, GROUPINGS[question_id])
    return str(code or "")


def groups(
    records: list[_Record], questionnaire: Questionnaire, question_id: str, lang: str, texts: Texts
) -> list[tuple[str, str, list[_Record]]]:
    """(code, label, records) per sector or park, in the questionnaire's choice order, the
    groups not given last (label `reports.summary.unknown_<question_id>`)."""
    question = questionnaire.by_id.get(question_id)
    atexts = texts.by_lang.get(lang) or texts.by_lang["vi"]
    found: dict[str, list[_Record]] = {}
    for rec in records:
        found.setdefault(group_of(rec, question_id), []).append(rec)
    order = [c.value for c in question.choices] if question else []
    codes = sorted(
        found, key=lambda c: (c == "", c not in order, order.index(c) if c in order else 0, c)
    )
    out = []
    for code in codes:
        if not code:
            label = _t(texts, lang, f"summary.unknown_{question_id}")
        elif question is not None:
            label = label_for(question, code, lang, atexts)
        else:
            label = code
        out.append((code, label, found[code]))
    return out


def _row(group: str | None, label: str, recs: list[_Record]) -> SummaryRow:
    yes = {k: sum(1 for r in recs if r.answers.get(k) == "yes") for k in INDICATORS}
    answered = {k: sum(1 for r in recs if r.answers.get(k) in ("yes", "no")) for k in INDICATORS}
    return SummaryRow(group, label, len(recs), yes, answered)


def shares_by(
    records: list[_Record],
    questionnaire: Questionnaire,
    question_id: str = SECTOR_QUESTION,
    *,
    lang: str = "vi",
    texts: Texts | None = None,
) -> list[SummaryRow]:
    """The three figures per sector (or park: `question_id` PARK_QUESTION) of `records`
    (latest_records), then a total row (group None). A share is of those who answered that
    question (yes or no), so a response given under a version without the question does not
    count as "no"."""
    texts = texts or default_texts()
    rows = [
        _row(code, label, recs)
        for code, label, recs in groups(records, questionnaire, question_id, lang, texts)
    ]
    rows.append(_row(None, _t(texts, lang, "summary.total"), records))
    return rows


def summary(
    session: Session,
    questionnaire: Questionnaire,
    *,
    tz: ZoneInfo,
    since: datetime | None = None,
    lang: str = "vi",
    texts: Texts | None = None,
    by: str = SECTOR_QUESTION,
) -> list[SummaryRow]:
    """The three figures by sector (or by park: `by=PARK_QUESTION`), then a total row; each
    enterprise once (latest_records; a naive `since` is a day in `tz`)."""
    records = latest_records(session, questionnaire, tz=tz, since=since)
    return shares_by(records, questionnaire, by, lang=lang, texts=texts)


def summary_table(
    rows: list[SummaryRow], lang: str = "vi", texts: Texts | None = None
) -> tuple[list[str], list[list[Any]]]:
    """The summary as headers and rows (shares as numbers, None when nobody answered)."""
    texts = texts or default_texts()
    headers = [
        _t(texts, lang, f"summary.{k}") for k in ("sector", "count", "know", "applied", "dedicated")
    ]
    return headers, [[r.label, r.count, r.know, r.applied, r.dedicated] for r in rows]
