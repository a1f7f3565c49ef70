"""Questionnaire files: the default one is complete and valid; broken ones get precise errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from content.forms.check import check_questionnaire, check_texts
from content.forms.engine import relevant_questions
from content.forms.loader import (
    default_questionnaire,
    load_and_check,
    load_locations,
    load_questionnaire,
    resolve,
)
from content.forms.schema import QuestionnaireError
from tests.forms_support import TEXTS

# topic ids of the Q&A content the next steps may link to (content-topics)
KNOWN_TOPICS = {
    *(
        f"sxsh.{t}"
        for t in [
            "definition",
            "benefits",
            "vs_treatment",
            "techniques",
            "housekeeping",
            "process_control",
            "material_substitution",
            "equipment",
            "technology",
            "recycling",
            "byproducts",
            "product_redesign",
            "cost",
            "payback",
            "steps",
            "team",
            "quick_assessment",
            "detailed_assessment",
            "sme",
            "certification",
            "energy",
            "water",
            "waste",
            "symbiosis",
            "eco_ip",
        ]
    ),
    "sector.seafood",
    "sector.rice",
    "sector.food_beverage",
    "policy.strategy_2020",
    "policy.current",
    "policy.energy_law",
    "policy.environment_law",
    "policy.incentives",
    "cantho.action_plan",
    "cantho.sme_support",
    "cantho.eco_ip_project",
    "cantho.difficulties",
    "cantho.agencies",
    "support.programmes",
    "support.how_to_apply",
    "support.training",
    "support.field_trips",
    "support.consulting",
    "bot.capabilities",
    "bot.privacy",
    "bot.reminders",
    "bot.human",
}


def test_default_questionnaire_is_valid():
    q = default_questionnaire()
    assert check_questionnaire(q, KNOWN_TOPICS) == []
    assert q.version == 1


def test_default_questionnaire_shape():
    q = default_questionnaire()
    core = relevant_questions(q, {}, personal=False)
    assert 16 <= len(core) <= 20  # what everyone answers, before follow-ups and contact
    follow_ups = [x.id for x in q.questions if x.relevant]
    assert follow_ups == ["boiler_condensate", "compressed_air_leaks", "refrigeration_upkeep"]
    personal = [x.id for x in q.questions if x.personal]
    assert personal == ["contact_name", "contact_phone"]
    assert all(not x.required for x in q.questions if x.personal)
    ids = [x.id for x in q.questions]
    # the three figures the city reports, asked of everyone
    for qid in ("know_sxsh", "applied_sxsh", "dedicated_unit"):
        assert qid in ids and q.question(qid).type == "yes_no" and not q.question(qid).relevant
    assert ids.index("industrial_park") < ids.index("ward")
    assert not q.question("company_name").personal
    assert not q.question("tax_code").required
    areas = {r.area for x in q.questions for r in x.score}
    assert areas == {"energy", "water", "materials", "waste", "housekeeping", "management"}


def test_locations_list():
    locations = load_locations()
    assert len(locations.phuong) == 31 and len(locations.xa) == 72  # NQ 1668/NQ-UBTVQH15
    assert len(set(locations.wards)) == 103
    assert {"tra_noc_1", "tra_noc_2", "hung_phu"} <= {p.id for p in locations.parks}
    for park in locations.parks:
        assert park.name.vi and park.name.en
        assert park.ward is None or park.ward in locations.wards
    q = default_questionnaire()
    values = [c.value for c in q.question("industrial_park").choices]
    assert values[0] == "tra_noc_1" and values[-2:] == ["none", "other"]


def test_texts_have_both_languages_with_the_same_fields():
    assert check_texts(TEXTS) == []
    broken = {"vi": dict(TEXTS["vi"]), "en": dict(TEXTS["en"])}
    broken["en"]["assessment.progress"] = "Question {number}/{total}"
    assert check_texts(broken) == [
        "assessment texts: assessment.progress: fields differ: vi ['n', 'total'], "
        "en ['number', 'total']"
    ]


def test_texts_merge_into_the_shared_texts_loader():
    from content.texts import Texts

    errors: list[str] = []
    texts = Texts.load(Path(__file__).resolve().parent.parent / "content" / "texts", errors)
    assert [e for e in errors if "assessment" in e] == []
    assert texts.get("en", "assessment.progress", n=2, total=20) == "Question 2/20"


# --- broken files ----------------------------------------------------------------------------

HEAD = """
id: t
version: 1
title: {vi: "T", en: "T"}
intro: {vi: "I", en: "I"}
sections:
  - id: s
    title: {vi: "S", en: "S"}
