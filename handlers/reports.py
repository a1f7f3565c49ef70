"""What officers take away from the quick assessment: every answer as a row for Excel or CSV,
and the three figures the city reports (know SXSH, have applied it, have a person or unit in
charge) by sector.

Channel-agnostic on purpose: the CLI uses it today, an officer's chat command can reuse it
(`response_rows` and `summary` return plain data, the writers produce a file to send).

Layout of an export (one row per response, like KoboToolbox's "labels" export):
  response id, submitted at (local time), questionnaire version, enterprise name, tax code,
  sector; then one column per question in questionnaire order - a multiple choice becomes one
  column per choice (1 = chosen, 0 = not chosen, blank = not asked or skipped, so AVERAGE in
  Excel gives the share of those asked), a location becomes a park and a ward column; then the
  score per area, the overall score and the potential level; then, for answers given under an
  older questionnaire version, one column per question that no longer exists (its id).
"""

from __future__ import annotations

import csv
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from content.forms import Question, Questionnaire, is_relevant, label_for
from content.forms.loader import TEXTS_DIR
from content.texts import Texts
from storage.assessments import COMPLETED
from storage.enterprises import PENDING
from storage.models import Answer, Enterprise, Response

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SECTOR_QUESTION = "sector"
# The three figures Cần Thơ reports (Báo Cần Thơ 2019: ~70 % know, ~45 % applied, ~30 % unit).
INDICATORS = ("know_sxsh", "applied_sxsh", "dedicated_unit")
LOCAL_FORMAT = "%d/%m/%Y %H:%M"
XLSX_DATE_FORMAT = "dd/mm/yyyy hh:mm"

Progress = Callable[[int, int], None]  # (done, total), for a progress bar


@lru_cache(maxsize=2)
def default_texts() -> Texts:
    """The packaged texts; callers with a ContentStore pass `content.texts` instead."""
    return Texts.load(TEXTS_DIR)


def _t(texts: Texts, lang: str, key: str, **fields: Any) -> str:
    return texts.get(lang, f"reports.{key}", **fields)


# --- loading responses ------------------------------------------------------------------------


