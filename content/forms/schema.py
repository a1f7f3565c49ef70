"""Questionnaires as data: the pydantic models of a questionnaire file, its loader and checker.

Officers edit the YAML, not Python (in the spirit of XLSForm), so loading validates the shape
and `check_questionnaire` reports every semantic problem at once, each as
"file: question X: what is wrong", for `sxsh-bot content check`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from functools import cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from content.forms import conditions
from content.texts import ContentError

CONTENT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_QUESTIONNAIRE = CONTENT_DIR / "questionnaires" / "quick_assessment.yaml"
DEFAULT_LOCATIONS = CONTENT_DIR / "locations.yaml"
TEXTS_DIR = CONTENT_DIR / "texts"
LANGS = ("vi", "en")
TEXT_PREFIX = "assessment."

QuestionType = Literal[
    "single_choice",
    "multi_choice",
    "yes_no",
    "integer",
    "decimal",
    "text",
    "phone",
    "tax_code",
    "location",
]
CHOICE_TYPES = ("single_choice", "multi_choice")
NUMBER_TYPES = ("integer", "decimal")
YES_NO_VALUES = ("yes", "no")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# answers.question_id is 64 characters; a multi choice being selected is stored under
# "_draft:" + id (handlers/assessment/flow.py), so an id may use 57 of them.
MAX_ID_BYTES = 64 - len("_draft:")


class QuestionnaireError(ContentError):
    """A questionnaire or locations file cannot be loaded; `errors` lists the problems."""


class I18n(BaseModel):
    """A text in Vietnamese and English; a plain string in YAML means Vietnamese only."""

    model_config = ConfigDict(extra="forbid")
    vi: str = ""
    en: str = ""

    @model_validator(mode="before")
    @classmethod
    def _from_str(cls, data: Any) -> Any:
        return {"vi": data} if isinstance(data, str) else data

    def get(self, lang: str) -> str:
        return (getattr(self, lang, "") if lang in LANGS else "") or self.vi or self.en

    def missing(self) -> list[str]:
        return [lang for lang in LANGS if not getattr(self, lang).strip()]


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str
    label: I18n = Field(default_factory=I18n)
    aliases: list[str] = []  # other ways people type it, e.g. "ca tra" for seafood
    exclusive: bool = False  # multi choice: "none of these" cannot be combined


class ScoreRule(BaseModel):
    """How one question feeds one area: each answer value earns a fraction (0..1) of
    `weight`; a value mapped to null (e.g. "không rõ") is left out of the area."""

    model_config = ConfigDict(extra="forbid")
    area: str
    weight: float = 1.0
    values: dict[str, float | None]


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    section: str
    type: QuestionType
    label: I18n
    hint: I18n | None = None
    required: bool = True
    choices: list[Choice] = []
    choices_from: Literal["parks"] | None = None  # filled from locations.yaml at load
    unit: I18n | None = None
    scale: float = 1.0  # value of one `unit` in plain numbers: 1000000 for "triệu đồng"
    min: float | None = None
    max: float | None = None
    max_length: int = 500
    constraint: str | None = None
    constraint_message: I18n | None = None
    relevant: str | None = None
    personal: bool = False  # personal data: asked only with consent
    park_question: str | None = None  # location: the earlier question holding the park
    score: list[ScoreRule] = []

    @model_validator(mode="before")
    @classmethod
    def _score_as_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("score"), dict):
            data = {**data, "score": [data["score"]]}
        return data

    def choice(self, value: str) -> Choice | None:
        return next((c for c in self.choices if c.value == value), None)

    @property
    def values(self) -> list[str]:
        """The values an answer may take (choices, or yes/no)."""
        if self.type == "yes_no":
            return list(YES_NO_VALUES)
        return [c.value for c in self.choices]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    title: I18n


class Area(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    label: I18n


class Level(BaseModel):
    """An overall SXSH potential level, chosen when the overall score >= min_score."""

    model_config = ConfigDict(extra="forbid")
    id: str
    min_score: int
    label: I18n
    text: I18n


class StepRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    when: str | None = None
    text: I18n
    topic: str


class StepsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min: int = 3
    max: int = 5
    rules: list[StepRule] = []
    defaults: list[StepRule] = []  # used in order when too few rules match
    final: StepRule  # always last: the offer to talk to an officer


class Scoring(BaseModel):
    model_config = ConfigDict(extra="forbid")
    areas: list[Area]
    levels: list[Level]
    steps: StepsConfig
    bill_question: str | None = None  # monthly electricity bill, for the "5 % is ..." line


class Park(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: I18n
    kind: Literal["kcn", "ccn"] = "kcn"
    ward: str | None = None  # full name, e.g. "Phường Thới An Đông"
    aliases: list[str] = []


class Locations(BaseModel):
    """Industrial parks/clusters and the phường/xã of the city (officer-editable)."""

    model_config = ConfigDict(extra="forbid")
    parks: list[Park] = []
    phuong: list[str] = []
    xa: list[str] = []

    @property
    def wards(self) -> list[str]:
        """Full names as written on documents: "Phường X", "Xã Y"."""
        return [f"Phường {n}" for n in self.phuong] + [f"Xã {n}" for n in self.xa]

    def park(self, park_id: str | None) -> Park | None:
        return next((p for p in self.parks if p.id == park_id), None)


class Questionnaire(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    version: int
    title: I18n
    intro: I18n
    sections: list[Section]
    questions: list[Question]
    scoring: Scoring | None = None
    locations_file: str | None = None
    locations: Locations | None = None
    source: str = ""  # file name, for error messages

    @cached_property
    def by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    @cached_property
    def order(self) -> dict[str, int]:
        return {q.id: i for i, q in enumerate(self.questions)}

    def question(self, question_id: str) -> Question:
        return self.by_id[question_id]

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)


# --- loading --------------------------------------------------------------------------------


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


# --- texts ----------------------------------------------------------------------------------


def _flatten(prefix: str, node: Any, out: dict[str, str]) -> None:
    if isinstance(node, Mapping):
        for k, v in node.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif node is not None:
        out[prefix] = str(node)


def _texts_file(lang: str) -> dict[str, str]:
    path = TEXTS_DIR / f"assessment.{lang}.yaml"
    out: dict[str, str] = {}
    _flatten("", _read_yaml(path) or {}, out)
    return out


@lru_cache(maxsize=4)
def load_texts(lang: str = "vi") -> Mapping[str, str]:
    """The engine's messages for `lang` (flat dotted keys, "assessment.*"), Vietnamese
    filling any key English lacks. The same keys are merged by content/texts.py, so a caller
    may pass that table instead."""
    base = _texts_file("vi")
    if lang != "vi" and lang in LANGS:
        base = {**base, **_texts_file(lang)}
    return MappingProxyType(base)  # cached and shared: read-only


def text(texts: Mapping[str, str], key: str, **fields: Any) -> str:
    """Look up "assessment.<key>" and fill its {fields}; a missing field stays visible."""
    template = texts.get(TEXT_PREFIX + key)
    if template is None:
        template = load_texts("vi").get(TEXT_PREFIX + key, TEXT_PREFIX + key)

    class _Keep(dict):
        def __missing__(self, name: str) -> str:
            return "{" + name + "}"

    return string.Formatter().vformat(template, (), _Keep(fields))


def check_texts() -> list[str]:
    """Both languages have the same keys and the same {fields} in each message."""
    errors: list[str] = []
    tables = {lang: _texts_file(lang) for lang in LANGS}

    def fields(template: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(template) if f}

    for key in sorted(tables["vi"].keys() ^ tables["en"].keys()):
        lang = "en" if key in tables["vi"] else "vi"
        errors.append(f"assessment.{lang}.yaml: {key}: missing")
    for key in sorted(tables["vi"].keys() & tables["en"].keys()):
        try:
            fv, fe = fields(tables["vi"][key]), fields(tables["en"][key])
        except ValueError as exc:
            errors.append(f"assessment texts: {key}: bad placeholder: {exc}")
            continue
        if fv != fe:
            errors.append(
                f"assessment texts: {key}: fields differ: vi {sorted(fv)}, en {sorted(fe)}"
            )
    return errors


# --- checking -------------------------------------------------------------------------------


def _check_i18n(errors: list[str], where: str, what: str, value: I18n | None) -> None:
    if value is None:
        return
    for lang in value.missing():
        errors.append(f"{where}: {what} has no {lang} text")


def _check_expr(
    q: Questionnaire,
    errors: list[str],
    where: str,
    what: str,
    source: str,
    allowed: Iterable[str],
    later: Iterable[str] = (),
    allow_current: bool = False,
) -> None:
    """Syntax, references (unknown / not yet asked) and literal values of choice questions."""
    try:
        expr = conditions.parse(source)
    except conditions.ConditionError as exc:
        errors.append(f"{where}: {what} {source!r}: syntax error: {exc}")
        return
    allowed, later = set(allowed), set(later)
    for ref in sorted(expr.refs):
        if ref in later:
            errors.append(
                f"{where}: {what} {source!r}: ${{{ref}}} is not asked before this question"
            )
        elif ref not in allowed:
            errors.append(f"{where}: {what} {source!r}: unknown question ${{{ref}}}")
    if expr.uses_current and not allow_current:
        errors.append(f"{where}: {what} {source!r}: '.' (this answer) only works in a constraint")
    # `${sector} = 'seafod'` or `selected(${fuels}, 'col')` would silently never be true
    for node in conditions.walk(expr):
        pairs = []
        if node[0] == "cmp" and node[1] in ("=", "!="):
            pairs = [(node[2], node[3]), (node[3], node[2])]
        elif node[0] == "call" and node[1] == "selected":
            pairs = [(node[2][0], node[2][1])]
        for ref, lit in pairs:
            if ref[0] == "ref" and lit[0] == "str" and lit[1] != "" and ref[1] in q.by_id:
                target = q.by_id[ref[1]]
                if target.type in (*CHOICE_TYPES, "yes_no") and lit[1] not in target.values:
                    errors.append(
                        f"{where}: {what} {source!r}: {lit[1]!r} is not a value of "
                        f"{ref[1]} ({', '.join(target.values)})"
                    )


def check_questionnaire(q: Questionnaire, known_topics: Iterable[str] | None = None) -> list[str]:
    """Every semantic problem of a loaded questionnaire, as precise messages.

    `known_topics` (Q&A content ids) is passed in by the caller; when None, topic ids of
    next steps are not checked."""
    name = q.source or q.id
    errors: list[str] = []
    _check_i18n(errors, name, "title", q.title)
    _check_i18n(errors, name, "intro", q.intro)

    section_ids = [s.id for s in q.sections]
    for sid in {s for s in section_ids if section_ids.count(s) > 1}:
        errors.append(f"{name}: section {sid}: duplicate section id")
    for s in q.sections:
        _check_i18n(errors, f"{name}: section {s.id}", "title", s.title)

    seen: list[str] = []
    for question in q.questions:
        where = f"{name}: question {question.id}"
        if question.id in seen:
            errors.append(f"{where}: duplicate question id")
        if not _ID.match(question.id):
            errors.append(f"{where}: id must be snake_case (a-z, 0-9, _), it is a column name")
        if len(question.id.encode()) > MAX_ID_BYTES:
            errors.append(
                f"{where}: id is {len(question.id.encode())} characters, at most "
                f"{MAX_ID_BYTES} (answers are stored under it)"
            )
        if question.section not in section_ids:
            errors.append(f"{where}: unknown section {question.section!r}")
        _check_i18n(errors, where, "label", question.label)
        _check_i18n(errors, where, "hint", question.hint)
        _check_i18n(errors, where, "unit", question.unit)
        _check_i18n(errors, where, "constraint_message", question.constraint_message)

        if question.type in CHOICE_TYPES:
            if not question.choices:
                errors.append(f"{where}: {question.type} question without choices")
            values = [c.value for c in question.choices]
            for v in sorted({v for v in values if values.count(v) > 1}):
                errors.append(f"{where}: duplicate choice value {v!r}")
            for c in question.choices:
                if not c.value or len(c.value.encode()) > 40 or c.value != c.value.strip():
                    errors.append(f"{where}: choice {c.value!r}: value must be 1-40 bytes")
                _check_i18n(errors, f"{where}: choice {c.value}", "label", c.label)
                if c.exclusive and question.type != "multi_choice":
                    errors.append(f"{where}: choice {c.value}: exclusive only for multi_choice")
        elif question.choices or question.choices_from:
            errors.append(f"{where}: choices are only for single_choice/multi_choice")

        if question.type in NUMBER_TYPES:
            if (
                question.min is not None
                and question.max is not None
                and question.min > question.max
            ):
                errors.append(f"{where}: min {question.min:g} > max {question.max:g}")
            if question.scale <= 0:
                errors.append(f"{where}: scale must be > 0")
        elif question.min is not None or question.max is not None or question.unit:
            errors.append(f"{where}: min/max/unit are only for integer/decimal")
        if question.max_length < 1:
            errors.append(f"{where}: max_length must be >= 1")
        if question.personal and question.required:
            errors.append(f"{where}: personal questions must be optional (required: false)")

        if question.type == "location":
            if q.locations is None:
                errors.append(f"{where}: location question but no locations (locations_file)")
            if question.park_question is not None:
                pq = q.by_id.get(question.park_question)
                if pq is None or question.park_question not in seen:
                    errors.append(
                        f"{where}: park_question {question.park_question!r} must be an "
                        "earlier question"
                    )
                elif pq.type != "single_choice":
                    errors.append(f"{where}: park_question must be a single_choice question")
        elif question.park_question:
            errors.append(f"{where}: park_question is only for location questions")

        later = [x.id for x in q.questions if x.id not in seen]  # includes this question
        if question.relevant is not None:
            _check_expr(q, errors, where, "relevant", question.relevant, seen, later)
        if question.constraint is not None:
            _check_expr(
                q,
                errors,
                where,
                "constraint",
                question.constraint,
                [*seen, question.id],
                [x for x in later if x != question.id],
                allow_current=True,
            )
            if question.constraint_message is None:
                errors.append(f"{where}: constraint without constraint_message")
        elif question.constraint_message is not None:
            errors.append(f"{where}: constraint_message without constraint")
        seen.append(question.id)

    if q.scoring is not None:
        errors += _check_scoring(q, name, known_topics)
    return errors


def _check_scoring(q: Questionnaire, name: str, known_topics: Iterable[str] | None) -> list[str]:
    errors: list[str] = []
    sc = q.scoring
    assert sc is not None
    area_ids = [a.id for a in sc.areas]
    for a in sc.areas:
        if area_ids.count(a.id) > 1 or a.id == "overall":
            errors.append(f"{name}: scoring area {a.id}: duplicate or reserved id")
        _check_i18n(errors, f"{name}: scoring area {a.id}", "label", a.label)
    for question in q.questions:
        where = f"{name}: question {question.id}"
        for rule in question.score:
            if rule.area not in area_ids:
                errors.append(f"{where}: score: unknown area {rule.area!r}")
            if rule.weight <= 0:
                errors.append(f"{where}: score: weight must be > 0")
            if question.type not in (*CHOICE_TYPES, "yes_no"):
                errors.append(f"{where}: score: only choice and yes/no questions are scored")
                continue
            for value, frac in rule.values.items():
                if value not in question.values:
                    errors.append(f"{where}: score: {value!r} is not a value of this question")
                if frac is not None and not 0 <= frac <= 1:
                    errors.append(f"{where}: score: {value}: fraction must be 0..1")
    levels = sc.levels
    if not levels:
        errors.append(f"{name}: scoring: no levels")
    elif min(lv.min_score for lv in levels) > 0:
        errors.append(f"{name}: scoring: one level needs min_score 0")
    for lv in levels:
        _check_i18n(errors, f"{name}: scoring level {lv.id}", "label", lv.label)
        _check_i18n(errors, f"{name}: scoring level {lv.id}", "text", lv.text)
    if sc.bill_question is not None and (
        sc.bill_question not in q.by_id or q.by_id[sc.bill_question].type not in NUMBER_TYPES
    ):
        errors.append(
            f"{name}: scoring: bill_question {sc.bill_question!r} is not a number question"
        )
    topics = set(known_topics) if known_topics is not None else None
    st = sc.steps
    if not 1 <= st.min <= st.max:
        errors.append(f"{name}: scoring steps: need 1 <= min <= max")
    all_ids = list(q.by_id)
    for kind, rules in (("rules", st.rules), ("defaults", st.defaults), ("final", [st.final])):
        for i, rule in enumerate(rules, 1):
            where = f"{name}: scoring steps {kind} #{i} ({rule.topic})"
            _check_i18n(errors, where, "text", rule.text)
            if topics is not None and rule.topic not in topics:
                errors.append(f"{where}: unknown topic id {rule.topic!r}")
            if rule.when is not None:
                _check_expr(q, errors, where, "when", rule.when, all_ids)
    if len(st.rules) + len(st.defaults) + 1 < st.min:
        errors.append(f"{name}: scoring steps: fewer rules and defaults than min {st.min}")
    return errors


def load_and_check(
    path: Path | str = DEFAULT_QUESTIONNAIRE, known_topics: Iterable[str] | None = None
) -> list[str]:
    """For `sxsh-bot content check`: load errors or semantic errors, [] when fine."""
    try:
        q = load_questionnaire(path)
    except QuestionnaireError as exc:
        return exc.errors
    return check_questionnaire(q, known_topics)