"""

OK_QUESTIONS = """
questions:
  - id: a
    section: s
    type: yes_no
    label: {vi: "A?", en: "A?"}
"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(HEAD + textwrap.dedent(body), encoding="utf-8")
    return path


BROKEN = [
    (
        "duplicate ids",
        """
        questions:
          - {id: a, section: s, type: yes_no, label: {vi: "A", en: "A"}}
          - {id: a, section: s, type: text, label: {vi: "B", en: "B"}}
        """,
        "broken.yaml: question a: duplicate question id",
    ),
    (
        "unknown section",
        """
        questions:
          - {id: a, section: nowhere, type: yes_no, label: {vi: "A", en: "A"}}
        """,
        "broken.yaml: question a: unknown section 'nowhere'",
    ),
    (
        "choice without en label",
        """
        questions:
          - id: a
            section: s
            type: single_choice
            label: {vi: "A", en: "A"}
            choices:
              - {value: x, label: {vi: "X"}}
        """,
        "broken.yaml: question a: choice x: label has no en text",
    ),
    (
        "choice question without choices",
        """
        questions:
          - {id: a, section: s, type: multi_choice, label: {vi: "A", en: "A"}}
        """,
        "broken.yaml: question a: multi_choice question without choices",
    ),
    (
        "condition syntax error",
        """
        questions:
          - {id: a, section: s, type: yes_no, label: {vi: "A", en: "A"}}
          - {id: b, section: s, type: yes_no, label: {vi: "B", en: "B"},
             relevant: "${a} == 'yes'"}
        """,
        "broken.yaml: question b: relevant \"${a} == 'yes'\": syntax error: expected a value",
    ),
    (
        "eval attempt",
        """
        questions:
          - {id: a, section: s, type: yes_no, label: {vi: "A", en: "A"},
             relevant: "__import__('os').system('x')"}
        """,
        "question a: relevant \"__import__('os').system('x')\": syntax error: unknown function",
    ),
    (
        "unknown reference",
        """
        questions:
          - {id: a, section: s, type: yes_no, label: {vi: "A", en: "A"},
             relevant: "${nope} = 'yes'"}
        """,
        "broken.yaml: question a: relevant \"${nope} = 'yes'\": unknown question ${nope}",
    ),
    (
        "later reference",
        """
        questions:
          - {id: a, section: s, type: yes_no, label: {vi: "A", en: "A"},
             relevant: "${b} = 'yes'"}
          - {id: b, section: s, type: yes_no, label: {vi: "B", en: "B"}}
        """,
        "question a: relevant \"${b} = 'yes'\": ${b} is not asked before this question",
    ),
    (
        "self reference in relevant",
        """
        questions:
          - {id: a, section: s, type: yes_no, label: {vi: "A", en: "A"},
             relevant: "${a} = 'yes'"}
        """,
        "${a} is not asked before this question",
    ),
    (
        "value that a choice question does not have",
        """
        questions:
          - id: a
            section: s
            type: single_choice
            label: {vi: "A", en: "A"}
            choices: [{value: x, label: {vi: "X", en: "X"}}]
          - {id: b, section: s, type: yes_no, label: {vi: "B", en: "B"},
             relevant: "selected(${a}, 'y')"}
        """,
        "question b: relevant \"selected(${a}, 'y')\": 'y' is not a value of a (x)",
    ),
    (
        "min > max",
        """
        questions:
          - {id: a, section: s, type: integer, min: 10, max: 1, label: {vi: "A", en: "A"}}
        """,
        "broken.yaml: question a: min 10 > max 1",
    ),
    (
        "missing translation",
        """
        questions:
          - {id: a, section: s, type: yes_no, label: {vi: "A"}, hint: {en: "hint"}}
        """,
        "broken.yaml: question a: label has no en text",
    ),
    (
        "missing vi hint",
        """
        questions:
          - {id: a, section: s, type: yes_no, label: {vi: "A", en: "A"}, hint: {en: "hint"}}
        """,
        "broken.yaml: question a: hint has no vi text",
    ),
    (
        "constraint without message",
        """
        questions:
          - {id: a, section: s, type: integer, label: {vi: "A", en: "A"}, constraint: ". > 0"}
        """,
        "broken.yaml: question a: constraint without constraint_message",
    ),
    (
        "dot in relevant",
        """
        questions:
          - {id: a, section: s, type: integer, label: {vi: "A", en: "A"}, relevant: ". > 0"}
        """,
        "'.' (this answer) only works in a constraint",
    ),
    (
        "required personal data",
        """
        questions:
          - {id: a, section: s, type: phone, personal: true, label: {vi: "A", en: "A"}}
        """,
        "broken.yaml: question a: personal questions must be optional",
    ),
    (
        "id not snake_case",
        """
        questions:
          - {id: Has-Boiler, section: s, type: yes_no, label: {vi: "A", en: "A"}}
        """,
        "question Has-Boiler: id must be snake_case",
    ),
    (
        "location without locations",
        """
        questions:
          - {id: a, section: s, type: location, label: {vi: "A", en: "A"}}
        """,
        "question a: location question but no locations",
    ),
]


