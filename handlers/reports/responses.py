"""Every completed assessment as a row for Excel or CSV (bot/exports/ writes the file).

Layout of an export (one row per response, like KoboToolbox's "labels" export):
  response id, submitted at (local time), questionnaire version, enterprise name, tax code,
  sector; then one column per question in questionnaire order - a multiple choice becomes one
  column per choice (1 = chosen, 0 = not chosen, blank = not asked or skipped, so AVERAGE in
  Excel gives the share of those asked), a location becomes a park and a ward column; then the
  score per area, the overall score and the potential level; then, for answers given under an
  older questionnaire version, one column per question that no longer exists (its id).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from content.forms import Question, Questionnaire, is_relevant, label_for
from content.locale import in_zone
from content.texts import Texts
from handlers.reports.labels import SECTOR_QUESTION, default_texts
from handlers.reports.labels import report_text as _t
from storage.assessments import COMPLETED
from storage.report_queries import ResponseRecord as _Record
from storage.report_queries import response_records

Progress = Callable[[int, int], None]  # (done, total), for a progress bar


def aware(since: datetime | None, tz: ZoneInfo) -> datetime | None:
    """`since` as given, or a naive one (a day as officers write it) read in `tz`."""
    if since is not None and since.tzinfo is None:
        return since.replace(tzinfo=tz)
    return since


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
    """Naive local time: Excel has no time zones, officers read their own time."""
    if moment is None:
        return None
    return in_zone(moment, tz).replace(tzinfo=None, microsecond=0)


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
    tz: ZoneInfo,
    progress: Progress | None = None,
) -> tuple[list[str], list[list[Any]]]:
    """One row per response of `questionnaire` (oldest first), one column per question.

    `tz` is the time zone of the settings (`settings.tz`): submitted-at times are shown in it
    and a naive `since` is read in it. `since` keeps responses submitted from then on;
    `status=None` keeps every status. Labels in `lang` unless `codes` (then headers are the
    question ids and cells the stored codes). Personal questions appear only with
    `include_personal`, and are filled only for responses whose person consented.
    Cells are str, int/float, a naive local datetime (submitted at) or None (blank)."""
    texts = texts or default_texts()
    records = response_records(session, questionnaire.id, since=aware(since, tz), status=status)
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
