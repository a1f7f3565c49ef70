"""Results of a quick assessment: area scores, the overall SXSH potential and next steps.

Everything tunable (which answer counts as good practice, level thresholds, the rules that
pick next steps and the Q&A topics they link to) lives in the questionnaire's `scoring`
section, so officers can adjust wording and rules without code.

An area score (0-100) says how much good practice is already in place; the potential level is
the reverse view: a low overall score means many low-cost opportunities are left (high
potential). An area without any answered scored question is not assessed (None), never 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from content.forms.engine import is_relevant
from content.forms.evaluation import is_true
from content.forms.numbers import format_number
from content.forms.schema import Level, Question, Questionnaire, ScoreRule
from content.forms.wording import text

UNKNOWN_LEVEL = "unknown"


class Step(BaseModel):
    topic: str  # a Q&A content id, e.g. "sxsh.housekeeping"; its text comes from the rules
    rule: str | None = None  # the key of the rule that matched; None in older rows
    text: str = ""  # only in results stored before 30/11/2026 (in the language of that day)


class Result(BaseModel):
    """Ids and numbers only, so a stored result is shown in the person's current language
    (`stored()` to save, model_validate to read; older rows with texts still read)."""

    questionnaire_id: str
    version: int
    areas: dict[str, int | None]  # None = not assessed
    overall: int | None
    level: str  # a level id from the questionnaire ("high", "medium", "low") or "unknown"
    steps: list[Step]
    lang: str | None = None  # older rows: the language their texts were written in
    level_label: str | None = None  # older rows
    level_text: str | None = None  # older rows

    def stored(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_defaults=True)


def _fraction(question: Question, rule: ScoreRule, value: Any) -> float | None:
    """Share of the rule's weight earned by this answer; None = leave out of the area."""
    if question.type == "multi_choice":
        selected = value if isinstance(value, list) else [value]
        fracs = [rule.values.get(v, 0.0) for v in selected]
        counted = [f for f in fracs if f is not None]
        if not counted:
            return None
        return min(1.0, sum(counted))
    if value in rule.values:
        return rule.values[value]
    return 0.0


def area_scores(q: Questionnaire, answers: Mapping[str, Any]) -> dict[str, int | None]:
    assert q.scoring is not None, f"{q.id} has no scoring section"
    earned = {a.id: 0.0 for a in q.scoring.areas}
    possible = {a.id: 0.0 for a in q.scoring.areas}
    for question in q.questions:
        value = answers.get(question.id)
        if value is None or value == [] or not question.score:
            continue
        if not is_relevant(q, question, answers):
            continue
        for rule in question.score:
            frac = _fraction(question, rule, value)
            if frac is None or rule.area not in earned:
                continue
            earned[rule.area] += rule.weight * frac
            possible[rule.area] += rule.weight
    return {
        area: round(100 * earned[area] / possible[area]) if possible[area] else None
        for area in earned
    }


def select_steps(q: Questionnaire, answers: Mapping[str, Any]) -> list[Step]:
    """Matching rules in YAML order (one step per topic), topped up with defaults to `min`,
    capped at `max`, and always ending with the `final` step (talk to an officer)."""
    assert q.scoring is not None
    cfg = q.scoring.steps
    room = max(cfg.max - 1, 0)
    steps: list[Step] = []
    topics = {cfg.final.topic}
    for rule in cfg.rules:
        if len(steps) >= room:
            break
        if rule.topic in topics:
            continue
        if rule.when is None or is_true(rule.when, answers):
            steps.append(Step(topic=rule.topic, rule=rule.key))
            topics.add(rule.topic)
    for rule in cfg.defaults:
        if len(steps) >= max(cfg.min - 1, 0) or len(steps) >= room:
            break
        if rule.topic in topics:
            continue
        if rule.when is None or is_true(rule.when, answers):
            steps.append(Step(topic=rule.topic, rule=rule.key))
            topics.add(rule.topic)
    steps.append(Step(topic=cfg.final.topic, rule=cfg.final.key))
    return steps


def score(q: Questionnaire, answers: Mapping[str, Any]) -> Result:
    """The result of a (finished) assessment under `answers`: ids and numbers."""
    assert q.scoring is not None, f"{q.id} has no scoring section"
    areas = area_scores(q, answers)
    assessed = [v for v in areas.values() if v is not None]
    overall = round(sum(assessed) / len(assessed)) if assessed else None
    level_id = UNKNOWN_LEVEL
    if overall is not None:
        for level in sorted(q.scoring.levels, key=lambda lv: lv.min_score, reverse=True):
            if overall >= level.min_score:
                level_id = level.id
                break
    return Result(
        questionnaire_id=q.id,
        version=q.version,
        areas=areas,
        overall=overall,
        level=level_id,
        steps=select_steps(q, answers),
    )