@pytest.mark.parametrize(("case", "body", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_check_questionnaire_errors(tmp_path, case, body, message):
    errors = load_and_check(write(tmp_path, body), KNOWN_TOPICS)
    assert any(message in e for e in errors), errors


SCORING = """
scoring:
  areas:
    - {id: energy, label: {vi: "Năng lượng", en: "Energy"}}
  levels:
    - {id: high, min_score: 0, label: {vi: "cao", en: "high"}, text: {vi: "x", en: "x"}}
  steps:
    rules:
      - {when: "${a} = 'no'", topic: sxsh.nonsense, text: {vi: "x", en: "x"}}
      - {when: "${zzz} = 'no'", topic: sxsh.energy, text: {vi: "x", en: "x"}}
      - {when: "${a} = 'yes'", topic: sxsh.energy, text: {vi: "y", en: "y"}}
    defaults:
      - {topic: sxsh.water, text: {vi: "x"}}
    final: {topic: support.consulting, text: {vi: "x", en: "x"}}
"""


def test_scoring_errors(tmp_path):
    body = """
    questions:
      - id: a
        section: s
        type: yes_no
        label: {vi: "A", en: "A"}
        score: {area: water, values: {"yes": 1, maybe: 2}}
    """
    body = textwrap.dedent(body) + SCORING
    errors = load_and_check(write(tmp_path, body), KNOWN_TOPICS)
    expected = [
        "question a: score: unknown area 'water'",
        "question a: score: 'maybe' is not a value of this question",
        "question a: score: maybe: fraction must be 0..1",
        "scoring steps rules #1 (sxsh.nonsense): unknown topic id 'sxsh.nonsense'",
        "scoring steps rules #2 (sxsh.energy): when \"${zzz} = 'no'\": unknown question ${zzz}",
        "scoring steps defaults #1 (sxsh.water): text has no en text",
        "scoring steps: 'sxsh.energy' is used by several rules (give each its own id)",
    ]
    for message in expected:
        assert any(message in e for e in errors), (message, errors)
    # without known topics, topic ids are not checked
    assert not any("unknown topic" in e for e in load_and_check(write(tmp_path, body)))


LOAD_ERRORS = [
    (
        """
        questions:
          - {id: a, section: s, type: number, label: {vi: "A", en: "A"}}
        """,
        "broken.yaml: question a: type: Input should be 'single_choice'",
    ),
    (
        """
        questions:
          - {id: a, section: s, type: yes_no, label: {vi: "A", en: "A"}, relevent: "x"}
        """,
        "broken.yaml: question a: relevent: Extra inputs are not permitted",
    ),
    (
        """
        questions:
          - {id: a, section: s, type: yes_no}
        """,
        "broken.yaml: question a: label: Field required",
    ),
    ("questions: [\n", "broken.yaml: not valid YAML"),
]


@pytest.mark.parametrize(("body", "message"), LOAD_ERRORS)
def test_load_errors_name_the_file_and_question(tmp_path, body, message):
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(write(tmp_path, body))
    assert any(message in e for e in info.value.errors), info.value.errors


def test_a_valid_minimal_file_has_no_errors(tmp_path):
    assert load_and_check(write(tmp_path, OK_QUESTIONS)) == []


def test_resolve_does_not_keep_stale_lookups():
    q = default_questionnaire()
    assert q.by_id  # computed
    smaller = resolve(q.model_copy(update={"questions": q.questions[:2]}))
    assert list(smaller.by_id) == ["company_name", "sector"]
