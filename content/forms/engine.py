"""Navigation through a questionnaire: pure functions of (questionnaire, answers so far, input).

Like goflow's engine, nothing here touches a channel or a database: the caller stores the
answers (a mapping question id -> value; a skipped optional question is present with None)
and asks what to show next. So a restart, a second process or a test can replay any state.

`personal=False` hides questions marked `personal: true` (contact name, phone) for people who
did not consent; they are then neither asked nor counted in the progress.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from content.forms.answers import parse_answer
from content.forms.evaluation import is_true
from content.forms.expected import expected_text
from content.forms.numbers import format_number
from content.forms.parsed import Err
from content.forms.schema import CHOICE_TYPES, NUMBER_TYPES, AnswerWords, Question, Questionnaire
from content.forms.wording import text
from content.textnorm import fold_words


@dataclass(frozen=True)
class Accepted:
    """Store `value` under `question_id` (None = skipped)."""

    question_id: str
    value: Any
    echo: str | None = None  # how an interpreted value was read: "= 800.000.000 đồng/tháng"


@dataclass(frozen=True)
class Rejected:
    """Store nothing; show `message` and the same question again."""

    question_id: str | None
    message: str


@dataclass(frozen=True)
class Rendered:
    """A question ready for a channel: text plus (label, payload) buttons."""

    question_id: str
    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)
    multi: bool = False  # buttons may be pressed several times (collect, then submit)
    optional: bool = False  # the channel may add its own "Bỏ qua" button


def is_relevant(
    q: Questionnaire, question: Question, answers: Mapping[str, Any], personal: bool = True
) -> bool:
    """Asked under these answers? (its `relevant` holds, and consent covers it)"""
    if question.personal and not personal:
        return False
    if question.relevant is None:
        return True
    return is_true(question.relevant, answers)


def relevant_questions(
    q: Questionnaire, answers: Mapping[str, Any], personal: bool = True
) -> list[Question]:
    return [x for x in q.questions if is_relevant(q, x, answers, personal)]


def current_question(
    q: Questionnaire, answers: Mapping[str, Any], *, personal: bool = True
) -> Question | None:
    """The first relevant question not yet answered; None when the questionnaire is done."""
    for question in q.questions:
        if question.id not in answers and is_relevant(q, question, answers, personal):
            return question
    return None


def is_complete(q: Questionnaire, answers: Mapping[str, Any], *, personal: bool = True) -> bool:
    return current_question(q, answers, personal=personal) is None


def _check_constraint(
    question: Question, value: Any, answers: Mapping[str, Any], lang: str, texts: Mapping[str, str]
) -> str | None:
    if question.constraint is None or value is None:
        return None
    if is_true(question.constraint, answers, current=value):
        return None
    if question.constraint_message is not None:
        return question.constraint_message.get(lang)
    return text(texts, "error.constraint") + " " + expected_text(question, lang, texts)


def submit(
    q: Questionnaire,
    answers: Mapping[str, Any],
    raw: str | None,
    lang: str,
    texts: Mapping[str, str],
    *,
    question_id: str | None = None,
    personal: bool = True,
) -> Accepted | Rejected:
    """Parse `raw` as the answer to the current question. `question_id` (from a pressed
    button) guards against an old button of an earlier question being pressed again."""
    question = current_question(q, answers, personal=personal)
    if question is None:
        return Rejected(None, text(texts, "error.finished"))
    if question_id is not None and question_id != question.id:
        return Rejected(question.id, text(texts, "error.stale"))
    parsed = parse_answer(
        question,
        raw,
        lang,
        texts,
        answers=answers,
        locations=q.locations,
        words=q.number_words,
        answer_words=q.answer_words,
    )
    if isinstance(parsed, Err):
        return Rejected(question.id, parsed.message)
    message = _check_constraint(question, parsed.value, answers, lang, texts)
    if message is not None:
        return Rejected(question.id, message)
    return Accepted(question.id, parsed.value, parsed.note)


def skip(
    q: Questionnaire,
    answers: Mapping[str, Any],
    lang: str,
    texts: Mapping[str, str],
    *,
    personal: bool = True,
) -> Accepted | Rejected:
    """Skip the current question: None for an optional one, a message for a required one."""
    question = current_question(q, answers, personal=personal)
    if question is None:
        return Rejected(None, text(texts, "error.finished"))
    if question.required:
        return Rejected(
            question.id,
            text(texts, "error.required", expected=expected_text(question, lang, texts)),
        )
    return Accepted(question.id, None)


def prune(q: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Drop answers that no longer apply after an earlier answer changed: questions no longer
    relevant, and answers whose constraint now fails. Unknown ids are dropped too."""
    kept: dict[str, Any] = {}
    for question in q.questions:
        if question.id not in answers or not is_relevant(q, question, kept):
            continue
        value = answers[question.id]
        if (
            value is not None
            and question.constraint
            and not is_true(question.constraint, kept, current=value)
        ):
            continue
        kept[question.id] = value
    return kept


def apply(q: Questionnaire, answers: Mapping[str, Any], accepted: Accepted) -> dict[str, Any]:
    """The answers after storing `accepted`, pruned (what the caller should persist)."""
    return prune(q, {**answers, accepted.question_id: accepted.value})