@dataclass
class _Record:
    response: Response
    enterprise: Enterprise | None
    answers: dict[str, Any] = field(default_factory=dict)

    @property
    def when(self) -> datetime:
        return self.response.completed_at or self.response.updated_at

    @property
    def record(self) -> Enterprise | None:
        """The enterprise record, when this response speaks for it (not a pending claim)."""
        return None if self.response.enterprise_claim == PENDING else self.enterprise

    @property
    def result(self) -> dict[str, Any]:
        try:
            data = json.loads(self.response.result or "{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


def _filters(questionnaire: Questionnaire, since: datetime | None, status: str | None) -> list:
    where = [Response.questionnaire_id == questionnaire.id]
    if status is not None:
        where.append(Response.status == status)
    if since is not None:
        if since.tzinfo is None:
            since = since.replace(tzinfo=LOCAL_TZ)  # a day as officers write it
        where.append(
            or_(
                Response.completed_at >= since,
                and_(Response.completed_at.is_(None), Response.updated_at >= since),
            )
        )
    return where


def _load(
    session: Session,
    questionnaire: Questionnaire,
    since: datetime | None,
    status: str | None,
    question_ids: Sequence[str] | None = None,
) -> list[_Record]:
    """Responses with their enterprise and answers in two queries (not one per response)."""
    where = _filters(questionnaire, since, status)
    records: dict[int, _Record] = {}
    query = (
        select(Response, Enterprise)
        .outerjoin(Enterprise, Response.enterprise_id == Enterprise.id)
        .where(*where)
    )
    for response, enterprise in session.exec(query):
        records[response.id] = _Record(response, enterprise)
    answers = select(Answer).join(Response, Answer.response_id == Response.id).where(*where)
    if question_ids is not None:
        answers = answers.where(Answer.question_id.in_(list(question_ids)))
    for row in session.exec(answers.order_by(Answer.id)):
        record = records.get(row.response_id)
        if record is not None:
            try:
                record.answers[row.question_id] = json.loads(row.value)
            except ValueError:
                record.answers[row.question_id] = row.value
    return sorted(records.values(), key=lambda r: (r.when, r.response.id))


# --- cell values ------------------------------------------------------------------------------


def _number(value: Any) -> Any:
    """Numbers stay numbers (Excel can sum them); 45.0 is written 45."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int | float):
        return value
    return None if value is None else str(value)


def _plain(value: Any) -> Any:
    """An answer to a question the questionnaire no longer has: no labels, readable anyway."""
    if value is None or isinstance(value, int | float) and not isinstance(value, bool):
        return _number(value)
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        parts = [str(v) for v in value.values() if v not in (None, "")]
        return "; ".join(parts)
    return str(value)


def _local(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    """Naive local time: Excel has no time zones, officers read Cần Thơ time."""
    if moment is None:
        return None
    if moment.tzinfo is None:  # stored as UTC
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(tz).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class _Column:
    key: str  # the code header (--codes)
    header: str  # the header in the chosen language
    get: Callable[[_Record], Any]


def _answer_columns(
    question: Question,
    records: list[_Record],
    lang: str,
    codes: bool,
    texts: Texts,
    atexts: Mapping[str, str],
    q: Questionnaire,
    visible: Callable[[_Record, Question], bool],
) -> list[_Column]:
    label = question.label.get(lang)

    def value_of(rec: _Record) -> Any:
        return rec.answers.get(question.id) if visible(rec, question) else None

    if question.type == "multi_choice":
        values = [c.value for c in question.choices]
        for rec in records:  # values of choices removed since: keep them visible
            selected = value_of(rec)
            for v in selected if isinstance(selected, list) else []:
                if v not in values:
                    values.append(v)
        columns = []
        for v in values:
            choice = question.choice(v)
            choice_label = choice.label.get(lang) if choice else str(v)

            def get(rec: _Record, v: str = v) -> Any:
                selected = value_of(rec)
                if not isinstance(selected, list):
                    return None  # not asked, skipped
                return 1 if v in selected else 0

            columns.append(
                _Column(
                    f"{question.id}.{v}",
                    _t(texts, lang, "col.choice", question=label, choice=choice_label),
                    get,
                )
            )
        return columns

    if question.type == "location":

        def park(rec: _Record) -> Any:
            value = value_of(rec)
            park_id = value.get("park") if isinstance(value, Mapping) else None
            if not park_id:
                return None
            found = q.locations.park(park_id) if q.locations else None
            return park_id if codes or found is None else found.name.get(lang)

        def ward(rec: _Record) -> Any:
            value = value_of(rec)
            if isinstance(value, Mapping):
                return value.get("ward") or value.get("free_text") or None
            return None if value is None else str(value)

        return [
            _Column(f"{question.id}.park", _t(texts, lang, "col.park", question=label), park),
            _Column(f"{question.id}.ward", _t(texts, lang, "col.ward", question=label), ward),
        ]

    header = label
    if question.type in ("integer", "decimal"):
        if question.unit is not None:
            header = _t(texts, lang, "col.with_unit", question=label, unit=question.unit.get(lang))

        def get_number(rec: _Record) -> Any:
            return _number(value_of(rec))

        return [_Column(question.id, header, get_number)]

    def get(rec: _Record) -> Any:
        value = value_of(rec)
        if value is None:
            return None
        if question.type in ("single_choice", "yes_no"):
            return str(value) if codes else label_for(question, value, lang, atexts)
        return _plain(value)

    return [_Column(question.id, header, get)]


def _columns(
    q: Questionnaire,
    records: list[_Record],
    *,
    codes: bool,
    lang: str,
    include_personal: bool,
    texts: Texts,
    tz: ZoneInfo,
) -> list[_Column]:
    atexts = texts.by_lang.get(lang) or texts.by_lang["vi"]
    current = str(q.version)

    def visible(rec: _Record, question: Question) -> bool:
        if question.personal and not (include_personal and rec.response.personal_consent):
            return False
        if rec.response.questionnaire_version == current:
            # An answer left behind by "quay lại" that no longer applies is not counted in
            # the score either; old versions had other conditions, so they are shown as given.
            try:
                return is_relevant(q, question, rec.answers)
            except Exception:  # noqa: BLE001 - an odd stored value must not stop an export
                return True
        return True

    sector_q = q.by_id.get(SECTOR_QUESTION)

    def sector(rec: _Record) -> Any:  # as answered in this response (storage/enterprises.py)
        code = rec.answers.get(SECTOR_QUESTION) or (rec.record.sector if rec.record else None)
        if code is None or codes or sector_q is None:
            return code
        return label_for(sector_q, code, lang, atexts)

    def version(rec: _Record) -> Any:
        v = rec.response.questionnaire_version
        return int(v) if v.isdigit() else v

    def col(key: str, text_key: str, get: Callable[[_Record], Any]) -> _Column:
        return _Column(key, _t(texts, lang, f"col.{text_key}"), get)

    columns = [
        col("response_id", "response_id", lambda r: r.response.id),
        col("submitted_at", "submitted_at", lambda r: _local(r.when, tz)),
        col("questionnaire_version", "version", version),
        col(
            "enterprise.name",
            "enterprise_name",
            lambda r: (
                _plain(r.answers.get("company_name")) or (r.record.name if r.record else None)
            ),
        ),
        col(
            "enterprise.tax_code",
            "enterprise_tax_code",
            lambda r: (
                _plain(r.answers.get("tax_code")) or (r.record.tax_code if r.record else None)
            ),
        ),
        col("enterprise.sector", "enterprise_sector", sector),
    ]
    for question in q.questions:
        if question.personal and not include_personal:
            continue
        columns += _answer_columns(question, records, lang, codes, texts, atexts, q, visible)

    areas = [a.id for a in q.scoring.areas] if q.scoring else []
    area_labels = {a.id: a.label.get(lang) for a in q.scoring.areas} if q.scoring else {}
    for rec in records:
        for area in rec.result.get("areas") or {}:
            if area not in areas:
                areas.append(area)
    for area in areas:
        columns.append(
            _Column(
                f"score.{area}",
                _t(texts, lang, "col.score", area=area_labels.get(area, area)),
                lambda r, area=area: _number((r.result.get("areas") or {}).get(area)),
            )
        )
    columns.append(col("score.overall", "overall", lambda r: _number(r.result.get("overall"))))
    levels = {lv.id: lv.label.get(lang) for lv in q.scoring.levels} if q.scoring else {}

    def level(rec: _Record) -> Any:
        level_id = rec.result.get("level")
        if not level_id or codes:
            return level_id or None
        if level_id in levels:
            return levels[level_id]
        if level_id == "unknown":
            return atexts.get("assessment.result.level_unknown", level_id)
        return rec.result.get("level_label") or level_id

    columns.append(col("potential_level", "level", level))

    # Questions that no longer exist (answers given under an older version), by their id.
    gone: dict[str, None] = {}
    for rec in records:
        for qid in rec.answers:
            if qid not in q.by_id:
                gone.setdefault(qid)
    for qid in gone:

        def old(rec: _Record, qid: str = qid) -> Any:
            # Whether the old question was personal is unknown now. Personal questions are
            # only ever asked after consent, so without consent the answer cannot be one.
            if rec.response.personal_consent and not include_personal:
                return None
            return _plain(rec.answers.get(qid))

        columns.append(_Column(qid, qid, old))
    return columns


def response_rows(
    session: Session,
    questionnaire: Questionnaire,
    *,
    since: datetime | None = None,
    status: str | None = COMPLETED,
    codes: bool = False,
    lang: str = "vi",
    include_personal: bool = False,
    texts: Texts | None = None,
    tz: ZoneInfo = LOCAL_TZ,
    progress: Progress | None = None,
) -> tuple[list[str], list[list[Any]]]:
    """One row per response of `questionnaire` (oldest first), one column per question.

    `since` (aware, or naive meaning local time) keeps responses submitted from then on;
    `status=None` keeps every status. Labels in `lang` unless `codes` (then headers are the
    question ids and cells the stored codes). Personal questions appear only with
    `include_personal`, and are filled only for responses whose person consented.
    Cells are str, int/float, a naive local datetime (submitted at) or None (blank)."""
    texts = texts or default_texts()
    records = _load(session, questionnaire, since, status)
    columns = _columns(
        questionnaire,
        records,
        codes=codes,
        lang=lang,
        include_personal=include_personal,
        texts=texts,
        tz=tz,
    )
    headers = [c.key if codes else c.header for c in columns]
    rows = []
    for i, rec in enumerate(records, 1):
        rows.append([c.get(rec) for c in columns])
        if progress is not None:
            progress(i, len(records))
    return headers, rows


# --- summary ------------------------------------------------------------------------------------


def _share(yes: int, answered: int) -> float | None:
    """Percentage with one decimal, rounded half up (as people round, not banker's)."""
    if not answered:
        return None
    pct = (Decimal(100 * yes) / Decimal(answered)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return float(pct)


@dataclass(frozen=True)
class SummaryRow:
    """One sector (or the total, `sector=None`): enterprises counted, and per indicator
    (INDICATORS) how many answered "yes", how many answered at all, and the share in %."""

    sector: str | None  # the sector code; "" = not given; None = the total row
    label: str
    count: int
    yes: dict[str, int]
    answered: dict[str, int]

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


def summary(
    session: Session,
    questionnaire: Questionnaire,
    *,
    since: datetime | None = None,
    lang: str = "vi",
    texts: Texts | None = None,
) -> list[SummaryRow]:
    """The three figures by sector, then a total row (sector None).

    Each enterprise counts once, by its latest completed response (completed since `since`).
    Why the latest and not every response: the figures describe enterprises, like the city's
    reports ("x % of enterprises know SXSH"); an enterprise that took the assessment again,
    say after a training, would otherwise count twice, and its latest answer is its current
    state. Responses not linked to an enterprise are grouped by contact (the same person
    repeating it), otherwise counted on their own. A pending claim (someone gave an existing
    enterprise's tax code, storage/enterprises.py) is left out until an officer confirms it.

    A share is of those who answered that question (yes or no), so a response given under a
    version without the question does not count as "no". The sector is the one answered in
    that response, else the enterprise record's."""
    texts = texts or default_texts()
    ids = [SECTOR_QUESTION, *INDICATORS]
    latest: dict[tuple[str, int], _Record] = {}
    for rec in _load(session, questionnaire, since, COMPLETED, question_ids=ids):
        who = _who(rec)
        if who is not None:
            latest[who] = rec  # _load sorts oldest first: the last one wins

    sector_q = questionnaire.by_id.get(SECTOR_QUESTION)
    atexts = texts.by_lang.get(lang) or texts.by_lang["vi"]
    groups: dict[str, list[_Record]] = {}
    for rec in latest.values():
        code = rec.answers.get(SECTOR_QUESTION) or (rec.record.sector if rec.record else "")
        groups.setdefault(str(code or ""), []).append(rec)

    def row(sector: str | None, label: str, recs: list[_Record]) -> SummaryRow:
        yes = {k: sum(1 for r in recs if r.answers.get(k) == "yes") for k in INDICATORS}
        answered = {
            k: sum(1 for r in recs if r.answers.get(k) in ("yes", "no")) for k in INDICATORS
        }
        return SummaryRow(sector, label, len(recs), yes, answered)

    order = [c.value for c in sector_q.choices] if sector_q else []
    codes = sorted(
        groups, key=lambda c: (c == "", c not in order, order.index(c) if c in order else 0, c)
    )
    rows = []
    for code in codes:
        if not code:
            label = _t(texts, lang, "summary.unknown_sector")
        elif sector_q is not None:
            label = label_for(sector_q, code, lang, atexts)
        else:
            label = code
        rows.append(row(code, label, groups[code]))
    rows.append(row(None, _t(texts, lang, "summary.total"), list(latest.values())))
    return rows


def summary_table(
    rows: list[SummaryRow], lang: str = "vi", texts: Texts | None = None
) -> tuple[list[str], list[list[Any]]]:
    """The summary as headers and rows (shares as numbers, None when nobody answered)."""
    texts = texts or default_texts()
    headers = [
        _t(texts, lang, f"summary.{k}") for k in ("sector", "count", "know", "applied", "dedicated")
    ]
    return headers, [[r.label, r.count, r.know, r.applied, r.dedicated] for r in rows]


# --- files --------------------------------------------------------------------------------------


def unwritable(path: Path) -> str | None:
    """Why `path` cannot be written, in one line, or None (checked before any work)."""
    path = Path(path)
    if path.is_dir():
        return f"{path} is a folder, not a file"
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        return f"cannot write {path}: folder {parent} does not exist"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot write {path}: no permission to write in {parent}"
    if path.exists() and not os.access(path, os.W_OK):
        return f"cannot write {path}: the file is read-only"
    return None


@contextmanager
def _atomic(path: Path, suffix: str) -> Iterator[Path]:
    """Write beside `path` and rename at the end: a failure never leaves a half file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent or ".")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # openpyxl refuses these
_NUMBER_LIKE = re.compile(r"^[+-]?[\d\s.,]+$")


def _width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    return max((len(line) for line in str(value).splitlines()), default=0)


def write_xlsx(
    path: Path | str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    summary: tuple[Sequence[str], Sequence[Sequence[Any]]] | None = None,
    lang: str = "vi",
    texts: Texts | None = None,
    notes: Sequence[str] = (),
    progress: Progress | None = None,
) -> None:
    """The rows as an Excel sheet (bold frozen header, filter, sized columns) and, when given,
    the summary on a second sheet "Tóm tắt"/"Summary" with `notes` below it."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    texts = texts or default_texts()
    wb = Workbook()
    ws = wb.active
    ws.title = _t(texts, lang, "sheet.responses")[:31]

    def put(sheet, r: int, c: int, value: Any):  # noqa: ANN001, ANN202
        if isinstance(value, str):
            value = _ILLEGAL_XML.sub("", value)
        cell = sheet.cell(row=r, column=c, value=value)
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"  # a person's text, never a formula
        elif isinstance(value, datetime):
            cell.number_format = XLSX_DATE_FORMAT
        return cell

    def fill(sheet, head: Sequence[str], body: Sequence[Sequence[Any]], report: bool) -> None:  # noqa: ANN001
        bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
        for c, h in enumerate(head, 1):
            cell = put(sheet, 1, c, h)
            cell.font, cell.alignment = bold, wrap
        widths = [min(len(h), 30) for h in head]
        for r, values in enumerate(body, 2):
            for c, value in enumerate(values, 1):
                put(sheet, r, c, value)
                if r < 2000:
                    widths[c - 1] = max(widths[c - 1], _width(value))
            if report and progress is not None:
                progress(r - 1, len(body))
        for c, w in enumerate(widths, 1):
            sheet.column_dimensions[get_column_letter(c)].width = max(8, min(w, 50)) + 2
        sheet.freeze_panes = "A2"
        if head:
            last = get_column_letter(len(head))
            sheet.auto_filter.ref = f"A1:{last}{len(body) + 1}"

    fill(ws, headers, rows, True)
    if summary is not None:
        sheet = wb.create_sheet(_t(texts, lang, "sheet.summary")[:31])
        fill(sheet, summary[0], summary[1], False)
        sheet.auto_filter.ref = None
        for i, note in enumerate(notes):
            put(sheet, len(summary[1]) + 3 + i, 1, note)
    path = Path(path)
    with _atomic(path, ".xlsx") as tmp:
        wb.save(tmp)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(LOCAL_FORMAT)
    text = str(value)
    # A cell starting like a formula would run in Excel (CSV injection): keep it text.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER_LIKE.match(text):
        return "'" + text
    return text


def write_csv(
    path: Path | str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    progress: Progress | None = None,
) -> None:
    """UTF-8 with BOM, so Excel shows Vietnamese correctly; comma-separated, decimal point;
    the submitted-at time as dd/mm/yyyy HH:MM."""
    path = Path(path)
    with _atomic(path, ".csv") as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([_csv_cell(h) for h in headers])
        for i, values in enumerate(rows, 1):
            writer.writerow([_csv_cell(v) for v in values])
            if progress is not None:
                progress(i, len(rows))
