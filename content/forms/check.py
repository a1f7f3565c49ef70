"""Every semantic problem of a questionnaire at once, each as "file: question X: what is
wrong", for `sxsh-bot content check`."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping

from content.forms.conditions import ConditionError, walk
from content.forms.conditions import parse as parse_condition
from content.forms.schema import (
    CHOICE_TYPES,
    LANGS,
    NUMBER_TYPES,
    AnswerWords,
    I18n,
    NumberWords,
    Questionnaire,
)
from content.forms.wording import TEXT_PREFIX
from content.textnorm import fold

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# answers.question_id is 64 characters; a multi choice being selected is stored under
# "_draft:" + id (handlers/assessment/flow.py), so an id may use 57 of them.
MAX_ID_BYTES = 64 - len("_draft:")


def check_texts(by_lang: Mapping[str, Mapping[str, str]]) -> list[str]:
    """The engine's messages ("assessment.*") have the same {fields} in both languages."""
    errors: list[str] = []

    def fields(template: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(template) if f}

    tables = {lang: by_lang.get(lang, {}) for lang in LANGS}
    keys = {k for t in tables.values() for k in t if k.startswith(TEXT_PREFIX)}
    for key in sorted(keys):
        if key not in tables["vi"] or key not in tables["en"]:
            continue  # content/texts.py reports a missing language
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


def number_words_problems(words: NumberWords) -> list[str]:
    """For `content check`: digits 0-9 only, multipliers powers of ten >= 1000, no word
    with two meanings."""
    errors = [f"digit {d}: only 0-9" for d in [*words.digits, *words.after_tens] if not 0 <= d <= 9]
    errors += [
        f"multiplier {m}: must be 1000, 1000000, ..."
        for m in words.multipliers
        if m < 1000 or str(m).rstrip("0") != "1"
    ]
    seen: dict[str, str] = {}
    groups = [
        *((f"digit {d}", ws) for d, ws in words.digits.items()),
        *((f"digit {d}", ws) for d, ws in words.after_tens.items()),
        ("hundreds", words.hundreds),
        *((f"multiplier {m}", ws) for m, ws in words.multipliers.items()),
        ("half", words.half),
    ]
    for name, group in groups:
        for w in group:
            f = fold(w)
            if not re.fullmatch(r"[a-z]+", f):
                errors.append(f"{name}: {w!r}: one word of letters")
            elif f in seen and seen[f] != name:
                errors.append(f"{name}: {w!r} also means {seen[f]}")
            seen[f] = name
    return errors


def check_answer_words(words: AnswerWords | None, name: str) -> list[str]:
    """A word that means both yes and no, or two commands, would be read one way at random."""
    if words is None:
        return []
    errors = []
    both = {fold(w) for w in words.yes} & {fold(w) for w in words.no}
    errors += [f"{name}: answer words: {w!r} is both yes and no" for w in sorted(both)]
    seen: dict[str, str] = {}
    for command, listed in words.commands.items():
        for w in listed:
            if seen.setdefault(fold(w), command) != command:
                errors.append(f"{name}: answer words: {w!r} is both {seen[fold(w)]} and {command}")
    return errors


def check_number_words(words: NumberWords | None, name: str) -> list[str]:
    if words is None:
        return []
    return [f"{name}: number words: {p}" for p in number_words_problems(words)]


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
        expr = parse_condition(source)
    except ConditionError as exc:
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
    for node in walk(expr):
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
    errors += check_number_words(q.number_words, q.number_words_file or name)
    errors += check_answer_words(q.answer_words, q.answer_words_file or name)
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
    keys = [r.key for r in (*st.rules, *st.defaults, st.final)]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        errors.append(
            f"{name}: scoring steps: {key!r} is used by several rules (give each its own id)"
        )
    if len(st.rules) + len(st.defaults) + 1 < st.min:
        errors.append(f"{name}: scoring steps: fewer rules and defaults than min {st.min}")
    return errors