def _level(q: Questionnaire, result: Result) -> Level | None:
    levels = q.scoring.levels if q.scoring else []
    return next((lv for lv in levels if lv.id == result.level), None)


def level_label(q: Questionnaire, result: Result, lang: str, texts: Mapping[str, str]) -> str:
    """The level's label in `lang` from the current questionnaire."""
    level = _level(q, result)
    if level is not None:
        return level.label.get(lang)
    if result.level == UNKNOWN_LEVEL:
        return text(texts, "result.level_unknown")
    return result.level_label or result.level  # a level officers removed since


def _level_text(q: Questionnaire, result: Result, lang: str) -> str:
    level = _level(q, result)
    return level.text.get(lang) if level is not None else (result.level_text or "")


def step_text(q: Questionnaire, step: Step, lang: str) -> str:
    """A next step's text in `lang` from the current rule that matched (by its key); rows
    stored without a key fall back to the first rule of the topic, then to the stored text."""
    if q.scoring is not None:
        cfg = q.scoring.steps
        rules = (*cfg.rules, *cfg.defaults, cfg.final)
        for rule in rules:
            if step.rule is not None and rule.key == step.rule:
                return rule.text.get(lang)
        for rule in rules:
            if step.rule is None and rule.topic == step.topic:
                return rule.text.get(lang)
    return step.text or step.topic


def compare(prev: Result, new: Result) -> dict[str, int | None]:
    """Per-area change new - prev (positive = more good practice now), plus "overall";
    None where either result did not assess the area."""
    out: dict[str, int | None] = {}
    for area in dict.fromkeys([*prev.areas, *new.areas]):
        a, b = prev.areas.get(area), new.areas.get(area)
        out[area] = None if a is None or b is None else b - a
    out["overall"] = (
        None if prev.overall is None or new.overall is None else new.overall - prev.overall
    )
    return out


def _area_label(q: Questionnaire, area: str, lang: str) -> str:
    assert q.scoring is not None
    found = next((a for a in q.scoring.areas if a.id == area), None)
    return found.label.get(lang) if found else area


def render_result(
    q: Questionnaire,
    result: Result,
    answers: Mapping[str, Any] | None,
    lang: str,
    texts: Mapping[str, str],
) -> str:
    """The result as one chat message in `lang`; `answers` adds the electricity-bill line."""
    lines = [text(texts, "result.title"), ""]
    label = level_label(q, result, lang, texts)
    lines.append(text(texts, "result.potential", level=label.upper()))
    if _level_text(q, result, lang):
        lines.append(_level_text(q, result, lang))
    lines += ["", text(texts, "result.areas_title")]
    for area, value in result.areas.items():
        label = _area_label(q, area, lang)
        if value is None:
            lines.append(text(texts, "result.area_not_assessed", area=label))
        else:
            lines.append(text(texts, "result.area_line", area=label, score=value))
    bill_q = q.scoring.bill_question if q.scoring else None
    bill = (answers or {}).get(bill_q) if bill_q else None
    if isinstance(bill, int | float) and bill > 0 and bill_q:
        question = q.question(bill_q)
        lines += [
            "",
            text(
                texts,
                "result.bill",
                bill=format_number(bill, lang),
                five_percent=format_number(round(bill * 0.05, 2), lang),
                unit=question.unit.get(lang) if question.unit else "",
            ),
        ]
    lines += ["", text(texts, "result.steps_title")]
    lines += [
        text(texts, "result.step_line", n=i, text=step_text(q, s, lang))
        for i, s in enumerate(result.steps, 1)
    ]
    lines += ["", text(texts, "result.disclaimer")]
    return "\n".join(lines)


def render_comparison(
    q: Questionnaire,
    prev: Result,
    new: Result,
    lang: str,
    texts: Mapping[str, str],
) -> str:
    """ "Compare with an earlier result" as one message."""
    deltas = compare(prev, new)
    lines = [text(texts, "compare.title")]
    for area in new.areas:
        old, now, delta = prev.areas.get(area), new.areas.get(area), deltas.get(area)
        fields = {
            "area": _area_label(q, area, lang),
            "old": "–" if old is None else old,
            "new": "–" if now is None else now,
            "delta": "" if delta is None else f"{delta:+d}",
        }
        key = "compare.line" if delta is not None else "compare.line_na"
        lines.append(text(texts, key, **fields))
    old, now = level_label(q, prev, lang, texts), level_label(q, new, lang, texts)
    lines.append(text(texts, "compare.level", old=old, new=now))
    return "\n".join(lines)
