"""The values a broadcast audience may name, from what exists (tester's fault 12: `sector=xyz`
and the old help example `sector=thuy_san park="Trà Nóc"` made 0-recipient drafts silently).

Sectors, parks and levels are the questionnaire's choices (parks from content/locations.yaml),
wards those of locations.yaml and of the enterprises on record, topics those of events.yaml,
events the codes in the database. Chat and terminal check through `unknown_value`."""

from __future__ import annotations

from sqlmodel import Session, select

from content.forms.choices import match_choice
from content.forms.schema import Questionnaire
from storage.broadcast_audience import fold
from storage.events_models import Event
from storage.models import Enterprise

LANGUAGES = ("vi", "en")
CHANNELS = ("telegram", "zalo_oa", "zalo_bot", "console")
FOLDED = ("sector", "park", "ward")  # compared without case by the audience query
NAMED = {"sector": "sector", "park": "industrial_park"}  # key -> the questionnaire's question


def by_name(spec: dict, questionnaire: Questionnaire | None) -> dict:
    """`spec` with a sector or park given by its name ("thủy sản", "Trà Nóc 1", "KCN Tra Noc
    I") written as its code, read as the assessment reads a person's answer; a name that is not
    exactly one choice (or a bare number) stays as typed, and is refused by `unknown_value`."""
    out = dict(spec)
    for key, question_id in NAMED.items():
        value = out.get(key)
        question = questionnaire.by_id.get(question_id) if questionnaire is not None else None
        if not isinstance(value, str) or question is None or value.strip().isdigit():
            continue
        kind, found = match_choice(question, value)
        if kind == "ok":
            out[key] = found
    return out


def _choices(questionnaire: Questionnaire | None, question_id: str) -> list[str]:
    if questionnaire is None:
        return []
    question = next((q for q in questionnaire.questions if q.id == question_id), None)
    return [c.value for c in question.choices] if question is not None else []


def valid_values(
    session: Session, key: str, questionnaire: Questionnaire | None, topics: list[str]
) -> list[str] | None:
    """The values `key` accepts now, or None when the key takes no value (all, unfinished)."""
    if key == "sector":
        return _choices(questionnaire, "sector")
    if key == "park":
        return _choices(questionnaire, "industrial_park")
    if key == "level":
        scoring = questionnaire.scoring if questionnaire is not None else None
        return (
            [lv.id for lv in scoring.levels] if scoring is not None else ["low", "medium", "high"]
        )
    if key == "ward":
        known = (
            list(questionnaire.locations.wards) if questionnaire and questionnaire.locations else []
        )
        on_record = session.exec(select(Enterprise.ward).where(Enterprise.ward.is_not(None)))
        return sorted(set(known) | {w for w in on_record if w})
    if key == "event":
        return list(session.exec(select(Event.code).order_by(Event.code)))
    if key == "topic":
        return sorted(topics)
    if key == "language":
        return list(LANGUAGES)
    if key == "channel":
        return list(CHANNELS)
    return None


def unknown_value(
    session: Session, spec: dict, questionnaire: Questionnaire | None, topics: list[str]
) -> tuple[str, str, list[str]] | None:
    """The first (key, value, valid values) in a parsed spec whose value names nothing that
    exists (sector, park and ward without case, as the audience query compares them); None
    when all do."""
    for key, value in spec.items():
        valid = valid_values(session, key, questionnaire, topics)
        if valid is None:
            continue
        same = fold if key in FOLDED else str
        if same(str(value)) not in {same(v) for v in valid}:
            return key, str(value), valid
    return None
