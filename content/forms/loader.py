"""Reading questionnaire, locations and number-word files (the only part of content/forms
that touches the disk). Shape errors become QuestionnaireError with "file: question X: ..."."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from content.forms.check import check_questionnaire
from content.forms.schema import (
    AnswerWords,
    Choice,
    Locations,
    NumberWords,
    Questionnaire,
    QuestionnaireError,
)

CONTENT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_QUESTIONNAIRE = CONTENT_DIR / "questionnaires" / "quick_assessment.yaml"
DEFAULT_LOCATIONS = CONTENT_DIR / "locations.yaml"
M = TypeVar("M", AnswerWords, NumberWords)
TEXTS_DIR = CONTENT_DIR / "texts"  # the packaged texts, for tools run without a ContentStore


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise QuestionnaireError([f"{path.name}: cannot read: {exc.strerror}"]) from exc
    except yaml.YAMLError as exc:
        raise QuestionnaireError([f"{path.name}: not valid YAML: {exc}".splitlines()[0]]) from exc


def _pydantic_errors(name: str, data: Any, exc: ValidationError) -> list[str]:
    """Turn pydantic's locations into "file: question X: field: message"."""
    out = []
    for err in exc.errors():
        loc = list(err["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "questions" and isinstance(loc[1], int):
            qid = None
            if isinstance(data, dict):
                items = data.get("questions") or []
                if loc[1] < len(items) and isinstance(items[loc[1]], dict):
                    qid = items[loc[1]].get("id")
            where = f"question {qid or '#' + str(loc[1] + 1)}: "
            loc = loc[2:]
        field = ".".join(str(p) for p in loc)
        out.append(f"{name}: {where}{field + ': ' if field else ''}{err['msg']}")
    return out


def load_locations(path: Path | str = DEFAULT_LOCATIONS) -> Locations:
    path = Path(path)
    data = _read_yaml(path) or {}
    try:
        return Locations.model_validate(data)
    except ValidationError as exc:
        raise QuestionnaireError(_pydantic_errors(path.name, data, exc)) from exc


def load_number_words(path: Path | str) -> NumberWords:
    return _load_model(Path(path), NumberWords)


def load_answer_words(path: Path | str) -> AnswerWords:
    return _load_model(Path(path), AnswerWords)


def _load_model(path: Path, model: type[M]) -> M:
    data = _read_yaml(path) or {}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise QuestionnaireError(_pydantic_errors(path.name, data, exc)) from exc


def park_choices(locations: Locations) -> list[Choice]:
    return [Choice(value=p.id, label=p.name, aliases=p.aliases) for p in locations.parks]


def load_questionnaire(
    path: Path | str = DEFAULT_QUESTIONNAIRE, locations: Locations | None = None
) -> Questionnaire:
    """Load and shape-check a questionnaire file; choices_from: parks is filled from the
    locations file named in `locations_file` (relative to the questionnaire), or `locations`.
    Raises QuestionnaireError; semantic checks are `check_questionnaire`'s job."""
    path = Path(path)
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise QuestionnaireError([f"{path.name}: expected a mapping at the top level"])
    try:
        q = Questionnaire.model_validate({**data, "source": path.name})
    except ValidationError as exc:
        raise QuestionnaireError(_pydantic_errors(path.name, data, exc)) from exc
    if locations is None and q.locations is None and q.locations_file:
        locations = load_locations((path.parent / q.locations_file).resolve())
    if q.number_words is None and q.number_words_file:
        words = load_number_words((path.parent / q.number_words_file).resolve())
        q = q.model_copy(update={"number_words": words})
    if q.answer_words is None and q.answer_words_file:
        answer_words = load_answer_words((path.parent / q.answer_words_file).resolve())
        q = q.model_copy(update={"answer_words": answer_words})
    return resolve(q, locations)


def resolve(q: Questionnaire, locations: Locations | None = None) -> Questionnaire:
    """Attach locations and expand `choices_from` (used by the loader and by tests)."""
    locations = locations or q.locations
    questions = []
    for question in q.questions:
        if question.choices_from == "parks" and locations is not None:
            own = [c for c in question.choices if c.value not in {p.id for p in locations.parks}]
            question = question.model_copy(update={"choices": park_choices(locations) + own})
        questions.append(question)
    resolved = q.model_copy(update={"questions": questions, "locations": locations})
    for cached in ("by_id", "order"):  # model_copy would carry q's cached lookups along
        resolved.__dict__.pop(cached, None)
    return resolved


@lru_cache(maxsize=4)
def default_questionnaire() -> Questionnaire:
    """The default quick assessment, loaded once per process."""
    return load_questionnaire(DEFAULT_QUESTIONNAIRE)


def load_and_check(
    path: Path | str = DEFAULT_QUESTIONNAIRE, known_topics: Iterable[str] | None = None
) -> list[str]:
    """For `sxsh-bot content check`: load errors or semantic errors, [] when fine."""
    try:
        q = load_questionnaire(path)
    except QuestionnaireError as exc:
        return exc.errors
    return check_questionnaire(q, known_topics)