def previous_question(
    q: Questionnaire, answers: Mapping[str, Any], *, personal: bool = True
) -> Question | None:
    """The last relevant, answered question before the current one (None at the start)."""
    current = current_question(q, answers, personal=personal)
    end = q.order[current.id] if current else len(q.questions)
    for question in reversed(q.questions[:end]):
        if question.id in answers and is_relevant(q, question, answers, personal):
            return question
    return None


def back(
    q: Questionnaire, answers: Mapping[str, Any], *, personal: bool = True
) -> tuple[Question | None, dict[str, Any]]:
    """Go back one question: (that question, answers without its answer). Later answers stay,
    so after re-answering the person continues where they were; `apply` prunes what the new
    answer makes irrelevant."""
    question = previous_question(q, answers, personal=personal)
    if question is None:
        return None, dict(answers)
    return question, {k: v for k, v in answers.items() if k != question.id}


def progress(
    q: Questionnaire, answers: Mapping[str, Any], *, personal: bool = True
) -> tuple[int, int]:
    """(n, total) for "Câu n/total": total counts only questions relevant under the current
    answers, so it may grow when a follow-up becomes relevant."""
    relevant = relevant_questions(q, answers, personal)
    total = len(relevant)
    current = current_question(q, answers, personal=personal)
    if current is None:
        return total, total
    n = sum(1 for x in relevant if q.order[x.id] < q.order[current.id]) + 1
    return n, total


def label_for(question: Question, value: Any, lang: str, texts: Mapping[str, str]) -> str:
    """How an answer reads for people (exports, summaries); codes stay in storage."""
    if value is None:
        return ""
    if question.type in CHOICE_TYPES:
        values = value if isinstance(value, list) else [value]
        labels = []
        for v in values:
            choice = question.choice(v)
            labels.append(choice.label.get(lang) if choice else str(v))
        return "; ".join(labels)
    if question.type == "yes_no":
        return text(texts, f"values.{value}") if value in ("yes", "no") else str(value)
    if question.type in NUMBER_TYPES:
        return format_number(value, lang)
    if question.type == "location" and isinstance(value, Mapping):
        return str(value.get("ward") or value.get("free_text") or "")
    return str(value)


def render_question(
    q: Questionnaire,
    question: Question,
    answers: Mapping[str, Any],
    lang: str,
    texts: Mapping[str, str],
    *,
    personal: bool = True,
    numbered: bool = False,
) -> Rendered:
    """Progress line, label, hint, unit and range or format, optional mark; buttons for
    choices and yes/no. `numbered` also lists choices as "1. ..." in the text, for channels
    that cannot show every button (Zalo shows at most 5, the console none)."""
    n, total = progress(q, answers, personal=personal)
    section = q.section(question.section)
    head = text(texts, "progress", n=n, total=total)
    if section is not None:
        head = text(texts, "progress_section", progress=head, section=section.title.get(lang))
    lines = [head, "", question.label.get(lang)]
    if question.hint is not None and question.hint.get(lang):
        lines.append(text(texts, "hint", hint=question.hint.get(lang)))
    if question.type in NUMBER_TYPES and question.unit is not None:
        lines.append(text(texts, "unit", unit=question.unit.get(lang)))
    buttons: list[tuple[str, str]] = []
    if question.type in CHOICE_TYPES:
        buttons = [(c.label.get(lang), c.value) for c in question.choices]
        if numbered:
            lines += [f"{i}. {label}" for i, (label, _) in enumerate(buttons, 1)]
    elif question.type == "yes_no":
        buttons = [(text(texts, "values.yes"), "yes"), (text(texts, "values.no"), "no")]
    elif question.type == "location" and q.locations is not None and question.park_question:
        park = q.locations.park(answers.get(question.park_question))
        if park is not None and park.ward:
            buttons = [(park.ward, park.ward)]
    if question.type not in ("yes_no",):
        lines.append(expected_text(question, lang, texts))
    if not question.required:
        lines.append(text(texts, "optional"))
    return Rendered(
        question_id=question.id,
        text="\n".join(lines),
        buttons=buttons,
        multi=question.type == "multi_choice",
        optional=not question.required,
    )


def render_intro(q: Questionnaire, lang: str, texts: Mapping[str, str]) -> str:
    """Title, introduction and how many questions to expect (before any consent step)."""
    count = len(relevant_questions(q, {}, personal=False))
    personal = len(relevant_questions(q, {}, personal=True)) - count
    key = "intro_personal" if personal else "intro"
    return text(
        texts, key, title=q.title.get(lang), intro=q.intro.get(lang), count=count, personal=personal
    )


COMMANDS = ("skip", "back", "cancel")


def detect_command(raw: str | None, words: AnswerWords | None) -> str | None:
    """ "skip" | "back" | "cancel" when the person typed /skip, /back, /cancel or one of the
    command words of content/questionnaires/answer_words.yaml ("bỏ qua", "quay lại"...)
    instead of an answer. "hủy"/"dừng" alone are left to the opt-out."""
    if not raw:
        return None
    stripped = raw.strip().lower()
    if stripped.startswith("/"):
        name = stripped[1:].split("@", 1)[0]
        return name if name in COMMANDS else None
    f = fold_words(raw)
    for name, listed in (words.commands if words else {}).items():
        if f in {fold_words(w) for w in listed}:
            return name
    return None
