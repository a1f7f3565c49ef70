"""Questionnaires as data: the pydantic models of a questionnaire file.

Officers edit the YAML, not Python (in the spirit of XLSForm); loader.py reads and shape-checks
it, check.py reports every semantic problem at once for `sxsh-bot content check`.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from content.texts import ContentError

LANGS = ("vi", "en")

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
    base_unit: I18n | None = None  # the plain unit ("đồng/tháng") an interpreted value is echoed in
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
    """A next step; `id` is needed only when several rules share a topic (a stored result
    keeps the rule's key, so it shows the advice of the rule that matched)."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    when: str | None = None
    text: I18n
    topic: str

    @property
    def key(self) -> str:
        return self.id or self.topic


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


class NumberWords(BaseModel):
    """Number words people type (content/questionnaires/number_words.yaml), used by
    numbers.py after folding (no diacritics, lower case)."""

    model_config = ConfigDict(extra="forbid")
    digits: dict[int, list[str]] = {}
    after_tens: dict[int, list[str]] = {}  # "lăm", "mốt", "tư": digits only after "mươi"
    ten: list[str] = []
    tens: list[str] = []
    hundreds: list[str] = []
    multipliers: dict[int, list[str]] = {}
    half: list[str] = []


class AnswerWords(BaseModel):
    """Words people type while answering (content/questionnaires/answer_words.yaml), compared
    after folding (no diacritics, lower case)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    yes: list[str] = []
    no: list[str] = []
    polite_endings: list[str] = []
    # resume/restart answer the "continue or start over?" offer; done confirms a multi choice
    commands: dict[Literal["skip", "back", "cancel", "resume", "restart", "done"], list[str]] = {}
    list_separators: list[str] = []
    # a word -> the short forms people type for it ("không": ko, k, hok): a choice answer that
    # names nothing as typed is read again with them spelled out ("ko co" is "không có")
    shorthand: dict[str, list[str]] = {}
    # "không biết", "không rõ": not an answer to a question with choices (unless a choice says
    # it, "Không rõ"); the person is asked for the nearest choice
    unsure: list[str] = []


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
    number_words_file: str | None = None
    number_words: NumberWords | None = None
    answer_words_file: str | None = None
    answer_words: AnswerWords | None = None
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
