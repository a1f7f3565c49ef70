"""The questionnaire engine: questionnaires as data (schema), a safe condition evaluator,
answer parsing, pure navigation and scoring. No storage, no channel, no file reading outside
loader.py: texts, locations and number words are passed in. This package only re-exports;
its modules import each other directly, never the package."""

from content.forms.answers import parse_answer
from content.forms.check import check_questionnaire, check_texts
from content.forms.conditions import ConditionError, parse
from content.forms.engine import (
    Accepted,
    Rejected,
    Rendered,
    apply,
    back,
    current_question,
    detect_command,
    is_complete,
    is_relevant,
    label_for,
    previous_question,
    progress,
    prune,
    render_intro,
    render_question,
    skip,
    submit,
)
from content.forms.evaluation import evaluate, is_true
from content.forms.expected import expected_text
from content.forms.loader import (
    DEFAULT_QUESTIONNAIRE,
    default_questionnaire,
    load_and_check,
    load_locations,
    load_questionnaire,
)
from content.forms.numbers import format_number
from content.forms.parsed import Err, Ok
from content.forms.schema import Question, Questionnaire, QuestionnaireError
from content.forms.scoring import Result, Step, compare, render_comparison, render_result, score

__all__ = [
    "DEFAULT_QUESTIONNAIRE",
    "Accepted",
    "ConditionError",
    "Err",
    "Ok",
    "Question",
    "Questionnaire",
    "QuestionnaireError",
    "Rejected",
    "Rendered",
    "Result",
    "Step",
    "apply",
    "back",
    "check_questionnaire",
    "check_texts",
    "compare",
    "current_question",
    "default_questionnaire",
    "detect_command",
    "evaluate",
    "expected_text",
    "format_number",
    "is_complete",
    "is_relevant",
    "is_true",
    "label_for",
    "load_and_check",
    "load_locations",
    "load_questionnaire",
    "parse",
    "parse_answer",
    "previous_question",
    "progress",
    "prune",
    "render_comparison",
    "render_intro",
    "render_question",
    "render_result",
    "score",
    "skip",
    "submit",
]
